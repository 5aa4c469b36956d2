import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { CliIo } from '../../../infra/cli/cli-io.ts';
import { runCli } from '../../../infra/cli/program.ts';
import { historyEntries } from '../../../infra/cli/commands/history.command.ts';
import { driftOf } from '../../../infra/cli/commands/status.command.ts';
import { runWorkflowCommand } from '../../../infra/cli/commands/workflow.command.ts';
import { readExecutionRecords, redactInput, statesOf, triggerOf, writeExecutionRecord, type ExecutionRecord } from '../../../infra/local/runtime/execution-record.ts';
import type { FailoverGroup } from '../../../functions/core/model.ts';

const GROUP = {
  name: 'shop',
  dns: { zone: 'shop.test', name: 'app.shop.test', ttl: 1 },
  primary: { name: 'shop-a', region: 'local', healthUrl: 'http://127.0.9.1:1/health', hosts: [{ name: 'h1', address: '127.0.9.1', port: 1, user: 'x', hostKey: 'ssh-ed25519 AAAA' }] },
  twin: { name: 'shop-b', region: 'local', healthUrl: 'http://127.0.9.2:1/health', hosts: [{ name: 'h1', address: '127.0.9.2', port: 1, user: 'x', hostKey: 'ssh-ed25519 AAAA' }] },
  databases: [],
  failover: { cooldownSeconds: 300, maxObservationAgeSeconds: 60 },
} as unknown as FailoverGroup;

function record(over: Partial<ExecutionRecord>): ExecutionRecord {
  return { version: 1, name: 'n1', workflow: 'failover', group: 'shop', trigger: 'alarm', input: { group: 'shop' }, status: 'SUCCEEDED', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:02.000Z', durationMs: 2000, states: [], ...over };
}

async function run(...args: string[]): Promise<{ code: number | undefined; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  let code: number | undefined;
  await runCli(['node', 'twinstack', ...args], io, (c) => {
    code = c;
  });
  return { code, out, err };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'twinstack-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeState(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, 'parameters.json'), JSON.stringify({
    '/twinstack/shop/config': { value: JSON.stringify(GROUP), secret: false },
    '/twinstack/shop/ssh/private-key': { value: 'not-a-key (never used: the group has no databases)', secret: true },
    '/twinstack/shop/state': { value: JSON.stringify({ active: 'primary' }), secret: false },
    '/twinstack/shop/deploy/state': { value: JSON.stringify({ stacks: { 'shop-a': { deployed: 'a'.repeat(40), status: 'deployed' }, 'shop-b': { deployed: 'b'.repeat(40), status: 'deployed' } } }), secret: false },
  }));
  writeFileSync(join(stateDir, 'zone.json'), JSON.stringify({ 'app.shop.test': { type: 'A', value: '127.0.9.1', ttl: 1 } }));
}

describe('execution records', () => {
  it('redacts secret-looking fields, keeps the rest', () => {
    expect(redactInput({ group: 'g', password: 'p', nested: { apiToken: 't', replicationPassword: 'x', n: 1 } })).toEqual({ group: 'g', password: '[redacted]', nested: { apiToken: '[redacted]', replicationPassword: '[redacted]', n: 1 } });
  });

  it.each([
    [{ group: 'g', reason: 'health alarm: ECONNREFUSED' }, 'alarm'],
    [{ group: 'g', deliveryId: 'abc' }, 'webhook'],
    [{ group: 'g', deliveryId: null }, 'operator'],
    [{ group: 'g' }, 'operator'],
  ])('triggerOf(%j) is %s', (input, trigger) => {
    expect(triggerOf(input)).toBe(trigger);
  });

  it('pairs entered/exited events into states with durations, retries and failures', () => {
    const at = (ms: number) => new Date(1_000_000 + ms);
    const states = statesOf([
      { state: 'A', type: 'entered', at: at(0) },
      { state: 'A', type: 'retry', at: at(5), detail: 'attempt 1' },
      { state: 'A', type: 'succeeded', at: at(10) },
      { state: 'B', type: 'entered', at: at(10) },
      { state: 'B', type: 'failed', at: at(40), detail: 'Boom: no' },
      { state: 'C', type: 'entered', at: at(41) },
    ]);
    expect(states.map((s) => [s.name, s.outcome, s.durationMs, s.retries])).toEqual([['A', 'succeeded', 10, 1], ['B', 'failed', 30, undefined], ['C', 'running', undefined, undefined]]);
    expect(states[1]?.detail).toBe('Boom: no');
  });

  it('writes one file per execution atomically, overwrites the RUNNING one, keeps the newest N', () => {
    writeExecutionRecord(dir, record({ name: 'x', status: 'RUNNING' }), 3);
    writeExecutionRecord(dir, record({ name: 'x' }), 3);
    for (let i = 1; i <= 4; i++) writeExecutionRecord(dir, record({ name: `e${i}`, startedAt: `2026-01-0${i + 1}T00:00:00.000Z` }), 3);
    const files = readdirSync(join(dir, 'executions'));
    expect(files).toHaveLength(3);
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(readExecutionRecords(dir).map((r) => r.name)).toEqual(['e2', 'e3', 'e4']);
  });
});

describe('twinstack history', () => {
  it('gives the drill-measured failover its RTO and lost writes, newest first', () => {
    const entries = historyEntries([record({ name: 'r', workflow: 'replicate', startedAt: '2025-12-31T00:00:00.000Z', endedAt: '2025-12-31T00:00:01.000Z' }), record({ name: 'f' })], { summary: { rtoMs: 2891, lost: 0 }, writtenAt: Date.parse('2026-01-01T00:00:03.000Z') });
    expect(entries.map((e) => [e.name, e.rtoMs, e.lostWrites])).toEqual([['f', 2891, 0], ['r', null, null]]);
  });

  it('--local --json prints an array with workflow, status, startedAt, durationMs', async () => {
    const stateDir = join(dir, 'state');
    writeState(stateDir);
    writeExecutionRecord(stateDir, record({}));
    const result = await run('history', '--local', '--state-dir', stateDir, '--json');
    expect(result.code).toBe(0);
    const entries = JSON.parse(result.out.join('\n')) as Array<Record<string, unknown>>;
    expect(entries[0]).toMatchObject({ workflow: 'failover', status: 'SUCCEEDED', startedAt: '2026-01-01T00:00:00.000Z', durationMs: 2000, trigger: 'alarm' });
  });

  it.each([
    [['history', '--local', '--state-dir', '/nonexistent/x'], /no local state in \/nonexistent\/x .* — fix: /],
    [['history'], /add --local/],
    [['history', 'nope', '--local', '--state-dir', '$STATE'], /unknown group "nope" .* — fix: use one of: shop/],
  ])('bad input %j: one line with the fix, exit 2', async (args, message) => {
    const stateDir = join(dir, 'state');
    writeState(stateDir);
    const result = await run(...args.map((a) => a.replace('$STATE', stateDir)));
    expect(result.code).toBe(2);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(message);
  });
});

describe('twinstack status', () => {
  it('reports drift between the stacks', () => {
    expect(driftOf(GROUP, { stacks: { 'shop-a': { deployed: 'a'.repeat(40), status: 'deployed' }, 'shop-b': { deployed: 'a'.repeat(40), status: 'deployed' } } }, undefined)).toEqual([]);
    expect(driftOf(GROUP, { stacks: { 'shop-a': { deployed: 'a'.repeat(40), status: 'deployed' } } }, 'a'.repeat(40))).toEqual(['revision differs: shop-a aaaaaaaaaaaa, shop-b none', 'shop-b is not at the newest push aaaaaaaaaaaa']);
  });

  it('--json --no-observe: active stack, DNS answer, stacks, drift, without touching hosts', async () => {
    const stateDir = join(dir, 'state');
    writeState(stateDir);
    const result = await run('status', 'shop', '--local', '--state-dir', stateDir, '--json', '--no-observe');
    expect(result.code).toBe(0);
    const status = JSON.parse(result.out.join('\n')) as Record<string, unknown>;
    expect(status).toMatchObject({ group: 'shop', activeStack: 'shop-a', dns: { answer: 'A 127.0.9.1', pointsAt: 'shop-a' }, observation: { source: 'not-observed' } });
    expect((status.drift as string[])[0]).toMatch(/revision differs/);
  });

  it('the table has no colour codes off a TTY', async () => {
    const stateDir = join(dir, 'state');
    writeState(stateDir);
    const result = await run('status', '--local', '--state-dir', stateDir, '--no-observe');
    expect(result.code).toBe(0);
    expect(result.out.join('\n')).toContain('group shop  active shop-a');
    expect(result.out.join('\n')).not.toContain('\u001b[');
  });
});

describe('twinstack replicate | failover | deploy', () => {
  const io = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, io: { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l), confirm: () => Promise.resolve(false) } satisfies CliIo };
  };

  it('--local --wait runs the workflow, prints each state and the decision', async () => {
    const stateDir = join(dir, 'state');
    writeState(stateDir);
    const { lines, io: cli } = io();
    const runLocal = vi.fn((o: { onEvent: (e: { state: string; type: 'entered' | 'succeeded'; at: Date }) => void }) => {
      // One base time: two Date.now() calls may be a millisecond apart (seen in CI).
      const t = Date.now();
      o.onEvent({ state: 'PlanReplication', type: 'entered', at: new Date(t) });
      o.onEvent({ state: 'PlanReplication', type: 'succeeded', at: new Date(t + 12) });
      return Promise.resolve({ status: 'SUCCEEDED' as const, output: { outcome: 'replicated', decision: { action: 'replicate', reasons: ['twin empty'] } }, events: [], durationMs: 12 });
    });
    const code = await runWorkflowCommand('replicate', 'shop', { local: true, stateDir, wait: true }, cli, { runLocal });
    expect(code).toBe(0);
    expect(runLocal).toHaveBeenCalledOnce();
    expect(lines.out.some((l) => /PlanReplication\s+12 ms\s+ok/.test(l))).toBe(true);
    expect(lines.out).toContain('  - twin empty');
  });

  it('a failover the decision holds (twin unreachable) is refused: exit 3, nothing started', async () => {
    const stateDir = join(dir, 'state');
    writeState(stateDir);
    const { lines, io: cli } = io();
    const runLocal = vi.fn();
    const code = await runWorkflowCommand('failover', 'shop', { local: true, stateDir }, cli, { runLocal });
    if (code !== 3) throw new Error(lines.err.join('\n'));
    expect(code).toBe(3);
    expect(runLocal).not.toHaveBeenCalled();
    expect(lines.err).toHaveLength(1);
    expect(lines.err[0]).toMatch(/failover of shop refused, nothing started: .* — fix: make the twin ready/);
  }, 20_000);

  it('--force without --yes prints what it overrides and asks; "no" starts nothing', async () => {
    const stateDir = join(dir, 'state');
    writeState(stateDir);
    const { lines, io: cli } = io();
    const runLocal = vi.fn();
    const code = await runWorkflowCommand('failover', 'shop', { local: true, stateDir, force: true }, cli, { runLocal });
    expect(code).toBe(3);
    expect(runLocal).not.toHaveBeenCalled();
    expect(lines.err[0]).toMatch(/--force overrides/);
    expect(lines.err.at(-1)).toMatch(/not confirmed, nothing started/);
  }, 20_000);

  it('unknown group and no local state: one line, exit 2', async () => {
    const stateDir = join(dir, 'state');
    writeState(stateDir);
    expect((await run('replicate', 'nope', '--local', '--state-dir', stateDir)).err[0]).toMatch(/unknown group "nope"/);
    const none = await run('replicate', 'shop', '--local', '--state-dir', join(dir, 'missing'));
    expect(none.code).toBe(2);
    expect(none.err[0]).toMatch(/no local state .* — fix: /);
  });

  it('AWS without credentials: one line with the fix, exit 2, nothing started', async () => {
    const sfn = mockClient(SFNClient);
    const { lines, io: cli } = io();
    const client = new SFNClient({ region: 'eu-west-1', credentials: () => Promise.reject(new Error('Could not load credentials from any providers')) });
    const code = await runWorkflowCommand('replicate', 'shop', { region: 'eu-west-1', account: '123456789012' }, cli, { sfnClient: () => client });
    expect(code).toBe(2);
    expect(lines.err).toEqual([expect.stringMatching(/^twinstack: no AWS credentials for replicate shop, nothing started .* — fix: set AWS_PROFILE/)]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    sfn.restore();
  });

  it('AWS with credentials: StartExecution on twinstack-<workflow>', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:twinstack-failover:x' });
    const { lines, io: cli } = io();
    const client = new SFNClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const code = await runWorkflowCommand('failover', 'shop', { region: 'eu-west-1', account: '123456789012' }, cli, { sfnClient: () => client });
    expect(code).toBe(0);
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(call?.stateMachineArn).toBe('arn:aws:states:eu-west-1:123456789012:stateMachine:twinstack-failover');
    expect(JSON.parse(call?.input ?? '{}')).toMatchObject({ group: 'shop', reason: 'operator: twinstack failover' });
    expect(lines.out[0]).toMatch(/started arn:aws:states/);
    sfn.restore();
  });

  it('every command has --help with an example and exit codes', async () => {
    for (const command of ['status', 'history', 'replicate', 'failover', 'deploy']) {
      const result = await run(command, '--help');
      expect(result.code).toBe(0);
      expect(result.out.join('\n')).toMatch(/Example[s]?:[\s\S]*Exit codes: 0/);
    }
  });
});
