/**
 * `twinstack history [GROUP] [--local [--state-dir DIR]] [--json]`: past executions, newest
 * first — workflow, trigger, outcome, duration, and RTO / lost writes for a failover the
 * drill measured. --local reads the local runtime's execution records; otherwise Step
 * Functions (ListExecutions + DescribeExecution of twinstack-<workflow>, bounded pages) in
 * --region / --account with the standard credential chain.
 */
import type { Command } from 'commander';
import { SFNClient } from '@aws-sdk/client-sfn';
import { listAwsExecutions } from '../aws-executions.ts';
import { awsTarget, ensureAwsCredentials } from '../aws-target.ts';
import { reportAwsError } from '../aws-errors.ts';
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
  readonly region?: string;
  readonly account?: string;
}

/** What a test may replace. */
export interface HistoryDeps {
  readonly sfnClient?: (region: string) => SFNClient;
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

const GROUP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

async function awsEntries(group: string | undefined, limit: number, options: HistoryOptions, deps: HistoryDeps): Promise<{ entries: HistoryEntry[]; where: string }> {
  const what = `history${group ? ` ${group}` : ''}`;
  const target = awsTarget(what, options);
  const client = deps.sfnClient ? deps.sfnClient(target.region) : new SFNClient({ region: target.region });
  await ensureAwsCredentials(client, what, 'nothing read');
  return { entries: await listAwsExecutions(client, target, { ...(group !== undefined ? { group } : {}), limit }), where: `Step Functions twinstack-* in ${target.region} (account ${target.account})` };
}

export async function runHistory(group: string | undefined, options: HistoryOptions, io: CliIo, deps: HistoryDeps = {}): Promise<number> {
  try {
    const limit = options.limit === undefined ? 20 : Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliInputError(`--limit ${JSON.stringify(options.limit)} is not an integer from 1 to 1000`, 'pass e.g. --limit 20');
    let entries: HistoryEntry[];
    let where: string;
    if (options.local) {
      const state: LocalState = openLocalState(options.stateDir);
      if (group !== undefined) await localGroup(state, group);
      entries = historyEntries(readExecutionRecords(state.dir), readDrillSummary(state)).filter((e) => group === undefined || e.group === group).slice(0, limit);
      where = state.dir;
    } else {
      if (group !== undefined && !GROUP_NAME.test(group)) throw new CliInputError(`invalid group name ${JSON.stringify(group)}`, 'use the group\'s name from twinstack.yaml (lowercase letters, digits, dashes)');
      ({ entries, where } = await awsEntries(group, limit, options, deps));
    }
    if (options.json) {
      io.out(JSON.stringify(entries, null, 2));
      return EXIT.ok;
    }
    if (entries.length === 0) {
      io.out(`no executions${group ? ` of ${group}` : ''} recorded in ${where}`);
      return EXIT.ok;
    }
    const c = paint(io.isTty);
    io.out(c(`executions in ${where} (newest first)`, 'dim'));
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
    return reportAwsError(error, io);
  }
}

export function registerHistoryCommand(program: Command, io: CliIo, setExitCode: (code: number) => void, deps: HistoryDeps = {}): void {
  program
    .command('history')
    .description('past executions: workflow, trigger (alarm, webhook, operator), outcome, duration, RTO and lost writes where known')
    .argument('[group]', 'only this group')
    .option('--local', 'read the local runtime\'s execution records')
    .option('--state-dir <dir>', 'local runtime state (default: .twinstack/state, else drill-report/state)')
    .option('--limit <n>', 'newest N executions', '20')
    .option('--json', 'print a JSON array (newest first)')
    .option('--region <region>', 'AWS: the control region (default: AWS_REGION)')
    .option('--account <id>', 'AWS: the account of the state machines (default: TWINSTACK_AWS_ACCOUNT)')
    .addHelpText(
      'after',
      `
Examples:
  npm run drill && npx twinstack history --local
  npx twinstack history drill --local --json
  npx twinstack history shop --region eu-west-1 --account 123456789012

Without --local: Step Functions ListExecutions + DescribeExecution of twinstack-replicate|failover|deploy
(newest first, at most 3 pages of 50 per workflow), standard AWS credential chain.

Exit codes: 0 shown; 2 invalid input (unknown group, no local state, bad --limit, no AWS region, account or credentials): nothing read;
1 fault (AWS refused or failed: the line says which).`,
    )
    .action(async (group: string | undefined, options: HistoryOptions) => {
      setExitCode(await runHistory(group, options, io, deps));
    });
}
