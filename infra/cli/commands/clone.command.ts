/**
 * `twinstack clone GROUP --target-region R [--kms-key K] [--vpc V] [--subnet a=b …] [--local] [--wait] [--write FILE]`:
 * build the group's twin with the clone-stack workflow, then print (or write) the twin's stack
 * block as YAML with its pinned host key fingerprints, so nobody types a fingerprint by hand.
 *
 * --local: runs the workflow through the local runtime in this process over the lab's Compute
 * (a new loopback host per host of the primary: its own sshd, Docker engine and empty database
 * servers; needs root, as the lab does); the block printed is what RegisterTwin stored in the
 * local config. Without --local: StartExecution of `twinstack-clone-stack` in --region/--account
 * (RegisterTwin stores the block in the group's config parameter); with --wait (or --write) the
 * command polls DescribeExecution for at most --wait-timeout seconds and prints the block from
 * the execution's output (`registered.twin`); past the timeout it says so and the execution goes on.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SFNClient } from '@aws-sdk/client-sfn';
import { stringify } from 'yaml';
import type { Stack } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { AddressRange } from '../../local/runtime/lab-address-allocator.ts';
import type { WorkflowEvent, WorkflowResult } from '../../local/runtime/run-workflow.ts';
import { startAwsExecution, waitForAwsExecution } from '../aws-executions.ts';
import { awsTarget } from '../aws-target.ts';
import { CliInputError, EXIT, reportInputError, type CliIo } from '../cli-io.ts';
import { formatDuration, paint, statusColour } from '../format.ts';
import { DEFAULT_LOCAL_DNS } from '../local-observe.ts';
import { localGroupNames, openLocalState, type LocalState } from '../local-state.ts';
import { parseLoopbackAddress } from './serve.command.ts';

export interface CloneCommandOptions {
  readonly targetRegion?: string;
  readonly sourceStack?: string;
  readonly kmsKey?: string;
  readonly vpc?: string;
  readonly subnet?: readonly string[];
  readonly twinName?: string;
  readonly keepOnFailure?: boolean;
  readonly reboot?: boolean;
  readonly local?: boolean;
  readonly stateDir?: string;
  readonly labRoot?: string;
  readonly addresses?: string;
  readonly dns?: string;
  readonly wait?: boolean;
  /** AWS: seconds --wait polls before it gives up (the execution goes on). */
  readonly waitTimeout?: string;
  readonly write?: string;
  readonly json?: boolean;
  readonly region?: string;
  readonly account?: string;
}

export interface LocalCloneRun {
  readonly input: unknown;
  readonly state: LocalState;
  readonly dns: { readonly address: string; readonly port: number };
  readonly labRoot: string;
  readonly addresses: AddressRange;
  readonly executionName: string;
  readonly onEvent: (e: WorkflowEvent) => void;
}

/** What a test may replace: the local runner, the SFN client, the wait between DescribeExecution polls. */
export interface CloneCommandDeps {
  readonly runLocal?: (run: LocalCloneRun) => Promise<WorkflowResult>;
  readonly sfnClient?: (region: string) => SFNClient;
  /** @default 15 000 */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<unknown>;
  readonly now?: () => number;
}

/** The workflow's own TimeoutSeconds (statemachines/clone-stack.asl.json): no execution runs longer. */
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 7200;
const MAX_WAIT_TIMEOUT_SECONDS = 86_400;

const GROUP_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const SUBNET_PAIR = /^([A-Za-z0-9][A-Za-z0-9._:/-]{0,255})=([A-Za-z0-9][A-Za-z0-9._:/-]{0,255})$/;
const RANGE = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3})-(127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** The drill's lab and the addresses its twin would have (`npm run drill` keeps its twin on 127.0.2.1). */
export const DEFAULT_LAB_ROOT = '/var/tmp/twinstack-lab';
export const DEFAULT_CLONE_ADDRESSES = '127.0.2.1-127.0.2.20';

async function defaultRunLocal(run: LocalCloneRun): Promise<WorkflowResult> {
  const [{ runWorkflow }, { createLocalStepDeps }, { silentLogger }, { LabCompute }, { ensureLabUser }, { LAB_HOST_ROOT }] = await Promise.all([
    import('../../local/runtime/run-workflow.ts'),
    import('../../local/runtime/local-step-deps.ts'),
    import('../local-observe.ts'),
    import('../../local/runtime/lab-compute.ts'),
    import('../../local/lab/lab-user.ts'),
    import('../../local/drill/drill-config.ts'),
  ]);
  const user = await ensureLabUser({ labRoot: run.labRoot });
  const base = createLocalStepDeps({ parameterFile: run.state.parameterFile, zoneFile: run.state.zoneFile, leaseFile: run.state.leaseFile, dnsServer: run.dns, logger: silentLogger() });
  const compute = new LabCompute({ labRoot: run.labRoot, mountPoint: LAB_HOST_ROOT, user, addresses: run.addresses, params: base.params });
  return runWorkflow({ workflow: 'clone-stack', input: run.input, deps: { ...base, compute }, executionName: run.executionName, record: { stateDir: run.state.dir, trigger: 'operator' }, onEvent: run.onEvent });
}

/** What a local clone uses when a flag is absent (drill-clone.ts's `localCloneInput`: the lab's key, VPC and subnet). */
export interface LocalCloneDefaults { readonly targetRegion: string; readonly options: { readonly kmsKeyId: string; readonly vpcId: string; readonly subnets: Readonly<Record<string, string>> } }

/** The workflow input from the flags; the workflow's PlanClone checks every value again and names its fix. */
export function cloneInputOf(group: string, options: CloneCommandOptions, local?: LocalCloneDefaults): Record<string, unknown> {
  if (!GROUP_NAME.test(group)) throw new CliInputError(`invalid group name ${JSON.stringify(group)}`, "use the group's name from twinstack.yaml");
  const targetRegion = options.targetRegion ?? local?.targetRegion;
  if (!targetRegion) throw new CliInputError(`clone of ${group}: no --target-region`, 'pass --target-region REGION (the twin\'s region, e.g. eu-central-1)');
  const subnets: Record<string, string> = {};
  for (const pair of options.subnet ?? []) {
    const m = SUBNET_PAIR.exec(pair);
    if (!m) throw new CliInputError(`--subnet ${JSON.stringify(pair)} is not SOURCE=TARGET`, 'pass one --subnet per source subnet, e.g. --subnet subnet-0a1=subnet-0b1');
    const source = m[1] ?? '';
    if (Object.hasOwn(subnets, source)) throw new CliInputError(`--subnet maps ${source} twice`, `pass one --subnet per source subnet (${source}=${subnets[source]} or ${pair})`);
    subnets[source] = m[2] ?? '';
  }
  const kmsKeyId = options.kmsKey ?? local?.options.kmsKeyId;
  if (!kmsKeyId) throw new CliInputError(`clone of ${group}: no --kms-key`, `pass --kms-key KEY (a KMS key id, alias/… or ARN in ${targetRegion}) that encrypts the copied images`);
  const vpcId = options.vpc ?? local?.options.vpcId;
  if (!vpcId) throw new CliInputError(`clone of ${group}: no --vpc`, `pass --vpc VPC_ID (the VPC in ${targetRegion} the twin runs in)`);
  if (local && Object.keys(subnets).length === 0) Object.assign(subnets, local.options.subnets);
  return {
    group,
    targetRegion,
    ...(options.sourceStack ? { sourceStack: options.sourceStack } : {}),
    options: { kmsKeyId, vpcId, subnets, noReboot: options.reboot !== true, keepOnFailure: options.keepOnFailure === true, ...(options.twinName ? { twinName: options.twinName } : {}) },
  };
}

/** The twin's block as a user keeps it in twinstack.yaml (under the group). */
export function twinBlockYaml(twin: Stack): string {
  return `# The twin cloned by \`twinstack clone\`: paste under the group in twinstack.yaml (host keys pinned).\n${stringify({ twin }, { lineWidth: 0 })}`;
}

function parseRange(text: string): AddressRange {
  const m = RANGE.exec(text);
  if (!m) throw new CliInputError(`--addresses ${JSON.stringify(text)} is not FIRST-LAST of loopback addresses`, `pass e.g. --addresses ${DEFAULT_CLONE_ADDRESSES}`);
  return { first: m[1] ?? '', last: m[2] ?? '' };
}

export async function runCloneCommand(group: string, options: CloneCommandOptions, io: CliIo, deps: CloneCommandDeps = {}): Promise<number> {
  try {
    const input = cloneInputOf(group, options, options.local ? (await import('../../local/drill/drill-clone.ts')).localCloneInput(group) : undefined);
    if (!options.local) return await startOnAws(group, input, options, io, deps);
    const state = openLocalState(options.stateDir);
    if (!(await localGroupNames(state)).includes(group)) throw new CliInputError(`unknown group ${JSON.stringify(group)} in ${state.dir}`, 'provision the group first (its config with the primary stack, no twin)');
    const dns = parseLoopbackAddress(options.dns ?? `${DEFAULT_LOCAL_DNS.address}:${DEFAULT_LOCAL_DNS.port}`, '--dns');
    const executionName = `cli-clone-stack-${group}-${randomUUID().slice(0, 8)}`;
    const c = paint(io.isTty);
    if (!options.json) io.err(`clone ${group}: started ${executionName} (local runtime, recorded in ${state.dir}/executions)`);
    const opened = new Map<string, number>();
    const result = await (deps.runLocal ?? defaultRunLocal)({
      input,
      state,
      dns,
      labRoot: options.labRoot ?? DEFAULT_LAB_ROOT,
      addresses: parseRange(options.addresses ?? DEFAULT_CLONE_ADDRESSES),
      executionName,
      onEvent: (e) => {
        if (e.type === 'entered') return void opened.set(e.state, e.at.getTime());
        if (!options.wait || options.json) return;
        const took = e.at.getTime() - (opened.get(e.state) ?? e.at.getTime());
        const outcome = e.type === 'succeeded' ? c('ok', 'green') : e.type === 'retry' ? c('retry', 'yellow') : c(e.type, 'red');
        io.out(`  ${e.state.padEnd(26)} ${formatDuration(took).padStart(8)}  ${outcome}${e.type !== 'succeeded' && e.detail ? `  ${e.detail}` : ''}`);
      },
    });
    if (result.status !== 'SUCCEEDED') return reportFailedClone({ executionName, status: result.status, error: result.error, cause: result.cause, durationMs: result.durationMs }, options, io);
    const stored = JSON.parse((await state.params.get(parameterNames.config(group))) ?? '{}') as { twin?: Stack };
    if (!stored.twin) throw new Error(`clone-stack of ${group} succeeded but its config has no twin`);
    return reportTwin({ executionName, durationMs: result.durationMs, twin: stored.twin }, options, io);
  } catch (error) {
    if (error instanceof CliInputError) return reportInputError(error, io);
    throw error;
  }
}

/** A clone that did not succeed: its error and cause; exit 3 when the plan refused it (nothing created), else 4. */
function reportFailedClone(run: { readonly executionName: string; readonly status: string; readonly error?: string; readonly cause?: string; readonly durationMs?: number }, options: CloneCommandOptions, io: CliIo): number {
  const c = paint(io.isTty);
  if (options.json) io.out(JSON.stringify({ workflow: 'clone-stack', executionName: run.executionName, status: run.status, error: run.error ?? null, cause: run.cause ?? null }, null, 2));
  else io.out(`clone-stack ${run.executionName}: ${c(run.status, statusColour(run.status))}${run.durationMs !== undefined ? ` in ${formatDuration(run.durationMs)}` : ''}\n  ${run.error ?? ''}: ${run.cause ?? ''}`);
  return run.error === 'CloneRefused' ? EXIT.refused : EXIT.workflowFailed;
}

/** A cloned twin: its block printed (or written to --write), or the JSON result. */
function reportTwin(run: { readonly executionName: string; readonly durationMs?: number; readonly twin: Stack }, options: CloneCommandOptions, io: CliIo): number {
  const c = paint(io.isTty);
  const yaml = twinBlockYaml(run.twin);
  if (options.write) {
    writeFileSync(options.write, yaml, { mode: 0o644 });
    io.err(`wrote the twin's block (${run.twin.hosts.length} host(s), keys pinned) to ${options.write}`);
  }
  const took = run.durationMs !== undefined ? ` in ${formatDuration(run.durationMs)}` : '';
  if (options.json) io.out(JSON.stringify({ workflow: 'clone-stack', executionName: run.executionName, status: 'SUCCEEDED', durationMs: run.durationMs !== undefined ? Math.round(run.durationMs) : null, twin: run.twin }, null, 2));
  else if (!options.write) io.out(yaml.trimEnd());
  else io.out(`clone-stack ${run.executionName}: ${c('SUCCEEDED', 'green')}${took}: twin ${run.twin.name}`);
  return EXIT.ok;
}

/** `--wait-timeout` in seconds (1 to a day); CliInputError naming the fix, before anything starts. */
function waitTimeoutSecondsOf(text: string | undefined): number {
  if (text === undefined) return DEFAULT_WAIT_TIMEOUT_SECONDS;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WAIT_TIMEOUT_SECONDS) {
    throw new CliInputError(`--wait-timeout must be a whole number of seconds from 1 to ${MAX_WAIT_TIMEOUT_SECONDS} (got ${JSON.stringify(text)})`, `omit it for ${DEFAULT_WAIT_TIMEOUT_SECONDS} s (the workflow's own timeout)`);
  }
  return seconds;
}

/** The twin's block in a clone-stack execution's output (RegisterTwin's result at `registered.twin`). */
export function twinOfExecutionOutput(output: string | undefined): Stack | undefined {
  let parsed: unknown;
  try {
    parsed = output === undefined ? undefined : JSON.parse(output);
  } catch {
    return undefined;
  }
  const twin = (parsed as { registered?: { twin?: Stack } } | undefined)?.registered?.twin;
  return typeof twin?.name === 'string' && Array.isArray(twin.hosts) ? twin : undefined;
}

async function startOnAws(group: string, input: Record<string, unknown>, options: CloneCommandOptions, io: CliIo, deps: CloneCommandDeps): Promise<number> {
  const target = awsTarget(`clone ${group}`, options);
  // The block exists only once the execution ends: --write waits for it.
  const wait = options.wait === true || options.write !== undefined;
  const timeoutSeconds = waitTimeoutSecondsOf(options.waitTimeout);
  const client = deps.sfnClient ? deps.sfnClient(target.region) : new SFNClient({ region: target.region });
  const run = await startAwsExecution(client, target, 'clone-stack', group, input, `clone ${group}`);
  const config = parameterNames.config(group);
  if (!wait) {
    if (options.json) io.out(JSON.stringify({ workflow: 'clone-stack', executionName: run.executionName, started: run.started, executionArn: run.executionArn }, null, 2));
    else io.out(`clone ${group}: ${run.started ? 'started' : 'already exists'} ${run.executionArn}\n  when it succeeds the twin's block is stored in ${config}; add --wait to print it here`);
    return EXIT.ok;
  }
  if (!options.json) io.err(`clone ${group}: started ${run.executionArn}; waiting up to ${formatDuration(timeoutSeconds * 1000)} for it to end`);
  const ended = await waitForAwsExecution(client, run.executionArn, { timeoutMs: timeoutSeconds * 1000, pollMs: deps.pollMs, sleep: deps.sleep, now: deps.now });
  if (!ended.finished) {
    const message = `clone ${group}: ${run.executionName} is still ${ended.status} after ${formatDuration(ended.waitedMs)} (--wait-timeout ${timeoutSeconds} s); it goes on: follow it with \`twinstack history ${group}\` or in the Step Functions console (${run.executionArn}); when it succeeds the twin's block is in ${config}`;
    if (options.json) io.out(JSON.stringify({ workflow: 'clone-stack', executionName: run.executionName, executionArn: run.executionArn, status: ended.status, waitTimedOut: true }, null, 2));
    io.err(`twinstack: ${message}`);
    return EXIT.fault;
  }
  const durationMs = ended.startDate && ended.stopDate ? ended.stopDate.getTime() - ended.startDate.getTime() : undefined;
  if (ended.status !== 'SUCCEEDED') return reportFailedClone({ executionName: run.executionName, status: ended.status ?? 'UNKNOWN', error: ended.error, cause: ended.cause, durationMs }, options, io);
  const twin = twinOfExecutionOutput(ended.output);
  if (!twin) throw new Error(`clone-stack ${run.executionName} succeeded but its output has no registered.twin: read the twin's block from ${config}`);
  return reportTwin({ executionName: run.executionName, durationMs, twin }, options, io);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerCloneCommand(program: Command, io: CliIo, setExitCode: (code: number) => void, deps: CloneCommandDeps = {}): void {
  program
    .command('clone')
    .description("build the group's twin with the clone-stack workflow and print its stack block (pinned host keys) as YAML")
    .argument('<group>', 'the failover group (its config has the primary; the twin is what is built)')
    .option('--target-region <region>', "the twin's region (default with --local: the lab label local-twin)")
    .option('--source-stack <name>', "the stack to clone (default and only choice: the group's primary)")
    .option('--kms-key <key>', 'KMS key (id, alias/… or ARN) in the target region that encrypts the copied images')
    .option('--vpc <id>', 'the target VPC the twin runs in')
    .option('--subnet <source=target>', 'map a source subnet to a target subnet (once per subnet)', collect)
    .option('--twin-name <name>', "the twin stack's name (default: <primary>-<target region>)")
    .option('--reboot', 'reboot the source hosts while imaging them (consistent file systems; default: no reboot)')
    .option('--keep-on-failure', 'keep what a failed clone made, for inspection (default: removed)')
    .option('--local', 'run through the local runtime over the lab (needs root)')
    .option('--state-dir <dir>', 'local runtime state (default: .twinstack/state, else drill-report/state)')
    .option('--lab-root <dir>', 'local: where lab hosts keep their files', DEFAULT_LAB_ROOT)
    .option('--addresses <first-last>', 'local: loopback addresses the twin hosts may get', DEFAULT_CLONE_ADDRESSES)
    .option('--dns <host:port>', 'local DNS server the runtime verifies against', `${DEFAULT_LOCAL_DNS.address}:${DEFAULT_LOCAL_DNS.port}`)
    .option('--wait', 'local: follow it state by state; AWS: wait until the execution ends, then print the twin\'s block')
    .option('--wait-timeout <seconds>', `AWS: how long --wait polls before it gives up, the execution going on (default ${DEFAULT_WAIT_TIMEOUT_SECONDS}, the workflow's own timeout)`)
    .option('--write <file>', "write the twin's block to FILE instead of printing it (AWS: implies --wait)")
    .option('--json', 'print the result as JSON')
    .option('--region <region>', 'AWS: the control region (default: AWS_REGION)')
    .option('--account <id>', 'AWS: the account of the state machines (default: TWINSTACK_AWS_ACCOUNT)')
    .addHelpText(
      'after',
      `
Example:
  npx twinstack clone shop --target-region eu-central-1 --kms-key alias/twinstack --vpc vpc-0abc --subnet subnet-0a1=subnet-0b1 --region eu-central-1
  npx twinstack clone shop --target-region eu-central-1 --kms-key alias/twinstack --vpc vpc-0abc --subnet subnet-0a1=subnet-0b1 --region eu-central-1 --wait --write twin.yaml
  npx twinstack clone drill --local --wait --write twin.yaml

Exit codes: 0 cloned (or started, on AWS without --wait); 2 invalid input: nothing started; 3 refused by the plan (the reasons name each fix): nothing created;
4 the workflow failed (what it made is rolled back unless --keep-on-failure); 1 fault, or --wait gave up (the execution goes on).`,
    )
    .action(async (group: string, options: CloneCommandOptions) => {
      setExitCode(await runCloneCommand(group, options, io, deps));
    });
}
