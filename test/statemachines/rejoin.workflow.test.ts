import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../infra/cli/cli-io.ts';
import { runWorkflowCommand } from '../../infra/cli/commands/workflow.command.ts';
import type { GroupState } from '../../functions/core/group-state.ts';
import { dnsTargetOf } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { runWorkflow, type WorkflowResult } from '../../infra/local/runtime/run-workflow.ts';
import { createHarness, replicateInWorld, type Harness } from '../unit/handlers/fakes/fake-world.ts';

const FAST = { retryIntervalMs: 0, waitMs: 0 };
const OLD = '127.0.1.1';
const NEW = '127.0.2.1';

interface RejoinOutput {
  readonly outcome: string;
  readonly summary: string;
  readonly databases: readonly { readonly database: string; readonly method: string; readonly divergent: { readonly amount: number; readonly unit: string; readonly savedTo?: string } }[];
  readonly divergentTotal: readonly { readonly amount: number; readonly unit: string }[];
  readonly decision: { readonly action: string; readonly reasons: readonly string[] };
}

/**
 * A replicated group failed over by the real failover workflow (forced while the primary
 * answers, so the old primary is fenced); `lagging` bytes of the old primary's last writes
 * never reached the twin before it was promoted.
 */
async function failedOver(lagging = 0): Promise<Harness> {
  const h = await createHarness();
  await replicateInWorld(h);
  for (const d of h.group.databases) {
    const twin = h.world.db(NEW, d.name);
    twin.catchUpPerRead = 0;
    h.world.db(OLD, d.name).position = twin.position + lagging;
  }
  const failover = await runWorkflow({ workflow: 'failover', input: { group: 'shop', force: true, reason: 'test' }, deps: h.deps, timing: FAST });
  expect(failover.status, failover.cause).toBe('SUCCEEDED');
  for (const d of h.group.databases) expect(h.world.db(OLD, d.name)).toMatchObject({ role: 'stopped', fenced: true });
  h.world.execs.length = 0;
  return h;
}

const rejoin = (h: Harness, input: unknown = { group: 'shop', reason: 'old primary is back' }, executionName?: string): Promise<WorkflowResult> =>
  runWorkflow({ workflow: 'rejoin', input, deps: h.deps, timing: FAST, ...(executionName ? { executionName } : {}) });

const ran = (h: Harness, op: string) => h.world.execs.filter((e) => e.argv[1] === op).length;
const stateOf = async (h: Harness) => JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}') as GroupState;
const leaseFree = async (h: Harness) => (await h.deps.lease?.acquire('group:shop', 'someone-else', 60)) === true;
const outputOf = (result: WorkflowResult) => result.output as RejoinOutput;

describe('rejoin workflow (local runtime, fake ports)', () => {
  it('re-points a fenced old primary that holds nothing divergent: a streaming replica of the twin, recorded, the twin still active', async () => {
    // Prepare
    const h = await failedOver();
    // Act
    const result = await rejoin(h);
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const output = outputOf(result);
    expect(output.outcome).toBe('rejoined');
    expect(output.databases.map((d) => [d.database, d.method, d.divergent.amount, d.divergent.unit])).toEqual([['main', 'repointed', 0, 'bytes'], ['audit', 'repointed', 0, 'bytes']]);
    expect(output.divergentTotal).toEqual([{ amount: 0, unit: 'bytes' }]);
    expect(output.summary).toBe('shop-eu (primary) follows the active shop-de (twin): main repointed (nothing divergent); audit repointed (nothing divergent); divergent data in total: 0 B');
    for (const d of h.group.databases) expect(h.world.db(OLD, d.name)).toMatchObject({ role: 'replica', writable: false, streaming: true, upstream: NEW });
    for (const d of h.group.databases) expect(h.world.db(NEW, d.name)).toMatchObject({ role: 'primary', writable: true });
    const state = await stateOf(h);
    expect(state.active).toBe('twin');
    expect(state.history?.map((r) => r.kind ?? 'failover')).toEqual(['failover', 'rejoin']);
    expect(state.history?.[1]).toMatchObject({ from: 'primary', to: 'twin', forced: false });
    expect(state.history?.[1]?.run).toMatch(/.+/);
    expect(state.history?.[1]?.reasons).toContain('requested: old primary is back');
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.twin));
    expect([ran(h, 'promote'), ran(h, 'restore')]).toEqual([0, 0]);
    expect(await leaseFree(h)).toBe(true);
    expect(h.world.openShells).toBe(0);
    const serialized = JSON.stringify(result);
    for (const secret of h.secrets()) expect(serialized).not.toContain(secret);
  });

  it('rewinds an old primary holding writes the twin never had, counting them and saying where they were saved', async () => {
    // Prepare: 8 KiB of the old primary's last writes never reached the twin
    const h = await failedOver(8192);
    // Act
    const result = await rejoin(h);
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const output = outputOf(result);
    expect(output.databases).toEqual([
      expect.objectContaining({ database: 'main', method: 'rewound', divergent: { amount: 8192, unit: 'bytes', savedTo: '/var/lib/twinstack/divergent-main' } }),
      expect.objectContaining({ database: 'audit', method: 'rewound', divergent: { amount: 8192, unit: 'bytes', savedTo: '/var/lib/twinstack/divergent-audit' } }),
    ]);
    expect(output.divergentTotal).toEqual([{ amount: 16_384, unit: 'bytes' }]);
    expect(output.summary).toMatch(/main rewound \(8\.0 KiB divergent, saved to \/var\/lib\/twinstack\/divergent-main\).*divergent data in total: 16\.0 KiB$/);
    expect((await stateOf(h)).history?.[1]?.lost).toEqual({ main: { amount: 8192, unit: 'bytes' }, audit: { amount: 8192, unit: 'bytes' } });
    for (const d of h.group.databases) expect(h.world.db(OLD, d.name)).toMatchObject({ role: 'replica', streaming: true, upstream: NEW, position: h.world.db(NEW, d.name).position });
  });

  it('restores an old primary that cannot rewind from the twin (a detached restore job), after saving its divergent data', async () => {
    // Prepare
    const h = await failedOver(4096);
    h.world.unrewindable.add('audit');
    // Act
    const result = await rejoin(h);
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const output = outputOf(result);
    expect(output.databases.map((d) => [d.database, d.method, d.divergent.amount])).toEqual([['main', 'rewound', 4096], ['audit', 'needs-restore', 4096]]);
    const item1 = result.events.filter((e) => e.detail === '[item 1]' && e.type === 'succeeded').map((e) => e.state);
    expect(item1).toEqual(expect.arrayContaining(['RejoinDatabase', 'RestoreReplica', 'PollRestoreReplica', 'StartReplication', 'CheckReplication', 'PreparePrimary']));
    expect(item1.indexOf('RejoinDatabase')).toBeLessThan(item1.indexOf('RestoreReplica'));
    expect(result.events.some((e) => e.detail === '[item 0]' && e.state === 'RestoreReplica')).toBe(false);
    const restores = h.world.execs.filter((e) => e.argv[1] === 'restore');
    expect(restores).toEqual([expect.objectContaining({ host: OLD, argv: ['fake-db', 'restore', 'audit', NEW] })]);
    expect(h.world.db(OLD, 'audit')).toMatchObject({ role: 'replica', streaming: true, upstream: NEW });
    expect((await stateOf(h)).history?.[1]?.rejoined).toEqual({
      main: { method: 'rewound', savedTo: '/var/lib/twinstack/divergent-main' },
      audit: { method: 'needs-restore', savedTo: '/var/lib/twinstack/divergent-audit' },
    });
  });

  it('refuses an old primary that came back writable (unreachable during the failover, so never fenced): RejoinRefused naming it, nothing changed', async () => {
    // Prepare: the primary stack dies, the failover runs, then the old primary comes back as it was
    const h = await createHarness();
    await replicateInWorld(h);
    for (const db of ['main', 'audit']) await h.params.put(parameterNames.observation('shop', db), JSON.stringify({ at: '2026-01-01T11:59:30.000Z', position: '0/3000148', syncReplicas: [] }));
    h.world.unreachable.add(OLD);
    h.health.healthy.set(h.group.primary.healthUrl, false);
    const failover = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    expect(failover.status, failover.cause).toBe('SUCCEEDED');
    h.world.unreachable.delete(OLD);
    h.world.execs.length = 0;
    const before = { state: await h.params.get(parameterNames.state('shop')), dbs: JSON.stringify([...h.world.dbs]) };
    // Act
    const result = await rejoin(h);
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RejoinRefused');
    expect(result.cause).toMatch(/^rejoin refused: .*blocked databases: main, audit.*primary copy of main is a writable primary, neither fenced nor demoted: it may still receive traffic/);
    expect(new Set(h.world.execs.map((e) => e.argv[1]))).toEqual(new Set(['status']));
    expect({ state: await h.params.get(parameterNames.state('shop')), dbs: JSON.stringify([...h.world.dbs]) }).toEqual(before);
    expect(result.events.some((e) => e.state === 'ReleaseGroupLease' && e.type === 'succeeded')).toBe(true);
    expect(await leaseFree(h)).toBe(true);
  });

  it('refuses a rejoin onto an old primary that is writable and still has the traffic (DNS points at its stack): both reasons, nothing changed', async () => {
    // Prepare: after the failover someone started the old primaries writable again and pointed the name back at them
    const h = await failedOver();
    for (const d of h.group.databases) Object.assign(h.world.db(OLD, d.name), { role: 'primary', writable: true, fenced: false, streaming: false });
    h.dns.records.set(h.group.dns.name, dnsTargetOf(h.group.primary));
    const before = { state: await h.params.get(parameterNames.state('shop')), dbs: JSON.stringify([...h.world.dbs]), dns: h.dns.records.get(h.group.dns.name), dnsChanges: h.dns.changes.length };
    // Act
    const result = await rejoin(h);
    // Assess
    expect([result.status, result.error]).toEqual(['FAILED', 'RejoinRefused']);
    expect(result.cause).toMatch(/DNS points at the primary stack, not at the active twin stack: traffic may still reach the primary stack/);
    expect(result.cause).toMatch(/primary copy of audit is a writable primary, neither fenced nor demoted: it may still receive traffic/);
    expect(new Set(h.world.execs.map((e) => e.argv[1]))).toEqual(new Set(['status']));
    expect({ state: await h.params.get(parameterNames.state('shop')), dbs: JSON.stringify([...h.world.dbs]), dns: h.dns.records.get(h.group.dns.name), dnsChanges: h.dns.changes.length }).toEqual(before);
    expect(await leaseFree(h)).toBe(true);
  });

  it('refuses "nothing to rejoin" when nothing failed over', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    // Act
    const result = await rejoin(h);
    // Assess
    expect([result.status, result.error]).toEqual(['FAILED', 'RejoinRefused']);
    expect(result.cause).toMatch(/nothing to rejoin: nothing failed over/);
    expect(await leaseFree(h)).toBe(true);
  });

  it('is idempotent: a second rejoin finds every database already a replica, changes nothing and records nothing', async () => {
    // Prepare
    const h = await failedOver(8192);
    const first = await rejoin(h);
    expect(first.status, first.cause).toBe('SUCCEEDED');
    const history = (await stateOf(h)).history;
    h.world.execs.length = 0;
    // Act
    const second = await rejoin(h);
    // Assess
    expect(second.status, second.cause).toBe('SUCCEEDED');
    expect(outputOf(second).databases.map((d) => [d.method, d.divergent.amount])).toEqual([['already-replica', 0], ['already-replica', 0]]);
    expect([ran(h, 'rejoin'), ran(h, 'restore'), ran(h, 'prepare'), ran(h, 'fence'), ran(h, 'promote')]).toEqual([0, 0, 0, 0, 0]);
    expect((await stateOf(h)).history).toEqual(history);
  });

  it('gives the lease back when a step fails, and fails with the step\'s error after ReportFailure', async () => {
    // Prepare: the replication secret is gone, so RejoinDatabase cannot run
    const h = await failedOver();
    h.params.values.delete(parameterNames.secret('shop', 'main', 'replication-password'));
    // Act
    const result = await rejoin(h);
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInputError');
    expect(result.events.some((e) => e.state === 'ReportFailure' && e.type === 'succeeded')).toBe(true);
    expect(result.events.some((e) => e.state === 'RecordRejoin')).toBe(false);
    expect(await leaseFree(h)).toBe(true);
  });

  it('waits for another workflow holding the group lease, bounded, then fails GroupBusy having observed nothing', async () => {
    // Prepare
    const h = await failedOver();
    await h.deps.lease?.acquire('group:shop', 'a-replicate', 3600);
    // Act
    const result = await rejoin(h, undefined, 'rejoin-while-busy');
    // Assess
    expect([result.status, result.error]).toEqual(['FAILED', 'GroupBusy']);
    expect(result.events.some((e) => e.state === 'AssessRejoin')).toBe(false);
    expect(h.world.execs).toEqual([]);
  });

  it.each([
    ['no group', {}],
    ['a non-string group', { group: 5 }],
    ['a non-string reason', { group: 'shop', reason: 3 }],
  ])('fails InvalidWorkflowInput on %s, before any step runs', async (_, input) => {
    // Prepare
    const h = await failedOver();
    // Act
    const result = await rejoin(h, input);
    // Assess
    expect([result.status, result.error]).toEqual(['FAILED', 'InvalidWorkflowInput']);
    expect(result.cause).toMatch(/rejoin input needs the string field group/);
    expect(result.events.some((e) => e.state === 'AcquireGroupLease')).toBe(false);
  });
});

describe('twinstack rejoin GROUP --local (the real workflow over the fakes)', () => {
  /** The CLI over a state dir holding the group's config; its local runner runs the rejoin workflow on the harness. */
  async function cli(h: Harness, json = false): Promise<{ code: number; out: string[]; input: unknown }> {
    const dir = mkdtempSync(join(tmpdir(), 'twinstack-rejoin-cli-'));
    try {
      writeFileSync(join(dir, 'parameters.json'), JSON.stringify({ '/twinstack/shop/config': { value: JSON.stringify(h.group), secret: false } }));
      const out: string[] = [];
      const io: CliIo = { out: (l) => out.push(l), err: () => undefined };
      let input: unknown;
      const code = await runWorkflowCommand('rejoin', 'shop', { local: true, stateDir: dir, json }, io, {
        runLocal: (o) => {
          input = o.input;
          return runWorkflow({ workflow: o.workflow, input: o.input, deps: h.deps, timing: FAST, executionName: o.executionName });
        },
      });
      return { code, out, input };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('runs it with the operator as the reason, prints the summary and exits 0; --json carries each database and the totals', async () => {
    // Prepare
    const h = await failedOver(8192);
    // Act
    const text = await cli(h);
    const json = await cli(h, true);
    // Assess
    expect(text.code).toBe(0);
    expect(text.input).toEqual({ group: 'shop', reason: 'operator: twinstack rejoin' });
    expect(text.out.some((l) => /main rewound \(8\.0 KiB divergent, saved to \/var\/lib\/twinstack\/divergent-main\)/.test(l))).toBe(true);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out.join('\n')) as { outcome: string; databases: { method: string }[]; divergentTotal: unknown };
    expect(parsed.outcome).toBe('rejoined');
    expect(parsed.databases.map((d) => d.method)).toEqual(['already-replica', 'already-replica']);
    expect(parsed.divergentTotal).toEqual([{ amount: 0, unit: 'bytes' }]);
  });

  it('exits 3 (refused, nothing done) when the decision refuses, with the reasons', async () => {
    // Prepare: nothing failed over
    const h = await createHarness();
    await replicateInWorld(h);
    // Act
    const { code, out } = await cli(h);
    // Assess
    expect(code).toBe(3);
    expect(out.join('\n')).toMatch(/RejoinRefused: rejoin refused: nothing to rejoin/);
  });
});
