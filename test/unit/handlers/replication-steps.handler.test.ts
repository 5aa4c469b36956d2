import type { PrimaryObservation } from '../../../functions/core/group-state.ts';
import { describe, expect, it } from 'vitest';
import { dnsTargetOf } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import * as check from '../../../functions/handlers/check-replication.handler.ts';
import * as plan from '../../../functions/handlers/plan-replication.handler.ts';
import * as prepare from '../../../functions/handlers/prepare-primary.handler.ts';
import * as restore from '../../../functions/handlers/restore-replica.handler.ts';
import * as start from '../../../functions/handlers/start-replication.handler.ts';
import { createHarness } from './fakes/fake-world.ts';

describe('replication step handlers', () => {
  it('PlanReplication lists the databases', async () => {
    // Prepare
    const h = await createHarness();
    // Act
    const result = await plan.createHandler(h.deps)({ group: 'shop' });
    // Assess
    expect(result).toEqual({ group: 'shop', primary: 'shop-eu', twin: 'shop-de', databases: ['main', 'audit'], source: 'primary' });
  });

  it('PreparePrimary creates secrets and passes them only as secretEnv, never in output', async () => {
    // Prepare
    const h = await createHarness();
    // Act
    const result = await prepare.createHandler(h.deps)({ group: 'shop', database: 'main' });
    // Assess
    const password = await h.params.get(parameterNames.secret('shop', 'main', 'replication-password'));
    const exec = h.world.execs.find((e) => e.argv[1] === 'prepare');
    expect(exec?.secretEnv?.REPLICATION_PASSWORD).toBe(password);
    expect(exec?.argv.join(' ')).not.toContain(password);
    expect(JSON.stringify(result)).not.toContain(password);
    expect(h.world.db('127.0.1.1', 'main').prepared).toBe(true);
  });

  it('RestoreReplica starts one restore job, then skips a streaming replica', async () => {
    // Prepare
    const h = await createHarness();
    await prepare.createHandler(h.deps)({ group: 'shop', database: 'main' });
    const restoreHandler = restore.createHandler(h.deps);
    // Act
    const first = await restoreHandler({ group: 'shop', database: 'main', run: 'replicate-1' });
    await start.createHandler(h.deps)({ group: 'shop', database: 'main' });
    const second = await restoreHandler({ group: 'shop', database: 'main', run: 'replicate-1' });
    // Assess
    expect([first.action, second.action]).toEqual(['started', 'skipped']);
    expect(h.world.execs.filter((e) => e.argv[1] === 'restore')).toHaveLength(1);
  });

  it('RestoreReplica refuses (as data) to overwrite a twin that is the active stack', async () => {
    // Prepare
    const h = await createHarness();
    await prepare.createHandler(h.deps)({ group: 'shop', database: 'main' });
    await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin' }));
    // Act: replicating from the primary stack, named explicitly, onto the active twin
    const result = await restore.createHandler(h.deps)({ group: 'shop', database: 'main', source: 'primary', run: 'replicate-1' });
    // Assess
    expect(result.action).toBe('refused');
    expect(result.reasons.join(' ')).toMatch(/active/);
    expect(h.world.execs.filter((e) => e.argv[1] === 'restore')).toHaveLength(0);
  });

  it.each([
    { name: 'DNS points at the twin: refused', dns: 'twin', twin: { role: 'replica', writable: false, streaming: false }, action: 'refused', says: /DNS points at the twin/ },
    { name: 'a writable primary twinstack promoted (failover not recorded): refused', dns: 'primary', twin: { role: 'primary', writable: true, promotedByTwinstack: true }, action: 'refused', says: /writable primary/ },
    { name: 'a writable primary twinstack promoted, DNS already on it: refused', dns: 'twin', twin: { role: 'primary', writable: true, promotedByTwinstack: true }, action: 'refused', says: /DNS points at the twin.*writable primary/ },
    { name: 'a stale standalone clone (writable, never promoted by twinstack): restored', dns: 'primary', twin: { role: 'primary', writable: true, promotedByTwinstack: false }, action: 'started', says: /stale copy/ },
    { name: 'a stopped twin, DNS on the primary: restored', dns: 'primary', twin: { role: 'stopped', writable: false }, action: 'started', says: /primary stack is active/ },
  ] as const)('RestoreReplica observes DNS and the twin — $name', async ({ dns, twin, action, says }) => {
    // Prepare
    const h = await createHarness();
    await prepare.createHandler(h.deps)({ group: 'shop', database: 'main' });
    Object.assign(h.world.db('127.0.2.1', 'main'), twin);
    h.dns.records.set(h.group.dns.name, dnsTargetOf(dns === 'twin' ? h.group.twin : h.group.primary));
    // Act
    const result = await restore.createHandler(h.deps)({ group: 'shop', database: 'main', run: 'replicate-1' });
    // Assess
    expect(result.action).toBe(action);
    expect(result.reasons.join(' ')).toMatch(says);
    expect(h.world.execs.filter((e) => e.argv[1] === 'restore')).toHaveLength(action === 'started' ? 1 : 0);
    expect(h.world.openShells).toBe(0);
  });

  it('CheckReplication publishes the lag under its unit and whether the twin replicates, per database', async () => {
    // Prepare
    const h = await createHarness();
    const metrics: { name: string; value: number; dimensions: Readonly<Record<string, string>>; unit?: string }[] = [];
    const deps = { ...h.deps, recordMetric: (name: string, value: number, dimensions: Readonly<Record<string, string>>, unit?: string) => metrics.push({ name, value, dimensions, ...(unit ? { unit } : {}) }) };
    await prepare.createHandler(deps)({ group: 'shop', database: 'main' });
    await restore.createHandler(deps)({ group: 'shop', database: 'main', run: 'replicate-1' });
    // Act
    await check.createHandler(deps)({ group: 'shop', database: 'main' });
    const behind = metrics.splice(0);
    await start.createHandler(deps)({ group: 'shop', database: 'main' });
    await check.createHandler(deps)({ group: 'shop', database: 'main' });
    // Assess
    const dimensions = { group: 'shop', database: 'main' };
    expect(behind).toEqual([
      { name: 'ReplicationLagBytes', value: 4096, dimensions, unit: 'Bytes' },
      { name: 'TwinReplicating', value: 0, dimensions },
    ]);
    expect(metrics).toEqual([
      { name: 'ReplicationLagBytes', value: 0, dimensions, unit: 'Bytes' },
      { name: 'TwinReplicating', value: 1, dimensions },
    ]);
  });

  it('CheckReplication reports lag, then caught up, and records the primary position', async () => {
    // Prepare
    const h = await createHarness();
    await prepare.createHandler(h.deps)({ group: 'shop', database: 'main' });
    await restore.createHandler(h.deps)({ group: 'shop', database: 'main', run: 'replicate-1' });
    const checkHandler = check.createHandler(h.deps);
    // Act
    const behind = await checkHandler({ group: 'shop', database: 'main' });
    await start.createHandler(h.deps)({ group: 'shop', database: 'main' });
    const caughtUp = await checkHandler({ group: 'shop', database: 'main' });
    // Assess
    expect(behind).toMatchObject({ caughtUp: false, lag: 4096, lagUnit: 'bytes' });
    expect(caughtUp).toMatchObject({ caughtUp: true, lag: 0, primaryPosition: '0/3000148' });
    const observation = JSON.parse((await h.params.get(parameterNames.observation('shop', 'main'))) ?? '{}') as PrimaryObservation;
    expect(observation).toEqual({ at: '2026-01-01T12:00:00.000Z', position: '0/3000148', syncReplicas: expect.any(Array) as unknown, stack: 'primary' });
    expect(h.world.openShells).toBe(0);
  });
});

describe('replication step handlers in the other direction (`source`)', () => {
  /** The harness after a failover: the twin is the active stack, the primary stack's copies fenced. */
  async function failedOver() {
    const h = await createHarness();
    await prepare.createHandler(h.deps)({ group: 'shop', database: 'main' });
    await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin', history: [{ kind: 'failover', at: '2026-01-01T11:00:00.000Z', from: 'primary', to: 'twin', forced: false, reasons: [], lost: {} }] }));
    h.dns.records.set(h.group.dns.name, dnsTargetOf(h.group.twin));
    Object.assign(h.world.db('127.0.2.1', 'main'), { role: 'primary', writable: true, promotedByTwinstack: true, position: 0x4000000 });
    Object.assign(h.world.db('127.0.1.1', 'main'), { role: 'stopped', writable: false, fenced: true });
    return h;
  }

  it.each([
    ['named explicitly', { source: 'twin' as const }],
    ['by default: the active stack (the twin after a failover)', {}],
  ])('restore the primary stack from the twin, %s: prepare on the twin, restore and stream on the primary stack, checked against the twin', async (_name, direction) => {
    // Prepare
    const h = await failedOver();
    const input = { group: 'shop', database: 'main', ...direction };
    // Act
    const prepared = await prepare.createHandler(h.deps)(input);
    const restored = await restore.createHandler(h.deps)({ ...input, run: 'rejoin-1' });
    await start.createHandler(h.deps)(input);
    const checked = await check.createHandler(h.deps)(input);
    // Assess
    expect(prepared.replicaName).toBe('twinstack_shop_eu_main');
    expect(h.world.execs.filter((e) => e.argv[1] === 'prepare').map((e) => e.host)).toEqual(['127.0.1.1', '127.0.2.1']);
    expect(restored.action).toBe('started');
    expect(h.world.execs.filter((e) => e.argv[1] === 'restore')).toEqual([expect.objectContaining({ host: '127.0.1.1', argv: ['fake-db', 'restore', 'main', '127.0.2.1'] })]);
    expect(h.world.db('127.0.1.1', 'main')).toMatchObject({ role: 'replica', streaming: true, upstream: '127.0.2.1' });
    expect(checked).toMatchObject({ caughtUp: true, lag: 0, primaryPosition: '0/4000000' });
    const observation = JSON.parse((await h.params.get(parameterNames.observation('shop', 'main'))) ?? '{}') as PrimaryObservation;
    expect(observation).toMatchObject({ position: '0/4000000', stack: 'twin' });
  });

  it('refuses to restore over the active stack when told to replicate towards it, and rejects an unknown source', async () => {
    // Prepare
    const h = await failedOver();
    // Act
    const refused = await restore.createHandler(h.deps)({ group: 'shop', database: 'main', source: 'primary', run: 'replicate-2' });
    const bad = restore.createHandler(h.deps)({ group: 'shop', database: 'main', source: 'eu' as never, run: 'replicate-3' });
    // Assess
    expect(refused.action).toBe('refused');
    expect(refused.reasons.join(' ')).toMatch(/the twin is the active stack/);
    await expect(bad).rejects.toThrow(/"source" must be "primary" or "twin"/);
    expect(h.world.execs.filter((e) => e.argv[1] === 'restore')).toHaveLength(0);
    expect(h.world.db('127.0.2.1', 'main')).toMatchObject({ role: 'primary', writable: true });
  });
});
