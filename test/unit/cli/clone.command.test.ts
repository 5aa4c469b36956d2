import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from '../../../infra/cli/cli-io.ts';
import { DEFAULT_WAIT_TIMEOUT_SECONDS, cloneInputOf, runCloneCommand, type CloneCommandDeps, type LocalCloneRun } from '../../../infra/cli/commands/clone.command.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { Stack } from '../../../functions/core/model.ts';
import { FileParameterStore } from '../../../functions/adapters/local/file.parameter-store.ts';
import { sampleGroup } from '../handlers/fakes/fake-world.ts';

const KEY = `SHA256:${'Z'.repeat(43)}`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'twinstack-clone-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function io(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

/** A state dir holding the sample group without its twin. */
function stateDir(): string {
  const { twin: _twin, ...awaiting } = sampleGroup();
  const state = join(dir, 'state');
  mkdirSync(state, { recursive: true });
  writeFileSync(join(state, 'parameters.json'), JSON.stringify({ [parameterNames.config('shop')]: { value: JSON.stringify(awaiting), secret: false } }));
  return state;
}

/** Plays RegisterTwin: the twin written into the state's config, as the workflow would. */
function registeringRun(seen: LocalCloneRun[]) {
  return async (run: LocalCloneRun) => {
    seen.push(run);
    const params = new FileParameterStore(run.state.parameterFile);
    const group = JSON.parse((await params.get(parameterNames.config('shop'))) ?? '{}') as { primary: Stack };
    const twin: Stack = { ...group.primary, name: 'shop-eu-local', region: 'local', hosts: group.primary.hosts.map((h, i) => ({ ...h, address: `127.0.2.${i + 1}`, hostKey: KEY })) };
    await params.put(parameterNames.config('shop'), JSON.stringify({ ...group, twin }));
    return { status: 'SUCCEEDED' as const, output: {}, events: [], durationMs: 1234 };
  };
}

describe('twinstack clone', () => {
  it('builds the workflow input from the flags, each subnet mapped', () => {
    // Act
    const input = cloneInputOf('shop', { targetRegion: 'eu-central-1', kmsKey: 'alias/k', vpc: 'vpc-1', subnet: ['subnet-a=subnet-x', 'subnet-b=subnet-y'], keepOnFailure: true });
    // Assess
    expect(input).toEqual({ group: 'shop', targetRegion: 'eu-central-1', options: { kmsKeyId: 'alias/k', vpcId: 'vpc-1', subnets: { 'subnet-a': 'subnet-x', 'subnet-b': 'subnet-y' }, noReboot: true, keepOnFailure: true } });
  });

  it.each([
    [{ kmsKey: 'k', vpc: 'v' }, 'no --target-region'],
    [{ targetRegion: 'eu-central-1', vpc: 'v' }, 'no --kms-key'],
    [{ targetRegion: 'eu-central-1', kmsKey: 'k' }, 'no --vpc'],
    [{ targetRegion: 'eu-central-1', kmsKey: 'k', vpc: 'v', subnet: ['subnet-a'] }, 'is not SOURCE=TARGET'],
  ])('refuses %o with exit 2, starting nothing', async (options, problem) => {
    // Prepare
    const cli = io();
    const seen: LocalCloneRun[] = [];
    // Act
    const code = await runCloneCommand('shop', options, cli, { runLocal: registeringRun(seen), sfnClient: () => { throw new Error('no AWS call expected'); } });
    // Assess
    expect(code).toBe(2);
    expect(cli.errors.join('\n')).toContain(problem);
    expect(seen).toEqual([]);
  });

  it('--local prints the twin block as YAML with the pinned fingerprints; --write writes it', async () => {
    // Prepare
    const cli = io();
    const seen: LocalCloneRun[] = [];
    const file = join(dir, 'twin.yaml');
    // Act
    const printed = await runCloneCommand('shop', { local: true, stateDir: stateDir() }, cli, { runLocal: registeringRun(seen) });
    const written = await runCloneCommand('shop', { local: true, stateDir: join(dir, 'state'), write: file }, io(), { runLocal: registeringRun(seen) });
    // Assess
    expect([printed, written]).toEqual([0, 0]);
    expect(seen[0]?.input).toEqual({ group: 'shop', targetRegion: 'local-twin', options: { kmsKeyId: 'local', vpcId: 'vpc-lab', subnets: { 'subnet-lab': 'subnet-lab' }, noReboot: true, keepOnFailure: false } });
    expect(seen[0]?.addresses).toEqual({ first: '127.0.2.1', last: '127.0.2.20' });
    const block = parse(cli.lines.join('\n')) as { twin: Stack };
    expect(block.twin.name).toBe('shop-eu-local');
    expect(block.twin.hosts.map((h) => h.hostKey)).toEqual([KEY, KEY]);
    expect(parse(readFileSync(file, 'utf8'))).toEqual(block);
  });

  it('a refused clone exits 3 with the reasons', async () => {
    // Prepare
    const cli = io();
    const refused = () => Promise.resolve({ status: 'FAILED' as const, error: 'CloneRefused', cause: 'clone of shop refused, nothing was created: options.kmsKeyId is missing', events: [], durationMs: 5 });
    // Act
    const code = await runCloneCommand('shop', { local: true, stateDir: stateDir() }, cli, { runLocal: refused });
    // Assess
    expect(code).toBe(3);
    expect(cli.lines.join('\n')).toContain('options.kmsKeyId is missing');
  });
});

describe('twinstack clone on AWS', () => {
  const sfn = mockClient(SFNClient);
  const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  const TARGET = { region: 'eu-central-1', account: '123456789012' };
  const FLAGS = { ...TARGET, targetRegion: 'eu-central-1', kmsKey: 'alias/twinstack', vpc: 'vpc-0abc', subnet: ['subnet-0a1=subnet-0b1'] };
  const MACHINE = 'arn:aws:states:eu-central-1:123456789012:stateMachine:twinstack-clone-stack';
  const TWIN: Stack = { ...sampleGroup().twin, name: 'shop-eu-central-1', hosts: sampleGroup().twin.hosts.map((h) => ({ ...h, hostKey: KEY })) };
  const POLL_MS = 15_000;

  /** Fake time: each sleep moves the clock by what it waited (no real wait, no wall clock asserted). */
  function awsDeps(): CloneCommandDeps & { slept: number[] } {
    let clock = 0;
    const slept: number[] = [];
    return {
      slept,
      sfnClient: (region) => new SFNClient({ region, credentials: CREDS }),
      pollMs: POLL_MS,
      sleep: (ms) => {
        slept.push(ms);
        clock += ms;
        return Promise.resolve();
      },
      now: () => clock,
    };
  }
  const started = () => sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({ executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: new Date(0) }));
  const described = (...answers: object[]) => {
    const mock = sfn.on(DescribeExecutionCommand);
    answers.forEach((a) => mock.resolvesOnce(a));
    return mock.resolves(answers.at(-1) as never);
  };
  const succeeded = { status: 'SUCCEEDED', startDate: new Date(0), stopDate: new Date(754_000), output: JSON.stringify({ group: 'shop', registered: { twin: TWIN, registered: true, reasons: [], published: [] } }) };

  beforeEach(() => sfn.reset());
  afterEach(() => vi.unstubAllEnvs());

  it('without --wait: starts twinstack-clone-stack with the flags as input and says where the block will be stored', async () => {
    // Prepare
    const cli = io();
    const deps = awsDeps();
    started();
    // Act
    const code = await runCloneCommand('shop', FLAGS, cli, deps);
    // Assess
    expect(code).toBe(0);
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(call?.stateMachineArn).toBe(MACHINE);
    expect(call?.name).toMatch(/^cli-clone-stack-shop-[0-9a-f]{8}$/);
    expect(JSON.parse(call?.input ?? '{}')).toEqual(cloneInputOf('shop', FLAGS));
    expect(cli.lines.join('\n')).toContain(`twin's block is stored in ${parameterNames.config('shop')}`);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('--wait polls DescribeExecution until it ends, then prints the twin block from the output; --write writes it', async () => {
    // Prepare
    const cli = io();
    const deps = awsDeps();
    const file = join(dir, 'twin.yaml');
    started();
    described({ status: 'RUNNING' }, { status: 'RUNNING' }, succeeded);
    // Act
    const printed = await runCloneCommand('shop', { ...FLAGS, wait: true }, cli, deps);
    const writtenCli = io();
    const written = await runCloneCommand('shop', { ...FLAGS, write: file }, writtenCli, awsDeps());
    // Assess
    expect([printed, written]).toEqual([0, 0]);
    expect(deps.slept).toEqual([POLL_MS, POLL_MS]);
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)[0]).toMatch(/:execution:twinstack-clone-stack:cli-clone-stack-shop-/);
    const block = parse(cli.lines.join('\n')) as { twin: Stack };
    expect(block.twin).toEqual(TWIN);
    expect(block.twin.hosts.map((h) => h.hostKey)).toEqual(TWIN.hosts.map(() => KEY));
    expect(parse(readFileSync(file, 'utf8'))).toEqual(block);
    expect(writtenCli.lines.join('\n')).toMatch(/SUCCEEDED.* in .*: twin shop-eu-central-1/);
  });

  it('--wait gives up after --wait-timeout with a clear message, bounded in DescribeExecution calls; the execution goes on', async () => {
    // Prepare
    const cli = io();
    const deps = awsDeps();
    started();
    described({ status: 'RUNNING' });
    // Act
    const code = await runCloneCommand('shop', { ...FLAGS, wait: true, waitTimeout: '60' }, cli, deps);
    // Assess
    expect(code).toBe(1);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(60_000 / POLL_MS + 1);
    const message = cli.errors.at(-1) ?? '';
    expect(message).toMatch(/^twinstack: clone shop: cli-clone-stack-shop-[0-9a-f]{8} is still RUNNING after .* \(--wait-timeout 60 s\); it goes on: follow it with `twinstack history shop`/);
    expect(message).toContain(`the twin's block is in ${parameterNames.config('shop')}`);
  });

  it('--wait tolerates the execution not being visible yet right after the start', async () => {
    // Prepare
    const cli = io();
    started();
    sfn.on(DescribeExecutionCommand).rejectsOnce(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' })).resolves(succeeded as never);
    // Act
    const code = await runCloneCommand('shop', { ...FLAGS, wait: true, json: true }, cli, awsDeps());
    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(cli.lines.join('\n'))).toMatchObject({ workflow: 'clone-stack', status: 'SUCCEEDED', durationMs: 754_000, twin: TWIN });
  });

  it.each([
    ['CloneRefused', 'clone of shop refused, nothing was created: options.subnets has no mapping for subnet-0a2', 3],
    ['InstancesTimedOut', 'the instances were not ready in time; rolled back', 4],
  ])('--wait on a failed execution (%s) prints its cause and exits %i', async (error, cause, exit) => {
    // Prepare
    const cli = io();
    started();
    described({ status: 'FAILED', error, cause, startDate: new Date(0), stopDate: new Date(5_000) });
    // Act
    const code = await runCloneCommand('shop', { ...FLAGS, wait: true }, cli, awsDeps());
    // Assess
    expect(code).toBe(exit);
    expect(cli.lines.join('\n')).toContain(`${error}: ${cause}`);
  });

  it.each([
    [{ waitTimeout: '0' }, '--wait-timeout must be a whole number of seconds'],
    [{ waitTimeout: 'soon' }, '--wait-timeout must be a whole number of seconds'],
    [{ region: undefined, account: undefined }, 'no AWS region for clone shop'],
  ])('refuses %o with exit 2, starting nothing', async (flags, problem) => {
    // Prepare
    const cli = io();
    started();
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', undefined);
    // Act
    const code = await runCloneCommand('shop', { ...FLAGS, wait: true, ...flags }, cli, awsDeps());
    // Assess
    expect(code).toBe(2);
    expect(cli.errors.join('\n')).toContain(problem);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('defaults --wait-timeout to the workflow\'s own timeout', () => {
    // Prepare
    const asl = JSON.parse(readFileSync(join(import.meta.dirname, '../../../statemachines/clone-stack.asl.json'), 'utf8')) as { TimeoutSeconds: number };
    // Assess
    expect(DEFAULT_WAIT_TIMEOUT_SECONDS).toBe(asl.TimeoutSeconds);
  });
});
