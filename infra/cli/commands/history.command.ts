/**
 * `twinstack history [GROUP] --local [--state-dir DIR] [--json]`: past executions of the
 * local runtime (its execution records), newest first — workflow, trigger, outcome,
 * duration, and RTO / lost writes for a failover the drill measured.
 */
import type { Command } from 'commander';
import { readExecutionRecords, type ExecutionRecord } from '../../local/runtime/execution-record.ts';
import { CliInputError, EXIT, reportInputError, type CliIo } from '../cli-io.ts';
import { formatDuration, paint, statusColour, table } from '../format.ts';
import { localGroup, openLocalState, readDrillSummary, type LocalState } from '../local-state.ts';

export interface HistoryEntry {
  readonly name: string;
  readonly workflow: string;
  readonly group: string | null;
  readonly trigger: string;
  readonly status: string;
  /** The workflow's outcome (`failed-over`, `held`, …) or the decision's action, when known. */
  readonly outcome: string | null;
  readonly startedAt: string;
  readonly durationMs: number | null;
  readonly error: string | null;
  readonly reasons: readonly string[];
  /** From the drill's summary.json, for the failover it measured. */
  readonly rtoMs: number | null;
  readonly lostWrites: number | null;
}

export interface HistoryOptions {
  readonly local?: boolean;
  readonly stateDir?: string;
  readonly json?: boolean;
  readonly limit?: string;
}

/** Pure: records (+ the drill summary if any) → entries, newest first. */
export function historyEntries(records: readonly ExecutionRecord[], drill?: { summary: { rtoMs?: number | null; lost?: number }; writtenAt: number }): HistoryEntry[] {
  // The drill's summary measures the newest failover that ended before it was written.
  const measured = drill
    ? [...records].reverse().find((r) => r.workflow === 'failover' && r.endedAt !== undefined && Date.parse(r.endedAt) <= drill.writtenAt + 1000)
    : undefined;
  return [...records].reverse().map((r) => ({
    name: r.name,
    workflow: r.workflow,
    group: r.group ?? null,
    trigger: r.trigger,
    status: r.status,
    outcome: r.outcome ?? r.decision?.action ?? null,
    startedAt: r.startedAt,
    durationMs: r.durationMs ?? (r.status === 'RUNNING' ? null : null),
    error: r.error ? `${r.error}${r.cause ? `: ${r.cause}` : ''}` : null,
    reasons: r.decision?.reasons ?? [],
    rtoMs: r === measured ? (drill?.summary.rtoMs ?? null) : null,
    lostWrites: r === measured ? (drill?.summary.lost ?? null) : null,
  }));
}

export async function runHistory(group: string | undefined, options: HistoryOptions, io: CliIo): Promise<number> {
  try {
    if (!options.local) throw new CliInputError('history reads the local runtime only for now (AWS execution history is not wired yet)', 'add --local (e.g. `twinstack history --local`)');
    const state: LocalState = openLocalState(options.stateDir);
    if (group !== undefined) await localGroup(state, group);
    const limit = options.limit === undefined ? 20 : Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new CliInputError(`--limit ${JSON.stringify(options.limit)} is not a positive integer`, 'pass e.g. --limit 20');
    const entries = historyEntries(readExecutionRecords(state.dir), readDrillSummary(state)).filter((e) => group === undefined || e.group === group).slice(0, limit);
    if (options.json) {
      io.out(JSON.stringify(entries, null, 2));
      return EXIT.ok;
    }
    if (entries.length === 0) {
      io.out(`no executions recorded in ${state.dir}`);
      return EXIT.ok;
    }
    const c = paint(io.isTty);
    io.out(c(`executions in ${state.dir} (newest first)`, 'dim'));
    for (const line of table(
      ['STARTED', 'GROUP', 'WORKFLOW', 'TRIGGER', 'STATUS', 'OUTCOME', 'DURATION', 'RTO', 'LOST'],
      entries.map((e) => [
        e.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
        e.group ?? '—',
        e.workflow,
        e.trigger,
        c(e.status, statusColour(e.status)),
        e.outcome ?? (e.error ? e.error.slice(0, 60) : '—'),
        formatDuration(e.durationMs),
        e.rtoMs === null ? '—' : formatDuration(e.rtoMs),
        e.lostWrites === null ? '—' : c(String(e.lostWrites), e.lostWrites === 0 ? 'green' : 'red'),
      ]),
    ))
      io.out(line);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliInputError) return reportInputError(error, io);
    throw error;
  }
}

export function registerHistoryCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('history')
    .description('past executions: workflow, trigger (alarm, webhook, operator), outcome, duration, RTO and lost writes where known')
    .argument('[group]', 'only this group')
    .option('--local', 'read the local runtime\'s execution records')
    .option('--state-dir <dir>', 'local runtime state (default: .twinstack/state, else drill-report/state)')
    .option('--limit <n>', 'newest N executions', '20')
    .option('--json', 'print a JSON array (newest first)')
    .addHelpText(
      'after',
      `
Examples:
  npm run drill && npx twinstack history --local
  npx twinstack history drill --local --json

Exit codes: 0 shown; 2 invalid input (unknown group, no local state, no --local); 1 fault.`,
    )
    .action(async (group: string | undefined, options: HistoryOptions) => {
      setExitCode(await runHistory(group, options, io));
    });
}
