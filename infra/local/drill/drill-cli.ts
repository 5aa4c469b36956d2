/**
 * The drill's command line, one definition for `npm run drill` (main.ts) and
 * `twinstack drill` (infra/cli): its options and parsers, and running it with the
 * summary printed. Exit 0 when the scenario's property held (`passed`; the default
 * scenario kill-primary: failover succeeded, DNS moved, nothing acknowledged was lost),
 * 1 when it did not or could not run, 2 for invalid options (nothing run).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { isAbsolute, resolve } from 'node:path';
import { ENGINE_NAMES, pluginFor } from '../../../functions/core/engines/engine-registry.ts';
import type { EngineName } from '../../../functions/core/model.ts';
import { LAB_NODES } from '../lab/lab-nodes.ts';
import { DEFAULT_SCENARIO, SCENARIO_NAMES, SCENARIOS, scenarioModeProblem, type ScenarioName } from './scenarios/scenario-catalog.ts';

/** Engines the drill runs by default: every live-tested engine the lab has a node for. */
export const DEFAULT_ENGINES: readonly EngineName[] = LAB_NODES.map((n) => n.engine).filter((e) => pluginFor(e).tested === 'live');

/** `--engines a,b`: known, live-tested and in the lab, each once; else a one-line reason. */
export function parseEngines(value: string): EngineName[] {
  const names = value.split(',').map((n) => n.trim()).filter(Boolean);
  const problems = names.flatMap((name) => {
    if (!(ENGINE_NAMES as readonly string[]).includes(name)) return [`unknown engine "${name}" (engines: ${ENGINE_NAMES.join(', ')})`];
    const engine = name as EngineName;
    if (pluginFor(engine).tested !== 'live') return [`${engine} is not yet tested against a live server here (built against recorded outputs only), so the drill cannot run it`];
    if (!LAB_NODES.some((n) => n.engine === engine)) return [`the lab has no ${engine} server`];
    return [];
  });
  if (names.length === 0) problems.push('name at least one engine');
  if (new Set(names).size !== names.length) problems.push('name each engine once');
  if (problems.length > 0) throw new InvalidArgumentError(problems.join('; '));
  return names as EngineName[];
}

/** `--writes-before N`: an integer from 1 to 100 000 (the writer's own bound). */
export function parseWriteCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError(`"${value}" is not an integer from 1 to 100000 (e.g. 200)`);
  return n;
}

export interface DrillCliOptions {
  readonly json: boolean;
  readonly scenario: ScenarioName;
  /** Absent: the scenario's own mode, else sync. */
  readonly mode?: 'sync' | 'async';
  readonly engines: EngineName[];
  readonly labRoot: string;
  readonly reportDir: string;
  readonly writesBefore: number;
  readonly writesAfter: number;
  /** Start only the primary and build the twin with the clone-stack workflow first. */
  readonly clone: boolean;
}

/** Adds the drill's options to `command` (a standalone program or a `twinstack` subcommand). */
export function addDrillOptions(command: Command): Command {
  return command
    .option('--json', 'print only the summary JSON line', false)
    .addOption(new Option('--scenario <name>', 'what goes wrong once both stacks run, and the property checked').choices(SCENARIO_NAMES).default(DEFAULT_SCENARIO))
    .addOption(new Option('--mode <mode>', 'replication mode of the drill databases (default: sync; lagging-replica: async)').choices(['sync', 'async']))
    .addOption(new Option('--engines <list>', 'comma-separated database engines, one database each').argParser(parseEngines).default([...DEFAULT_ENGINES], DEFAULT_ENGINES.join(',')))
    .option('--lab-root <dir>', 'where lab hosts keep their files', '/var/tmp/twinstack-lab')
    .option('--report-dir <dir>', 'where the summary, timeline, config and index.html are written', 'drill-report')
    .option('--writes-before <n>', 'acknowledged writes before the kill', parseWriteCount, 200)
    .option('--writes-after <n>', 'acknowledged writes after the kill', parseWriteCount, 100)
    .option('--clone', 'start the primary stack alone and build its twin with the clone-stack workflow before replicate', false);
}

/** The replication mode a drill runs in: the one asked for, else the scenario's, else sync. */
export function drillModeOf(opts: Pick<DrillCliOptions, 'scenario' | 'mode'>): 'sync' | 'async' {
  return opts.mode ?? SCENARIOS[opts.scenario].mode ?? 'sync';
}

/**
 * Why these options cannot run together (a sentence naming the fix), or undefined.
 * `--clone` goes with every scenario (each starts once both stacks run, however the twin
 * was built); the lab's Compute needs an absolute lab root, as the records it keeps there.
 */
export function drillOptionsProblem(opts: Pick<DrillCliOptions, 'scenario' | 'mode'> & Partial<Pick<DrillCliOptions, 'clone' | 'labRoot'>>): string | undefined {
  const modeProblem = scenarioModeProblem(opts.scenario, drillModeOf(opts));
  if (modeProblem) return modeProblem;
  if (opts.clone && opts.labRoot !== undefined && !isAbsolute(opts.labRoot)) return `--clone needs an absolute --lab-root (got ${JSON.stringify(opts.labRoot)}): e.g. --lab-root ${resolve(opts.labRoot)}`;
  return undefined;
}

export const DRILL_DESCRIPTION = 'Run a whole twinstack failover on this machine and measure it';

/** Runs the drill; progress lines (unless --json), then one summary JSON line on `out`; the reason of a failure on `err`. */
export async function runDrillCli(opts: DrillCliOptions, io: { out(line: string): void; err(line: string): void }): Promise<number> {
  // Loaded here: the lab and runtime modules are only needed when a drill runs (not for --help).
  await import('../runtime/polyfill-promise-with-resolvers.ts');
  const [{ DrillFailedError, runDrill }, { summarizeFailedDrill }] = await Promise.all([import('./run-drill.ts'), import('./summarize-drill.ts')]);
  const started = Date.now();
  const log = opts.json ? () => undefined : (line: string) => io.out(line);
  const mode = drillModeOf(opts);
  log(`twinstack drill${opts.clone ? ' --clone' : ''}, scenario ${opts.scenario} (${opts.engines.join(', ')}; ${mode} replication): ${SCENARIOS[opts.scenario].property}`);
  try {
    const summary = await runDrill({ labRoot: opts.labRoot, reportDir: resolve(opts.reportDir), mode, engines: opts.engines, writesBefore: opts.writesBefore, writesAfter: opts.writesAfter, scenario: opts.scenario, clone: opts.clone, log });
    log('');
    if (summary.clone) log(`clone-stack: twin ${summary.clone.twin} (${summary.clone.hosts} host${summary.clone.hosts === 1 ? '' : 's'}) in ${summary.clone.durationMs} ms`);
    log(
      `RTO ${summary.rtoMs ?? '?'} ms (detection ${summary.detectionMs ?? '?'} ms, orchestration ${summary.orchestrationMs ?? '?'} ms); ` +
        `${summary.acknowledged} writes acknowledged, ${summary.lost} lost, ${summary.duplicated} duplicated; DNS ${summary.dnsBefore} → ${summary.dnsAfter}; ` +
        `whole drill ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    io.out(JSON.stringify(summary));
    return summary.passed === true ? 0 : 1;
  } catch (error) {
    // Still one JSON line (the `ok: false` summary runDrill wrote to summary.json), and the reason on stderr.
    const summary = error instanceof DrillFailedError ? error.summary : summarizeFailedDrill({ error: error instanceof Error ? error.message : String(error), wallMs: Date.now() - started });
    io.err(`drill failed: ${error instanceof Error ? error.message : String(error)}`);
    io.out(JSON.stringify(summary));
    return 1;
  }
}
