import { describe, expect, it } from 'vitest';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import * as assess from '../../../functions/handlers/assess-failover.handler.ts';
import * as fence from '../../../functions/handlers/fence-old-primary.handler.ts';
import * as promote from '../../../functions/handlers/promote-database.handler.ts';
import * as record from '../../../functions/handlers/record-failover.handler.ts';
import * as report from '../../../functions/handlers/report-failure.handler.ts';
import * as switchDns from '../../../functions/handlers/switch-dns.handler.ts';
import * as verifyDns from '../../../functions/handlers/verify-dns.handler.ts';
import { createHarness, replicateInWorld } from './fakes/fake-world.ts';

describe('AssessFailover handler', () => {
  it('records an unreachable primary as an error string and estimates lag from the last known position', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'primary' }));
    await h.params.put(parameterNames.observation('shop', 'main'), JSON.stringify({ at: '2026-01-01T11:59:30.000Z', position: '0/3001148', syncReplicas: [] }));
    h.world.unreachable.add('127.0.1.1');
    h.health.healthy.set(h.group.primary.healthUrl, false);
    // Act
    const snapshot = await assess.createHandler(h.deps)({ group: 'shop', force: true });
    // Assess
    const main = snapshot.databases.find((d) => d.name === 'main');
    expect(main?.primary).toBeUndefined();
    expect(main?.primaryError).toMatch(/^HOST_UNREACHABLE/);
    expect(main?.twin?.role).toBe('replica');
    expect(main).toMatchObject({ lagBytes: 0x1000, lagBound: 'lower-bound', lastPrimaryObservation: { position: '0/3001148' } });
    expect(snapshot.databases.find((d) => d.name === 'audit')?.lagBytes).toBeUndefined();
    expect(snapshot).toMatchObject({ group: 'shop', activeStack: 'primary', dnsPointsAt: 'primary', force: true, cooldownSeconds: 600, maxObservationAgeSeconds: 60, observedAt: '2026-01-01T12:00:00.000Z' });
    expect(snapshot.primaryHealth.healthy).toBe(false);
    expect(h.world.openShells).toBe(0);
  });
});

describe('FenceOldPrimary handler', () => {
  it('fences a reachable primary and reports an unreachable one as isolated', async () => {
    // Prepare
    const h = await createHarness();
    const groupJson = JSON.stringify({ ...h.group, databases: h.group.databases.map((d, i) => (i === 1 ? { ...d, host: 'app' } : d)) });
    await h.params.put(parameterNames.config('shop'), groupJson);
    Object.assign(h.world.db('127.0.1.2', 'audit'), { role: 'primary', writable: true });
    h.world.unreachable.add('127.0.1.2');
    // Act
    const result = await fence.createHandler(h.deps)({ group: 'shop' });
    // Assess
    expect(result.databases.map((d) => [d.database, d.outcome])).toEqual([['main', 'fenced'], ['audit', 'isolated']]);
    expect(h.world.db('127.0.1.1', 'main')).toMatchObject({ role: 'stopped', fenced: true, writable: false });
  });

  it('does not fence twice', async () => {
    // Prepare
    const h = await createHarness();
    const handle = fence.createHandler(h.deps);
    await handle({ group: 'shop' });
    const fencesBefore = h.world.execs.filter((e) => e.argv[1] === 'fence').length;
    // Act
    const again = await handle({ group: 'shop' });
    // Assess
    expect(again.databases.every((d) => d.outcome === 'already-fenced')).toBe(true);
    expect(h.world.execs.filter((e) => e.argv[1] === 'fence')).toHaveLength(fencesBefore);
  });
});

describe('PromoteDatabase handler', () => {
  it('promotes a replica once; a re-run verifies without promoting again', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    const handle = promote.createHandler(h.deps);
    // Act
    const first = await handle({ group: 'shop', database: 'main' });
    const second = await handle({ group: 'shop', database: 'main' });
    // Assess
    expect(first.action).toBe('promoted');
    expect(second.action).toBe('already-primary');
    expect(h.world.execs.filter((e) => e.argv[1] === 'promote')).toHaveLength(1);
    expect(h.world.db('127.0.2.1', 'main')).toMatchObject({ role: 'primary', writable: true });
    expect(h.world.openShells).toBe(0);
  });

  it('throws PromotionError when the promoted database does not accept writes', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    h.world.brokenPromotions.add('main');
    // Act + Assess
    await expect(promote.createHandler(h.deps)({ group: 'shop', database: 'main' })).rejects.toMatchObject({ name: 'PromotionError' });
    expect(h.world.openShells).toBe(0);
  });
});

describe('SwitchDns and VerifyDns handlers', () => {
  it('points the name at the twin once and verifies it', async () => {
    // Prepare
    const h = await createHarness();
    const switchHandler = switchDns.createHandler(h.deps);
    // Act
    const first = await switchHandler({ group: 'shop' });
    const second = await switchHandler({ group: 'shop' });
    const verified = await verifyDns.createHandler(h.deps)({ group: 'shop' });
    // Assess
    expect([first.changed, second.changed]).toEqual([true, false]);
    expect(h.dns.changes).toEqual([{ type: 'A', value: '127.0.2.2' }]);
    expect(verified.verified).toBe(true);
  });

  it('VerifyDns throws DnsVerificationError while the verifier does not see the twin', async () => {
    // Prepare
    const h = await createHarness({ dnsVerifier: () => Promise.resolve(false) });
    // Act + Assess
    await expect(verifyDns.createHandler(h.deps)({ group: 'shop' })).rejects.toMatchObject({ name: 'DnsVerificationError' });
  });
});

describe('RecordFailover handler', () => {
  const decision = { action: 'failover' as const, forced: false, reasons: ['primary down'], databases: [{ name: 'main', action: 'promote' as const, lossBytes: 0, reasons: [] }] };

  it('records the twin as active with a history entry, once', async () => {
    // Prepare
    const h = await createHarness();
    const handle = record.createHandler(h.deps);
    // Act
    const first = await handle({ group: 'shop', decision, reason: 'alarm' });
    const second = await handle({ group: 'shop', decision });
    // Assess
    const state = JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}') as Record<string, unknown>;
    expect([first.recorded, second.recorded]).toEqual([true, false]);
    expect(state).toMatchObject({ active: 'twin', lastFailoverAt: '2026-01-01T12:00:00.000Z' });
    expect(state.history).toEqual([{ at: '2026-01-01T12:00:00.000Z', from: 'primary', to: 'twin', forced: false, reasons: ['requested: alarm', 'primary down'], lostBytes: { main: 0 } }]);
  });
});

describe('ReportFailure handler', () => {
  it('reports where DNS points without changing anything', async () => {
    // Prepare
    const h = await createHarness();
    const putsBefore = h.params.puts.length;
    // Act
    const result = await report.createHandler(h.deps)({ group: 'shop', workflow: 'failover', error: { Error: 'PromotionError', Cause: 'read-only' } });
    // Assess
    expect(result).toMatchObject({ status: 'failed', error: 'PromotionError', cause: 'read-only', dnsPointsAt: 'primary', activeStack: 'primary' });
    expect(result.note).toMatch(/still points at the primary/);
    expect(h.params.puts).toHaveLength(putsBefore);
    expect(h.dns.changes).toEqual([]);
  });

  it('still reports when the group cannot be observed', async () => {
    // Prepare
    const h = await createHarness();
    // Act
    const result = await report.createHandler(h.deps)({ group: 'unknown', error: { Error: 'InvalidInputError', Cause: 'x' } });
    // Assess
    expect(result).toMatchObject({ status: 'failed', dnsPointsAt: 'unknown' });
    expect(result.note).toMatch(/could not observe/);
  });
});
