import { describe, expect, it, vi } from 'vitest';
import { HostKeyMismatchError, ParameterStoreError } from '../../functions/core/errors.ts';
import { dnsTargetOf } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { runWorkflow } from '../../infra/local/runtime/run-workflow.ts';
import type { GroupState } from '../../functions/core/group-state.ts';
import * as checkReplication from '../../functions/handlers/check-replication.handler.ts';
import * as rejoinDatabase from '../../functions/handlers/rejoin-database.handler.ts';
import { createHarness, fixedClock, replicateInWorld, type Harness } from '../unit/handlers/fakes/fake-world.ts';

const FAST = { retryIntervalMs: 0, waitMs: 0 };

/** Replicated group whose primary stack just died (hosts unreachable, health failing). */
async function primaryDown(options: Parameters<typeof createHarness>[0] = {}): Promise<Harness> {
  const h = await createHarness(options);
  await replicateInWorld(h);
  await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'primary' }));
  for (const db of ['main', 'audit']) await h.params.put(parameterNames.observation('shop', db), JSON.stringify({ at: '2026-01-01T11:59:30.000Z', position: '0/3000148', syncReplicas: [] }));
  h.world.unreachable.add('127.0.1.1');
  h.world.unreachable.add('127.0.1.2');
  h.health.healthy.set(h.group.primary.healthUrl, false);
  return h;
}

const ran = (h: Harness, op: string) => h.world.execs.filter((e) => e.argv[1] === op).length;

describe('failover workflow (local runtime, fake ports)', () => {
  it('fails over: fences, promotes every database, publishes env, switches and verifies DNS, records; no secret leaks', async () => {
    // Prepare
    const h = await primaryDown();
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop', reason: 'alarm' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.cause ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.twin));
    for (const d of h.group.databases) expect(h.world.db('127.0.2.1', d.name)).toMatchObject({ role: 'primary', writable: true });
    const state = JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}') as { active: string; history?: unknown[] };
    expect(state.active).toBe('twin');
    expect(state.history).toHaveLength(1);
    expect(h.params.values.get(parameterNames.env('shop', 'shop-de', 'TWINSTACK_ROLE'))?.value).toBe('active');
    const order = result.events.filter((e) => e.type === 'succeeded' && /Fence|Promote|Switch|Verify|Record/.test(e.state)).map((e) => e.state);
    expect(order.indexOf('FenceOldPrimary')).toBeLessThan(order.indexOf('PromoteDatabase'));
    expect(order.lastIndexOf('PromoteDatabase')).toBeLessThan(order.indexOf('SwitchDns'));
    const serialized = JSON.stringify(result);
    for (const secret of h.secrets()) expect(serialized).not.toContain(secret);
    expect(h.world.openShells).toBe(0);
  });

  it('holds while the primary is healthy: nothing fenced, promoted or switched', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ action: 'hold' });
    expect((result.output as { reasons: string[] }).reasons.length).toBeGreaterThan(0);
    expect([ran(h, 'fence'), ran(h, 'promote')]).toEqual([0, 0]);
    expect(h.dns.changes).toEqual([]);
  });

  it('reports a failed promotion: execution FAILED with PromotionError, DNS still on the primary', async () => {
    // Prepare
    const h = await primaryDown();
    h.world.brokenPromotions.add('audit');
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionError');
    expect(result.events.some((e) => e.state === 'ReportFailure' && e.type === 'succeeded')).toBe(true);
    expect(result.events.some((e) => e.state === 'SwitchDns')).toBe(false);
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.primary));
    expect(JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}')).toMatchObject({ active: 'primary' });
  });

  it('retries VerifyDns until the name answers the twin', async () => {
    // Prepare
    let calls = 0;
    const h = await primaryDown({ dnsVerifier: () => Promise.resolve(++calls >= 3) });
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.events.filter((e) => e.state === 'VerifyDns' && e.type === 'retry')).toHaveLength(2);
    expect(calls).toBe(3);
  });

  it('is idempotent: a second failover holds and promotes nothing more', async () => {
    // Prepare
    const h = await primaryDown();
    await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    const promotions = ran(h, 'promote');
    const changes = h.dns.changes.length;
    // Act
    const second = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(second.status).toBe('SUCCEEDED');
    expect(second.output).toMatchObject({ action: 'hold' });
    expect(JSON.stringify(second.output)).toMatch(/already/i);
    expect(ran(h, 'promote')).toBe(promotions);
    expect(h.dns.changes).toHaveLength(changes);
  });

  it('one failover per group at a time: while another holds the group lease it waits, bounded, then fails GroupBusy (alarmed), doing nothing', async () => {
    // Prepare: another execution holds the group lease for the whole run
    const h = await primaryDown();
    await h.deps.lease?.acquire('group:shop', 'first-alarm', 3600);
    // Act
    const duplicate = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST, executionName: 'second-alarm' });
    // Assess
    expect(duplicate.status).toBe('FAILED');
    expect(duplicate.error).toBe('GroupBusy');
    expect(duplicate.events.filter((e) => e.state === 'AcquireGroupLease' && e.type === 'succeeded').length).toBeGreaterThan(400);
    expect(duplicate.events.some((e) => e.state === 'AssessFailover')).toBe(false);
    expect([ran(h, 'fence'), ran(h, 'promote')]).toEqual([0, 0]);
    expect(h.dns.changes).toEqual([]);
  });

  it('a duplicate alarm waits for the running failover, then finds it done and holds: nothing happens twice', async () => {
    // Prepare: the first failover completes; the duplicate's first lease attempts find it still held
    const h = await primaryDown();
    await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST, executionName: 'first-alarm' });
    const promotions = ran(h, 'promote');
    let busy = 3;
    const lease = h.deps.lease!;
    const deps = { ...h.deps, lease: { acquire: (k: string, holder: string, ttl: number) => (busy-- > 0 ? Promise.resolve(false) : lease.acquire(k, holder, ttl)), release: (k: string, holder: string) => lease.release(k, holder) } };
    // Act
    const duplicate = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps, timing: FAST, executionName: 'second-alarm' });
    // Assess
    expect(duplicate.status).toBe('SUCCEEDED');
    expect(duplicate.output).toMatchObject({ action: 'hold' });
    expect(duplicate.events.filter((e) => e.state === 'WaitForGroupLease' && e.type === 'succeeded')).toHaveLength(3);
    expect(ran(h, 'promote')).toBe(promotions);
  });

  it.each([
    ['a failover', () => primaryDown(), 'SUCCEEDED'],
    ['a hold', async () => {
      const h = await createHarness();
      await replicateInWorld(h);
      return h;
    }, 'SUCCEEDED'],
    ['a failure', async () => {
      const h = await primaryDown();
      h.world.brokenPromotions.add('audit');
      return h;
    }, 'FAILED'],
  ] as const)('gives the lease back after %s, so the next alarm can act', async (_case, prepare, status) => {
    // Prepare
    const h = await prepare();
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST, executionName: 'alarm-1' });
    // Assess
    expect(result.status).toBe(status);
    expect(result.events.some((e) => e.state === 'ReleaseGroupLease' && e.type === 'succeeded')).toBe(true);
    expect(await h.deps.lease?.acquire('group:shop', 'alarm-2', 60)).toBe(true);
  });

  it('moves traffic before publishing the role: SwitchDns → VerifyDns → RecordFailover → PublishEnvVars', async () => {
    // Prepare
    const h = await primaryDown();
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    const order = result.events.filter((e) => e.type === 'succeeded').map((e) => e.state);
    const at = (state: string) => order.indexOf(state);
    expect([at('SwitchDns'), at('VerifyDns'), at('RecordFailover'), at('PublishEnvVars')].every((i) => i >= 0)).toBe(true);
    expect(at('SwitchDns')).toBeLessThan(at('VerifyDns'));
    expect(at('VerifyDns')).toBeLessThan(at('RecordFailover'));
    expect(at('RecordFailover')).toBeLessThan(at('PublishEnvVars'));
  });

  it('a PublishEnvVars failure after the switch undoes nothing but ends FAILED EnvNotPublished (alarmed), lease released', async () => {
    // Prepare: every env parameter write fails
    const h = await primaryDown();
    const put = h.params.put.bind(h.params);
    h.params.put = (name, value, options) => (name.includes('/env/') ? Promise.reject(new ParameterStoreError(`cannot write ${name}`)) : put(name, value, options));
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST, executionName: 'alarm-1' });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('EnvNotPublished');
    expect(result.events.some((e) => e.state === 'MarkEnvUnpublished' && e.type === 'succeeded')).toBe(true);
    expect(result.events.some((e) => e.state === 'ReportFailure')).toBe(false);
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.twin));
    expect(JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}')).toMatchObject({ active: 'twin' });
    expect(await h.deps.lease?.acquire('group:shop', 'alarm-2', 60)).toBe(true);
  });

  it.each([
    {
      name: 'the old primary answers but cannot be observed (host key mismatch): refused',
      atFence: (h: Harness) => {
        h.world.unreachable.delete('127.0.1.1');
        h.world.faults.set('127.0.1.1', new HostKeyMismatchError('host key changed'));
      },
      says: /cannot be fenced safely/,
    },
    {
      name: 'the old primary is unreachable over SSH but its stack still serves: refused',
      atFence: (h: Harness) => h.health.healthy.set(h.group.primary.healthUrl, true),
      says: /still serving/,
    },
  ])('FenceOldPrimary: $name — FencingError, nothing promoted, DNS untouched, report says so', async ({ atFence, says }) => {
    // Prepare: AssessFailover (the first shell) sees the primary down; the world changes before FenceOldPrimary (the second)
    const h = await primaryDown();
    const logged = vi.spyOn(h.deps.logger, 'error');
    let shells = 0;
    const deps = {
      ...h.deps,
      openShell: (group: string) => {
        if (++shells === 2) atFence(h);
        return h.deps.openShell(group);
      },
    };
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('FencingError');
    expect(result.cause).toMatch(says);
    expect(result.events.some((e) => e.state === 'PromoteDatabase')).toBe(false);
    expect([ran(h, 'fence'), ran(h, 'promote')]).toEqual([0, 0]);
    expect(h.dns.changes).toEqual([]);
    expect(JSON.stringify(logged.mock.calls)).toMatch(/Fencing of the old primary did not complete and the twin was NOT promoted/);
  });

  it('ReportFailure says the twin was NOT promoted after a failed promotion', async () => {
    // Prepare
    const h = await primaryDown();
    h.world.brokenPromotions.add('audit');
    const logged = vi.spyOn(h.deps.logger, 'error');
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(JSON.stringify(logged.mock.calls)).toMatch(/Old primary fenced \(main: isolated, audit: isolated\), twin NOT promoted/);
  });
});

describe('failover back from the twin to the primary stack, once the primary stack rejoined as its replica', () => {
  it('fails over twin → primary: fences the twin, promotes the primary stack, switches DNS to it, records {from: twin, to: primary}', async () => {
    // Prepare: a failover to the twin, then the primary stack comes back and rejoins as the twin's replica
    const h = await primaryDown();
    const first = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    h.world.unreachable.clear();
    h.health.healthy.set(h.group.primary.healthUrl, true);
    // Its hosts restarted: their databases are down (it was isolated, never fenced)
    for (const d of h.group.databases) Object.assign(h.world.db('127.0.1.1', d.name), { role: 'stopped', writable: false });
    for (const d of h.group.databases) await rejoinDatabase.createHandler(h.deps)({ group: 'shop', database: d.name });
    const later = { ...h.deps, clock: fixedClock('2026-01-01T13:00:00.000Z') };
    for (const d of h.group.databases) await checkReplication.createHandler(later)({ group: 'shop', database: d.name });
    // ...and then the twin's region dies
    h.world.unreachable.add('127.0.2.1');
    h.world.unreachable.add('127.0.2.2');
    h.health.healthy.set(h.group.twin.healthUrl, false);
    // Act
    const back = await runWorkflow({ workflow: 'failover', input: { group: 'shop', reason: 'twin region down' }, deps: { ...later, clock: fixedClock('2026-01-01T13:00:10.000Z') }, timing: FAST });
    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect(back.cause ?? '').toBe('');
    expect(back.status).toBe('SUCCEEDED');
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.primary));
    for (const d of h.group.databases) expect(h.world.db('127.0.1.1', d.name)).toMatchObject({ role: 'primary', writable: true });
    const state = JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}') as GroupState;
    expect(state.active).toBe('primary');
    expect(state.history?.map((r) => [r.kind, r.from, r.to])).toEqual([['failover', 'primary', 'twin'], ['failover', 'twin', 'primary']]);
    expect(state.history?.[1]?.reasons.join(' ')).toMatch(/failing over from the twin \(the active stack\) to the primary/);
    expect(h.params.values.get(parameterNames.env('shop', 'shop-eu', 'TWINSTACK_ROLE'))?.value).toBe('active');
    const promoted = back.events.filter((e) => e.state === 'PromoteDatabase' && e.type === 'succeeded');
    expect(promoted).toHaveLength(2);
  });

  it('holds a failover back while the old primary stack is not a replica yet: "the standby is not a replica: rejoin it first"', async () => {
    // Prepare: failed over to the twin; the primary stack is back but still fenced; the cool-down passed
    const h = await primaryDown();
    await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    h.world.unreachable.clear();
    for (const d of h.group.databases) Object.assign(h.world.db('127.0.1.1', d.name), { role: 'stopped', writable: false });
    h.health.healthy.set(h.group.twin.healthUrl, false);
    const promotions = ran(h, 'promote');
    // Act
    const held = await runWorkflow({ workflow: 'failover', input: { group: 'shop', force: true }, deps: { ...h.deps, clock: fixedClock('2026-01-01T13:00:00.000Z') }, timing: FAST });
    // Assess
    expect(held.status).toBe('SUCCEEDED');
    expect(held.output).toMatchObject({ action: 'hold' });
    expect((held.output as { reasons: string[] }).reasons.join(' | ')).toMatch(/the standby is not a replica: rejoin it first/);
    expect(ran(h, 'promote')).toBe(promotions);
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.twin));
  });
});

describe('a failover that only a force may do is refused without an explicit force: the reasons, nothing changed', () => {
  /** The primary stack died while the twin of audit was 20 MiB behind (more than maxLag 16 MiB), and it stopped applying. */
  async function laggingTwin(): Promise<Harness> {
    const h = await primaryDown();
    Object.assign(h.world.db('127.0.2.1', 'audit'), { position: 0x3000148 - 20 * 1024 * 1024, catchUpPerRead: 0 });
    h.world.execs.length = 0;
    return h;
  }
  const untouched = async (h: Harness) => ({ dbs: JSON.stringify([...h.world.dbs]), state: await h.params.get(parameterNames.state('shop')), dns: h.dns.records.get(h.group.dns.name) });

  it.each([
    ['the primary still answers healthy', async () => {
      const h = await createHarness();
      await replicateInWorld(h);
      h.world.execs.length = 0;
      return h;
    }, /primary stack healthy \(HTTP 200\): outage not confirmed/],
    ['a replica lags beyond maxLag', laggingTwin, /replica audit lag 20\.0 MiB > limit 16\.0 MiB .*\(force to promote and lose it\)/],
  ] as const)('holds when %s: the reasons say why; nothing fenced, promoted, switched or recorded', async (_case, prepare, says) => {
    // Prepare
    const h = await prepare();
    const before = await untouched(h);
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ action: 'hold', forced: false });
    expect((result.output as { reasons: string[] }).reasons.join(' | ')).toMatch(says);
    expect(new Set(h.world.execs.map((e) => e.argv[1]))).toEqual(new Set(['status']));
    expect(await untouched(h)).toEqual(before);
    expect(h.dns.changes).toEqual([]);
  });

  it('fails over the lagging replica only with force: true, reporting the loss', async () => {
    // Prepare
    const h = await laggingTwin();
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop', force: true }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.twin));
    const state = JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}') as GroupState;
    expect(state.history?.at(-1)).toMatchObject({ kind: 'failover', forced: true, lost: { audit: { amount: 20 * 1024 * 1024, unit: 'bytes' } } });
  });

  it.each([['"true"', 'true'], ['1', 1], ['"yes"', 'yes']] as const)('fails InvalidWorkflowInput naming force when it is %s, not a JSON boolean, before any step runs', async (_shown, force) => {
    // Prepare
    const h = await laggingTwin();
    const before = await untouched(h);
    // Act
    const result = await runWorkflow({ workflow: 'failover', input: { group: 'shop', force }, deps: h.deps, timing: FAST });
    // Assess
    expect([result.status, result.error]).toEqual(['FAILED', 'InvalidWorkflowInput']);
    expect(result.cause).toMatch(/optional force \(true or false, a JSON boolean\)/);
    expect(result.events.filter((e) => e.type === 'entered').map((e) => e.state)).toEqual(['ValidateInput', 'InvalidWorkflowInput']);
    expect(h.world.execs).toEqual([]);
    expect(await untouched(h)).toEqual(before);
  });
});
