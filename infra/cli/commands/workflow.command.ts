/**
 * `twinstack replicate | failover | switchover | deploy | rejoin GROUP`: start a workflow.
 *
 * --local: runs it through the local runtime in this process (the very ASL file and step
 * handlers, against the state dir's hosts over SSH), recorded under the state dir; the
 * command ends when the execution does. `--wait` prints each state as it ends, with its
 * duration, then the decision and its reasons.
 *
 * Without --local: StartExecution on `twinstack-<workflow>` in --region/--account with the
 * standard credential chain; no credentials → one line with the fix, nothing started.
 *
 * A failover is observed and decided first (AssessFailover + DecideFailover, read-only):
 * a hold (e.g. the twin is not ready) starts nothing unless --force; --force prints what
 * it overrides and what it may lose, and asks unless --yes.
 *
 * A switchover (`--to primary|twin`, default the standby; `--catch-up-timeout SECONDS`) the
 * decision refuses prints the reasons and exits 3: nothing changed. One that ran prints, per
 * database, its catch-up token and when it was demoted, caught up and promoted, and how long
 * apps could not write (from the first demotion to the DNS switch).
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { FailoverGroup } from '../../../functions/core/model.ts';
import type { WorkflowEvent, WorkflowResult } from '../../local/runtime/run-workflow.ts';
import type { WorkflowName } from '../../local/runtime/load-asl.ts';
import { startAwsExecution } from '../aws-executions.ts';
import { awsTarget } from '../aws-target.ts';
import { CliInputError, EXIT, reportInputError, type CliIo } from '../cli-io.ts';
import { formatDuration, paint, statusColour } from '../format.ts';
import { DEFAULT_LOCAL_DNS, lagText, observeGroup } from '../local-observe.ts';
import { localGroup, openLocalState, type LocalState } from '../local-state.ts';
import { parseLoopbackAddress } from './serve.command.ts';
import { describeRestoreProgress, type ProgressSample } from '../restore-progress.ts';

export interface WorkflowCommandOptions {
  readonly local?: boolean;
  readonly stateDir?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
  readonly force?: boolean;
  readonly yes?: boolean;
  readonly revision?: string;
  readonly branch?: string;
  readonly dns?: string;
  readonly region?: string;
  readonly account?: string;
  /** switchover: the stack to switch to (default: the standby). */
  readonly to?: string;
  /** switchover: seconds the replicas get to catch up before the switchover is undone. */
  readonly catchUpTimeout?: string;
}

/** What a test may replace: the local runner, the SFN client. */
export interface WorkflowCommandDeps {
  readonly runLocal?: (options: { workflow: WorkflowName; input: unknown; state: LocalState; dns: { address: string; port: number }; executionName: string; onEvent: (e: WorkflowEvent) => void }) => Promise<WorkflowResult>;
  readonly sfnClient?: (region: string) => SFNClient;
  readonly now?: () => Date;
}

const REVISION = /^[0-9a-f]{40}$/;
const GROUP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

async function defaultRunLocal(o: Parameters<NonNullable<WorkflowCommandDeps['runLocal']>>[0]): Promise<WorkflowResult> {
  const [{ runWorkflow }, { createLocalStepDeps }, { silentLogger }] = await Promise.all([
    import('../../local/runtime/run-workflow.ts'),
    import('../../local/runtime/local-step-deps.ts'),
    import('../local-observe.ts'),
  ]);
  const deps = createLocalStepDeps({ parameterFile: o.state.parameterFile, zoneFile: o.state.zoneFile, leaseFile: o.state.leaseFile, dnsServer: o.dns, logger: silentLogger() });
  return runWorkflow({ workflow: o.workflow, input: o.input, deps, executionName: o.executionName, record: { stateDir: o.state.dir, trigger: 'operator' }, onEvent: o.onEvent });
}

function inputOf(workflow: WorkflowName, group: string, options: WorkflowCommandOptions, groupConfig: FailoverGroup | undefined, now: Date): Record<string, unknown> {
  if (workflow === 'replicate') return { group };
  if (workflow === 'failover') return { group, reason: 'operator: twinstack failover', ...(options.force ? { force: true } : {}) };
  if (workflow === 'rejoin') return { group, reason: 'operator: twinstack rejoin' };
  if (workflow === 'switchover') return switchoverInput(group, options);
  const revision = options.revision ?? '';
  if (!REVISION.test(revision)) throw new CliInputError(`deploy needs --revision with a full 40-hex commit id (got ${JSON.stringify(options.revision ?? null)})`, `pass e.g. --revision $(git rev-parse HEAD)`);
  const branch = options.branch ?? groupConfig?.source?.branch;
  if (!branch) throw new CliInputError(`deploy of ${group}: no branch (the group has no source block)`, 'pass --branch BRANCH');
  return { group, revision, branch, deliveryId: null, receivedAt: now.toISOString() };
}

/** The switchover input: `--to` and `--catch-up-timeout` checked here, so bad flags start nothing. */
function switchoverInput(group: string, options: WorkflowCommandOptions): Record<string, unknown> {
  if (options.to !== undefined && options.to !== 'primary' && options.to !== 'twin') {
    throw new CliInputError(`--to must be primary or twin (got ${JSON.stringify(options.to)})`, `e.g. \`twinstack switchover ${group} --to twin\`, or omit --to for the standby`);
  }
  const timeout = options.catchUpTimeout === undefined ? undefined : Number(options.catchUpTimeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 600)) {
    throw new CliInputError(`--catch-up-timeout must be a whole number of seconds from 1 to 600 (got ${JSON.stringify(options.catchUpTimeout)})`, 'omit it for 30 s');
  }
  return { group, reason: 'operator: twinstack switchover', ...(options.to ? { to: options.to } : {}), ...(timeout !== undefined ? { catchUpTimeoutSeconds: timeout } : {}) };
}

/** What a switchover's output says (statemachines/switchover.asl.json: SwitchoverOutput, or the refused decision). */
interface SwitchoverOutput {
  readonly action?: string;
  readonly reasons?: readonly string[];
  readonly from?: string;
  readonly to?: string;
  readonly databases?: readonly { readonly database: string; readonly token: string; readonly demotedAt: string; readonly caughtUpAt?: string }[];
  readonly promoted?: readonly { readonly database: string; readonly promotedAt: string }[];
  readonly dnsSwitchedAt?: string;
  readonly rejoined?: readonly { readonly database: string; readonly method: string; readonly divergent?: { readonly amount: number } }[];
  readonly rejoinError?: { readonly Error?: string; readonly Cause?: string };
}

/** Milliseconds apps could not write: from the earliest demotion to the DNS switch; undefined when not known. */
export function writeUnavailableMs(output: SwitchoverOutput): number | undefined {
  const demoted = (output.databases ?? []).map((d) => Date.parse(d.demotedAt)).filter((t) => !Number.isNaN(t));
  const switched = output.dnsSwitchedAt === undefined ? Number.NaN : Date.parse(output.dnsSwitchedAt);
  return demoted.length === 0 || Number.isNaN(switched) ? undefined : switched - Math.min(...demoted);
}

function reportSwitchover(output: SwitchoverOutput, io: CliIo): void {
  if (output.action === 'refuse') {
    io.out('switchover refused, nothing changed:');
    for (const r of output.reasons ?? []) io.out(`  - ${r}`);
    return;
  }
  if (output.from === undefined) return;
  const window = writeUnavailableMs(output);
  io.out(`  ${output.from} → ${output.to ?? '?'}${window !== undefined ? `; apps could not write for ${formatDuration(window)} (first demotion → DNS switch)` : ''}`);
  for (const d of output.databases ?? []) {
    const promotedAt = output.promoted?.find((p) => p.database === d.database)?.promotedAt;
    const rejoined = output.rejoined?.find((r) => r.database === d.database);
    io.out(`  ${d.database}: token ${d.token}; demoted ${d.demotedAt}, caught up ${d.caughtUpAt ?? '?'}, promoted ${promotedAt ?? '?'}${rejoined ? `; old primary ${rejoined.method}` : ''}`);
  }
  if (output.rejoinError) io.out(`  the old primaries did not rejoin (${output.rejoinError.Error ?? 'error'}): run \`twinstack rejoin\``);
}

/** Before a local failover: observe and decide; refuse a hold, confirm a force. Returns false when nothing must start. */
async function admitFailover(state: LocalState, group: FailoverGroup, options: WorkflowCommandOptions, io: CliIo): Promise<number | undefined> {
  const observed = await observeGroup(state, group, { force: false });
  const decision = observed.decision;
  if (!decision) throw new CliInputError(`cannot decide a failover of ${group.name}: ${observed.detail}`, 'check the hosts with `twinstack status --local`, then retry');
  if (decision.action === 'failover') {
    io.err(`failover of ${group.name} admitted: ${decision.reasons.join('; ')}`);
    return undefined;
  }
  const reasons = decision.reasons.join('; ');
  if (!options.force) {
    throw new CliInputError(
      `failover of ${group.name} refused, nothing started: ${reasons}`,
      `make the twin ready (\`twinstack replicate ${group.name} --local\`), check \`twinstack status ${group.name} --local\`, or override with \`twinstack failover ${group.name} --local --force\``,
      EXIT.refused,
    );
  }
  const c = paint(io.isTty);
  io.err(c(`--force overrides this decision (hold):`, 'yellow'));
  for (const r of decision.reasons) io.err(`  - ${r}`);
  const losses = observed.databases.map((d) => {
    const verdict = decision.databases.find((v) => v.name === d.name);
    const loss = verdict?.loss;
    return `  - ${d.name}: ${loss === undefined || loss === null ? 'an unknown amount of acknowledged writes (lag unknown)' : loss === 0 ? 'nothing known' : `up to ${lagText(loss, d.lagUnit)}`} may be lost`;
  });
  io.err(c('and may lose:', 'yellow'));
  losses.forEach((l) => io.err(l));
  if (!options.yes) {
    const ok = (await io.confirm?.(`force a failover of ${group.name}?`)) ?? false;
    if (!ok) throw new CliInputError(`forced failover of ${group.name} not confirmed, nothing started`, 'answer y at the prompt, or pass --yes', EXIT.refused);
  }
  return undefined;
}

function reportResult(workflow: string, result: WorkflowResult, io: CliIo, json: boolean | undefined, executionName: string): number {
  const output = result.output as { outcome?: string; summary?: string; databases?: unknown; divergentTotal?: unknown; decision?: { action?: string; reasons?: string[] } } | undefined;
  const switchover = workflow === 'switchover' ? (result.output as SwitchoverOutput | undefined) : undefined;
  const held = output?.outcome === 'held' || output?.decision?.action === 'hold' || switchover?.action === 'refuse';
  // A rejoin the decision refused fails `RejoinRefused` (so that it alarms in AWS), but nothing was done: refused, not failed.
  const refused = result.error === 'RejoinRefused';
  const code = refused ? EXIT.refused : result.status !== 'SUCCEEDED' ? EXIT.workflowFailed : held ? EXIT.refused : EXIT.ok;
  if (json) {
    const rejoined = workflow === 'rejoin' && output?.databases !== undefined ? { summary: output.summary ?? null, databases: output.databases, divergentTotal: output.divergentTotal ?? null } : {};
    const switched = switchover
      ? switchover.action === 'refuse'
        ? { decision: switchover }
        : { from: switchover.from ?? null, to: switchover.to ?? null, databases: switchover.databases ?? null, promoted: switchover.promoted ?? null, dnsSwitchedAt: switchover.dnsSwitchedAt ?? null, writeUnavailableMs: writeUnavailableMs(switchover) ?? null, rejoined: switchover.rejoined ?? null, rejoinError: switchover.rejoinError ?? null }
      : {};
    io.out(JSON.stringify({ workflow, executionName, status: result.status, outcome: output?.outcome ?? null, durationMs: Math.round(result.durationMs), decision: output?.decision ?? null, error: result.error ?? null, cause: result.cause ?? null, ...rejoined, ...switched }, null, 2));
    return code;
  }
  const c = paint(io.isTty);
  io.out(`${workflow} ${executionName}: ${c(result.status, statusColour(result.status))}${output?.outcome ? ` (${output.outcome})` : ''} in ${formatDuration(result.durationMs)}`);
  if (result.error) io.out(`  ${result.error}: ${result.cause ?? ''}`);
  if (workflow === 'rejoin' && output?.summary) io.out(`  ${output.summary}`);
  if (switchover) reportSwitchover(switchover, io);
  if (output?.decision?.action) {
    io.out(`decision: ${output.decision.action}`);
    for (const r of output.decision.reasons ?? []) io.out(`  - ${r}`);
  }
  return code;
}

export async function runWorkflowCommand(workflow: WorkflowName, group: string, options: WorkflowCommandOptions, io: CliIo, deps: WorkflowCommandDeps = {}): Promise<number> {
  const now = deps.now ?? (() => new Date());
  try {
    if (!GROUP_NAME.test(group)) throw new CliInputError(`invalid group name ${JSON.stringify(group)}`, 'use the group\'s name from twinstack.yaml (lowercase letters, digits, dashes)');
    if (options.yes && !options.force) throw new CliInputError('--yes only confirms --force', `drop --yes, or add --force to \`twinstack ${workflow} ${group}\``);
    if (!options.local) return await startOnAws(workflow, group, options, io, deps, now());
    const state = openLocalState(options.stateDir);
    const config = await localGroup(state, group);
    const dns = parseLoopbackAddress(options.dns ?? `${DEFAULT_LOCAL_DNS.address}:${DEFAULT_LOCAL_DNS.port}`, '--dns');
    const input = inputOf(workflow, group, options, config, now());
    if (workflow === 'failover') await admitFailover(state, config, options, io);
    const executionName = `cli-${workflow}-${group}-${randomUUID().slice(0, 8)}`;
    const c = paint(io.isTty);
    const t0 = now().getTime();
    const opened = new Map<string, number>();
    const lastProgress = new Map<string, ProgressSample>();
    if (!options.json) io.err(`${workflow} ${group}: started ${executionName} (local runtime, recorded in ${state.dir}/executions)`);
    const result = await (deps.runLocal ?? defaultRunLocal)({
      workflow,
      input,
      state,
      dns,
      executionName,
      onEvent: (e) => {
        const key = `${e.state}${e.detail?.startsWith('[item') ? e.detail : ''}`;
        if (e.type === 'entered') {
          opened.set(key, e.at.getTime());
          return;
        }
        if (!options.wait || options.json) return;
        const start = opened.get(key) ?? e.at.getTime();
        const at = `+${((start - t0) / 1000).toFixed(3)}s`.padStart(9);
        const outcome = e.type === 'succeeded' ? c('ok', 'green') : e.type === 'retry' ? c('retry', 'yellow') : c(e.type, 'red');
        io.out(`${at}  ${e.state.padEnd(26)} ${formatDuration(e.at.getTime() - start).padStart(8)}  ${outcome}${e.type !== 'succeeded' && e.detail ? `  ${e.detail}` : ''}`);
        if (e.progress) {
          // A restore job's poll: bytes done of the total and an ETA from the previous poll.
          const sample = { at: e.at.getTime(), bytesDone: e.progress.bytesDone, bytesTotal: e.progress.bytesTotal };
          io.out(`${' '.repeat(11)}${describeRestoreProgress(e.progress.database, sample, lastProgress.get(e.progress.database))}`);
          lastProgress.set(e.progress.database, sample);
        }
      },
    });
    return reportResult(workflow, result, io, options.json, executionName);
  } catch (error) {
    if (error instanceof CliInputError) return reportInputError(error, io);
    throw error;
  }
}

async function startOnAws(workflow: WorkflowName, group: string, options: WorkflowCommandOptions, io: CliIo, deps: WorkflowCommandDeps, now: Date): Promise<number> {
  const target = awsTarget(`${workflow} ${group}`, options);
  const region = target.region;
  if (options.wait) io.err('note: --wait follows local executions only for now; follow this one in the Step Functions console');
  const input = inputOf(workflow, group, options, undefined, now);
  const client = deps.sfnClient ? deps.sfnClient(region) : new SFNClient({ region });
  const started = await startAwsExecution(client, target, workflow, group, input);
  if (options.json) io.out(JSON.stringify({ workflow, executionName: started.executionName, started: started.started, executionArn: started.executionArn }, null, 2));
  else io.out(`${workflow} ${group}: ${started.started ? 'started' : 'already exists'} ${started.executionArn}`);
  return EXIT.ok;
}

const HELP: Record<WorkflowName, { description: string; example: string }> = {
  replicate: { description: 'start the replicate workflow: back up each primary database, restore it on the twin, start replication, publish env vars', example: 'npx twinstack replicate drill --local --wait' },
  failover: { description: 'start the failover workflow: fence the primary, promote the twin\'s databases, point DNS at the twin (refused while the decision holds, unless --force)', example: 'npx twinstack failover drill --local --wait\n  npx twinstack failover drill --local --force --yes' },
  // Its own command (clone.command.ts: target region, KMS key, subnet mapping, --write); listed for the Record.
  'clone-stack': { description: 'start the clone-stack workflow: build the twin of the group\'s primary in another region', example: 'npx twinstack clone drill --local --wait' },
  deploy: { description: 'start the deploy workflow: deploy one revision to both stacks of the group', example: 'npx twinstack deploy drill --local --revision $(git rev-parse HEAD) --wait' },
  switchover: {
    description: 'start the switchover workflow: a planned move to the other stack that loses nothing (demote every primary, wait until each replica has its final position, promote, switch DNS, rejoin the old primaries); refused with its reasons when a replica is not ready, undone when the catch-up times out',
    example: 'npx twinstack switchover drill --local --wait\n  npx twinstack switchover drill --to primary --local --json',
  },
  rejoin: { description: 'start the rejoin workflow: the old primary\'s stack becomes a replica of the active one (re-pointed, rewound or restored; divergent writes saved aside and counted), never re-promoted (refused while an old primary is writable and un-fenced)', example: 'npx twinstack rejoin drill --local --wait' },
};

export function registerWorkflowCommands(program: Command, io: CliIo, setExitCode: (code: number) => void, deps: WorkflowCommandDeps = {}): void {
  for (const workflow of ['replicate', 'failover', 'switchover', 'deploy', 'rejoin'] as const) {
    const command = program
      .command(workflow)
      .description(HELP[workflow].description)
      .argument('<group>', 'the failover group')
      .option('--local', 'run through the local runtime (this process) against the state dir\'s hosts')
      .option('--state-dir <dir>', 'local runtime state (default: .twinstack/state, else drill-report/state)')
      .option('--wait', 'follow it state by state, then print the decision and its reasons')
      .option('--json', 'print the result as JSON')
      .option('--dns <host:port>', 'local DNS server the runtime verifies against', `${DEFAULT_LOCAL_DNS.address}:${DEFAULT_LOCAL_DNS.port}`)
      .option('--region <region>', 'AWS: the control region (default: AWS_REGION)')
      .option('--account <id>', 'AWS: the account of the state machines (default: TWINSTACK_AWS_ACCOUNT)');
    if (workflow === 'failover') {
      command.option('--force', 'fail over even though the decision holds (may lose writes: it says how many)').option('--yes', 'with --force: do not ask for confirmation');
    }
    if (workflow === 'switchover') {
      command.option('--to <stack>', 'primary or twin: the stack to switch to (default: the standby)').option('--catch-up-timeout <seconds>', 'seconds (1-600) the replicas get to catch up before the switchover is undone (default 30)');
    }
    if (workflow === 'deploy') command.option('--revision <sha>', 'full 40-hex commit id to deploy').option('--branch <branch>', 'the branch it came from (default: the group\'s source branch)');
    command
      .addHelpText(
        'after',
        `
Example:
  ${HELP[workflow].example}

Exit codes: 0 succeeded (or started, on AWS); 2 invalid input (unknown group, no local state, no credentials): nothing started;
3 refused (the decision held, or --force not confirmed): nothing started${workflow === 'failover' ? '' : ' (or the workflow held)'}; 4 the workflow failed; 1 fault.`,
      )
      .action(async (group: string, options: WorkflowCommandOptions) => {
        setExitCode(await runWorkflowCommand(workflow, group, options, io, deps));
      });
  }
}
