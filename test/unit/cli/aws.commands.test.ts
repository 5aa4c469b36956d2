import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import type { CliIo } from '../../../infra/cli/cli-io.ts';
import { runCli } from '../../../infra/cli/program.ts';
import { historyEntryOfExecution, listAwsExecutions } from '../../../infra/cli/aws-executions.ts';
import { awsTarget } from '../../../infra/cli/aws-target.ts';
import { WORKFLOW_NAMES } from '../../../functions/core/workflows/workflow-names.ts';
import { runHistory } from '../../../infra/cli/commands/history.command.ts';
import { runStatus, type GroupStatus } from '../../../infra/cli/commands/status.command.ts';

const TARGET = { region: 'eu-west-1', account: '123456789012' };
const ARN = (wf: string) => `arn:aws:states:eu-west-1:123456789012:stateMachine:twinstack-${wf}`;
const EXEC = (wf: string, name: string) => `arn:aws:states:eu-west-1:123456789012:execution:twinstack-${wf}:${name}`;
const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

const GROUP = {
  name: 'shop',
  dns: { zone: 'shop.example.com', hostedZoneId: 'Z123', name: 'app.shop.example.com', ttl: 60 },
  primary: { name: 'shop-eu', region: 'eu-west-1', healthUrl: 'https://eu/health', hosts: [{ name: 'h1', address: '198.51.100.1', port: 22, user: 'x', hostKey: 'k' }] },
  twin: { name: 'shop-us', region: 'us-east-1', healthUrl: 'https://us/health', hosts: [{ name: 'h1', address: '198.51.100.2', port: 22, user: 'x', hostKey: 'k' }] },
  databases: [{ name: 'main', engine: 'postgres', replication: { mode: 'sync' } }],
  failover: { cooldownSeconds: 300, maxObservationAgeSeconds: 60 },
};

function io(): { lines: { out: string[]; err: string[] }; io: CliIo } {
  const lines = { out: [] as string[], err: [] as string[] };
  return { lines, io: { out: (l) => lines.out.push(l), err: (l) => lines.err.push(l) } };
}

const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);
const r53 = mockClient(Route53Client);
beforeEach(() => {
  sfn.reset();
  ssm.reset();
  r53.reset();
});
afterEach(() => vi.unstubAllEnvs());

/** Executions: one failover by an alarm (succeeded), one deploy by a webhook (failed), one replicate running; another group's failover. */
function mockExecutions(): void {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const described: Record<string, object> = {
    [EXEC('failover', 'f1')]: { name: 'f1', status: 'SUCCEEDED', startDate: t(10), stopDate: t(40), input: JSON.stringify({ group: 'shop', reason: 'CloudWatch alarm shop-primary-down' }), output: JSON.stringify({ outcome: 'failed-over', decision: { action: 'failover', reasons: ['twin streaming, lag 0 bytes'] } }) },
    [EXEC('failover', 'other')]: { name: 'other', status: 'SUCCEEDED', startDate: t(50), stopDate: t(55), input: JSON.stringify({ group: 'blog' }) },
    [EXEC('deploy', 'd1')]: { name: 'd1', status: 'FAILED', startDate: t(20), stopDate: t(21), input: JSON.stringify({ group: 'shop', revision: 'a'.repeat(40), deliveryId: 'gh-1' }), error: 'DeployFailed', cause: 'compose up failed' },
    [EXEC('replicate', 'r1')]: { name: 'r1', status: 'RUNNING', startDate: t(30), input: JSON.stringify({ group: 'shop' }) },
  };
  sfn.on(ListExecutionsCommand).callsFake((input: { stateMachineArn: string; statusFilter?: string }) => {
    const wf = input.stateMachineArn.split('twinstack-')[1] ?? '';
    const arns = Object.keys(described).filter((a) => a.includes(`twinstack-${wf}:`));
    return { executions: arns.filter((a) => !input.statusFilter || (described[a] as { status: string }).status === input.statusFilter).map((executionArn) => ({ executionArn })) };
  });
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => ({ executionArn: input.executionArn, ...described[input.executionArn] }));
}

describe('AWS target and credentials', () => {
  it('needs a region and a 12-digit account, each with its fix', () => {
    expect(() => awsTarget('history', {}, {})).toThrow(/no AWS region for history/);
    expect(() => awsTarget('history', { region: 'eu-west-1', account: '12' }, {})).toThrow(/no AWS account id/);
    expect(awsTarget('history', {}, { AWS_REGION: 'eu-west-1', TWINSTACK_AWS_ACCOUNT: '123456789012' })).toEqual(TARGET);
  });

  it('history and status without credentials: one line with the fix, exit 2, nothing sent', async () => {
    const noCreds = () => Promise.reject(new Error('Could not load credentials from any providers'));
    for (const [run, what] of [
      [(cli: CliIo) => runHistory('shop', { ...TARGET }, cli, { sfnClient: (region) => new SFNClient({ region, credentials: noCreds }) }), 'history shop'],
      [(cli: CliIo) => runStatus('shop', { ...TARGET }, cli, { ssmClient: (region) => new SSMClient({ region, credentials: noCreds }) }), 'status shop'],
    ] as const) {
      const { lines, io: cli } = io();
      expect(await run(cli)).toBe(2);
      expect(lines.err).toEqual([expect.stringMatching(new RegExp(`^twinstack: no AWS credentials for ${what}, nothing read .* — fix: set AWS_PROFILE`))]);
    }
    expect(sfn.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('no region through the CLI: exit 2 and the fix', async () => {
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    const { lines, io: cli } = io();
    let code: number | undefined;
    await runCli(['node', 'twinstack', 'history', 'shop'], cli, (c) => (code = c));
    expect(code).toBe(2);
    expect(lines.err[0]).toMatch(/^twinstack: no AWS region for history shop — fix: pass --region REGION/);
  });
});

describe('twinstack history (AWS)', () => {
  it('maps DescribeExecution: trigger from the input, outcome and reasons from the output, duration from start/stop', () => {
    const e = historyEntryOfExecution('deploy', { name: 'd1', status: 'FAILED', startDate: new Date(1000), stopDate: new Date(3500), input: '{"group":"shop","deliveryId":"gh-1"}', error: 'E', cause: 'c' });
    expect(e).toMatchObject({ workflow: 'deploy', group: 'shop', trigger: 'webhook', status: 'FAILED', durationMs: 2500, error: 'E: c', startedAt: new Date(1000).toISOString() });
    expect(historyEntryOfExecution('replicate', { name: 'r', status: 'RUNNING', startDate: new Date(0), input: 'not json' })).toMatchObject({ trigger: 'operator', durationMs: null, group: null });
  });

  it('lists every workflow, filters by group, newest first; --json has workflow, status, startedAt, durationMs', async () => {
    mockExecutions();
    const { lines, io: cli } = io();
    const code = await runHistory('shop', { ...TARGET, json: true }, cli, { sfnClient: (region) => new SFNClient({ region, credentials: CREDS }) });
    expect(code).toBe(0);
    const entries = JSON.parse(lines.out.join('\n')) as Array<Record<string, unknown>>;
    expect(entries.map((e) => [e.workflow, e.status, e.trigger, e.durationMs])).toEqual([
      ['replicate', 'RUNNING', 'operator', null],
      ['deploy', 'FAILED', 'webhook', 1000],
      ['failover', 'SUCCEEDED', 'alarm', 30_000],
    ]);
    expect(entries[2]).toMatchObject({ outcome: 'failed-over', reasons: ['twin streaming, lag 0 bytes'], startedAt: '2026-01-01T00:00:10.000Z' });
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input.stateMachineArn).sort()).toEqual(WORKFLOW_NAMES.map(ARN).sort());
  });

  it('bounds pages and describes: an endless nextToken stops after maxPages', async () => {
    let n = 0;
    sfn.on(ListExecutionsCommand).callsFake(() => ({ executions: [{ executionArn: EXEC('failover', `x${n++}`) }], nextToken: 'more' }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', startDate: new Date(0), input: '{"group":"other"}' });
    const entries = await listAwsExecutions(new SFNClient({ region: 'eu-west-1', credentials: CREDS }), TARGET, { group: 'shop', limit: 5, maxPages: 2, pageSize: 1 });
    expect(entries).toEqual([]);
    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(WORKFLOW_NAMES.length * 2);
  });

  it('an AWS refusal is one line, exit 1', async () => {
    sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('no such state machine'), { name: 'StateMachineDoesNotExist', $metadata: {} }));
    const { lines, io: cli } = io();
    expect(await runHistory(undefined, { ...TARGET }, cli, { sfnClient: (region) => new SFNClient({ region, credentials: CREDS }) })).toBe(1);
    expect(lines.err).toEqual([expect.stringMatching(/^twinstack: AWS answered StateMachineDoesNotExist: .* — fix: check --region/)]);
  });
});

describe('twinstack status (AWS)', () => {
  const clients = {
    sfnClient: (region: string) => new SFNClient({ region, credentials: CREDS }),
    ssmClient: (region: string) => new SSMClient({ region, credentials: CREDS }),
    route53Client: (region: string) => new Route53Client({ region, credentials: CREDS }),
  };
  function mockParameters(): void {
    const values: Record<string, string> = {
      '/twinstack/shop/config': JSON.stringify(GROUP),
      '/twinstack/shop/state': JSON.stringify({ active: 'twin', lastFailoverAt: '2026-01-01T00:00:40.000Z' }),
      '/twinstack/shop/deploy/state': JSON.stringify({ stacks: { 'shop-eu': { deployed: 'a'.repeat(40), status: 'deployed' }, 'shop-us': { deployed: 'b'.repeat(40), status: 'deployed' } } }),
      '/twinstack/shop/observations/main': JSON.stringify({ at: '2026-01-01T00:00:05.000Z', position: '0/3000060', syncReplicas: ['twin'] }),
    };
    ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
      if (values[input.Name] === undefined) throw Object.assign(new Error('not found'), { name: 'ParameterNotFound', $metadata: {} });
      return { Parameter: { Name: input.Name, Value: values[input.Name] } };
    });
    ssm.on(DescribeParametersCommand).resolves({ Parameters: Object.keys(values).map((Name) => ({ Name })) });
  }

  it('SSM state, deploy state and observations, what Route 53 answers, running executions; says it does not SSH', async () => {
    mockParameters();
    mockExecutions();
    r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [{ Name: 'app.shop.example.com.', Type: 'A', ResourceRecords: [{ Value: '198.51.100.2' }] }] });
    const { lines, io: cli } = io();
    expect(await runStatus(undefined, { ...TARGET, json: true }, cli, clients)).toBe(0);
    const [s] = JSON.parse(lines.out.join('\n')) as GroupStatus[];
    expect(s).toMatchObject({ group: 'shop', activeStack: 'shop-us', lastFailoverAt: '2026-01-01T00:00:40.000Z', dns: { answer: 'A 198.51.100.2', pointsAt: 'shop-us' }, leases: null });
    expect(s?.observation.source).toBe('not-observed');
    expect(s?.observation.detail).toMatch(/does not SSH/);
    expect(s?.databases[0]).toMatchObject({ name: 'main', promotable: null, lastObservation: { position: '0/3000060' } });
    expect(s?.drift).toEqual([expect.stringMatching(/revision differs/)]);
    expect(s?.running).toEqual([{ workflow: 'replicate', name: 'r1', startedAt: '2026-01-01T00:00:30.000Z' }]);
    expect(s?.recent.map((r) => r.workflow)).toEqual(['deploy', 'failover']);
  });

  it('the human view says where each part comes from and has no colour off a TTY', async () => {
    mockParameters();
    mockExecutions();
    r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    const { lines, io: cli } = io();
    expect(await runStatus('shop', { ...TARGET }, cli, clients)).toBe(0);
    const text = lines.out.join('\n');
    expect(text).toMatch(/dns {3}app\.shop\.example\.com → no record/);
    expect(text).toMatch(/does not SSH/);
    expect(text).toMatch(/primary last seen healthy 2026-01-01T00:00:05.000Z at 0\/3000060/);
    expect(text).toMatch(/leases: not read \(AWS mode\)/);
    expect(text).toMatch(/running: replicate r1/);
    expect(text).not.toContain('\u001b[');
  });

  it('an unknown group: one line naming the known groups, exit 2', async () => {
    mockParameters();
    const { lines, io: cli } = io();
    expect(await runStatus('nope', { ...TARGET }, cli, clients)).toBe(2);
    expect(lines.err).toEqual([expect.stringMatching(/^twinstack: unknown group "nope" in eu-west-1 .* — fix: use one of: shop$/)]);
    expect(sfn.calls()).toHaveLength(0);
  });
});
