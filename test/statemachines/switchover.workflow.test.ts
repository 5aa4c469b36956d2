import { describe, expect, it } from 'vitest';
import type { GroupState } from '../../functions/core/group-state.ts';
import { dnsTargetOf } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { runWorkflow, type WorkflowResult } from '../../infra/local/runtime/run-workflow.ts';
import { createHarness, replicateInWorld, type Harness } from '../unit/handlers/fakes/fake-world.ts';

const FAST = { retryIntervalMs: 0, waitMs: 0 };
const PRIMARY_DB = '127.0.1.1';
const TWIN_DB = '127.0.2.1';

async function replicated(): Promise<Harness> {
  const h = await createHarness();
  await replicateInWorld(h);
  return h;
}

const ran = (h: Harness, op: string) => h.world.execs.filter((e) => e.argv[1] === op);
const stateOf = async (h: Harness) => JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}') as GroupState;
const succeeded = (result: WorkflowResult) => result.events.filter((e) => e.type === 'succeeded').map((e) => e.state);

/** The lease is free again: another execution can take it. */
async function leaseReleased(h: Harness): Promise<boolean> {
  return (await h.deps.lease?.acquire('group:shop', 'next-execution', 60)) === true;
}

interface SwitchoverOutput {
  outcome: string;
  from: string;
  to: string;
  databases: { database: string; token: string; demotedAt: string; caughtUpAt?: string }[];
  promoted: { database: string; promotedAt: string }[];
  dnsSwitchedAt: string;
  rejoined: { database: string; method: string; divergent: { amount: number } }[];
}

describe('switchover workflow (local runtime, fake ports)', () => {
  it('switches primary → twin losing nothing: demote, catch up to the token, promote, DNS, rejoin the old primaries, record; then back twin → primary', async () => {
    // Prepare
    const h = await replicated();
    // Act
    const there = await runWorkflow({ workflow: 'switchover', input: { group: 'shop', reason: 'maintenance' }, deps: h.deps, timing: FAST });
    const afterThere = { dns: h.dns.records.get(h.group.dns.name), state: await stateOf(h), primaryMain: { ...h.world.db(PRIMARY_DB, 'main') } };
    const back = await runWorkflow({ workflow: 'switchover', input: { group: 'shop', to: 'primary' }, deps: h.deps, timing: FAST });
    // Assess: there
    expect(there.cause ?? '').toBe('');
    expect(there.status).toBe('SUCCEEDED');
    const out = there.output as SwitchoverOutput;
    expect(out).toMatchObject({ outcome: 'switched-over', from: 'primary', to: 'twin' });
    expect(out.databases.map((d) => [d.database, d.token])).toEqual([['main', '0/3000148'], ['audit', '0/3000148']]);
    for (const d of out.databases) expect(d.caughtUpAt).toEqual(expect.any(String));
    expect(out.promoted.map((p) => p.promotedAt)).toEqual([expect.any(String), expect.any(String)]);
    expect(out.dnsSwitchedAt).toEqual(expect.any(String));
    expect(out.rejoined.map((r) => [r.database, r.method, r.divergent.amount])).toEqual([['main', 'repointed', 0], ['audit', 'repointed', 0]]);
    expect(afterThere.dns).toEqual(dnsTargetOf(h.group.twin));
    expect(afterThere.primaryMain).toMatchObject({ role: 'replica', upstream: TWIN_DB, writable: false });
    expect(afterThere.state).toMatchObject({ active: 'twin', history: [{ kind: 'switchover', from: 'primary', to: 'twin', forced: false, lost: { main: { amount: 0, unit: 'bytes' }, audit: { amount: 0, unit: 'bytes' } } }] });
    expect(afterThere.state.history?.[0]?.reasons).toContain('requested: maintenance');
    expect(afterThere.state.lastFailoverAt).toBeUndefined();
    const order = succeeded(there);
    const at = (state: string) => order.indexOf(state);
    const last = (state: string) => order.lastIndexOf(state);
    expect(last('DemoteDatabase')).toBeLessThan(at('CheckSwitchoverCatchUp'));
    expect(at('CheckSwitchoverCatchUp')).toBeLessThan(at('PromoteDatabase'));
    expect(last('PromoteDatabase')).toBeLessThan(at('SwitchDns'));
    expect(at('VerifyDns')).toBeLessThan(at('RejoinDatabase'));
    expect(last('RejoinDatabase')).toBeLessThan(at('RecordFailover'));
    // No Wait between the demotion and the DNS switch when the replicas are caught up.
    expect(order.slice(at('DemoteDatabases'), at('SwitchDns'))).not.toContain('WaitForCatchUp');
    // Assess: back
    expect(back.cause ?? '').toBe('');
    expect(back.output).toMatchObject({ outcome: 'switched-over', from: 'twin', to: 'primary' });
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.primary));
    for (const d of h.group.databases) {
      expect(h.world.db(PRIMARY_DB, d.name)).toMatchObject({ role: 'primary', writable: true });
      expect(h.world.db(TWIN_DB, d.name)).toMatchObject({ role: 'replica', upstream: PRIMARY_DB, streaming: true });
    }
    const state = await stateOf(h);
    expect(state.active).toBe('primary');
    expect(state.history?.map((r) => [r.kind, r.from, r.to])).toEqual([['switchover', 'primary', 'twin'], ['switchover', 'twin', 'primary']]);
    expect(h.params.values.get(parameterNames.env('shop', 'shop-eu', 'TWINSTACK_ROLE'))?.value).toBe('active');
    expect(await leaseReleased(h)).toBe(true);
    expect(h.world.openShells).toBe(0);
    for (const secret of h.secrets()) expect(JSON.stringify([there, back])).not.toContain(secret);
  });

  it.each([
    ['the asked-for stack is already active', (h: Harness): void => void h, { to: 'primary' }, /the primary is already the active stack/],
    ['a replica is not streaming', (h: Harness): void => void (h.world.db(TWIN_DB, 'audit').streaming = false), {}, /twin of audit is not streaming/],
    ['the target stack is unhealthy', (h: Harness): void => void h.health.healthy.set(h.group.twin.healthUrl, false), {}, /twin stack unhealthy/],
    ['DNS does not point at the active stack', (h: Harness): void => void h.dns.records.set(h.group.dns.name, dnsTargetOf(h.group.twin)), {}, /DNS points at the twin, not the active primary/],
    ['a replica is broken (its server is down)', (h: Harness): void => void Object.assign(h.world.db(TWIN_DB, 'audit'), { role: 'stopped', streaming: false }), {}, /twin of audit is stopped, not a running replica: rejoin it first/],
    ['a replica cannot be observed', (h: Harness): void => void h.world.unreachable.add(TWIN_DB), {}, /twin of main could not be observed \(HOST_UNREACHABLE/],
    [
      'a replica lags past what it catches up within the timeout',
      (h: Harness): void => void Object.assign(h.world.db(TWIN_DB, 'audit'), { position: 0x3000148 - 20 * 1024 * 1024, catchUpPerRead: 0 }),
      { catchUpTimeoutSeconds: 5 },
      /twin of audit lag 20\.0 MiB > limit 16\.0 MiB: it would not catch up within the 5 s timeout/,
    ],
  ] as const)('refuses, changing nothing, when %s: the reasons are the output, the lease is given back', async (_name, arrange, input, says) => {
    // Prepare
    const h = await replicated();
    arrange(h);
    const dnsBefore = h.dns.records.get(h.group.dns.name);
    const dbsBefore = JSON.stringify([...h.world.dbs]);
    h.world.execs.length = 0;
    // Act
    const result = await runWorkflow({ workflow: 'switchover', input: { group: 'shop', ...input }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ action: 'refuse', kind: 'switchover' });
    expect((result.output as { reasons: string[] }).reasons.join(' | ')).toMatch(says);
    expect([ran(h, 'demote'), ran(h, 'promote'), ran(h, 'rejoin')]).toEqual([[], [], []]);
    expect([...new Set(h.world.execs.map((e) => e.argv[1]))].filter((op) => op !== 'status')).toEqual([]);
    expect(JSON.stringify([...h.world.dbs])).toBe(dbsBefore);
    expect(h.dns.changes).toEqual([]);
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsBefore);
    expect(await stateOf(h)).toEqual({ active: 'primary' });
    expect(await leaseReleased(h)).toBe(true);
  });

  it('aborts when the replicas do not reach the final position within the timeout: the demotions are undone, nothing promoted, SwitchoverAborted', async () => {
    // Prepare: audit's replica is 1 KiB behind and stops applying
    const h = await replicated();
    Object.assign(h.world.db(TWIN_DB, 'audit'), { position: 0x3000148 - 1024, catchUpPerRead: 0 });
    // Act
    const result = await runWorkflow({ workflow: 'switchover', input: { group: 'shop', catchUpTimeoutSeconds: 2 }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SwitchoverAborted');
    expect(result.cause).toMatch(/did not reach their demoted primaries' final positions within 2 s/);
    expect(ran(h, 'demote')).toHaveLength(2);
    expect(ran(h, 'undo-demote').map((e) => e.host)).toEqual([PRIMARY_DB, PRIMARY_DB]);
    for (const d of h.group.databases) expect(h.world.db(PRIMARY_DB, d.name)).toMatchObject({ role: 'primary', writable: true, demoted: false });
    expect([ran(h, 'promote'), ran(h, 'rejoin')]).toEqual([[], []]);
    expect(h.world.db(TWIN_DB, 'audit')).toMatchObject({ role: 'replica' });
    expect(h.dns.changes).toEqual([]);
    expect(await stateOf(h)).toEqual({ active: 'primary' });
    expect(result.events.filter((e) => e.state === 'CheckSwitchoverCatchUp' && e.type === 'succeeded').length).toBeLessThanOrEqual(3);
    expect(await leaseReleased(h)).toBe(true);
  });

  it('aborts when a demotion fails: the databases already demoted get their writes back, the one never demoted is left alone', async () => {
    // Prepare
    const h = await replicated();
    h.world.brokenDemotions.add('audit');
    // Act
    const result = await runWorkflow({ workflow: 'switchover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SwitchoverAborted');
    expect(result.cause).toMatch(/failed before anything was promoted \(RemoteCommandError/);
    expect(ran(h, 'undo-demote').map((e) => e.argv[2])).toEqual(['main']);
    for (const d of h.group.databases) expect(h.world.db(PRIMARY_DB, d.name)).toMatchObject({ role: 'primary', writable: true });
    expect(ran(h, 'promote')).toEqual([]);
    expect(await leaseReleased(h)).toBe(true);
  });

  it('works the same when a demotion shuts the primary down (PostgreSQL): caught up to the token, switched, the stopped old primary rejoined', async () => {
    // Prepare
    const h = await replicated();
    h.world.demotionStops = true;
    // Act
    const result = await runWorkflow({ workflow: 'switchover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.cause ?? '').toBe('');
    expect(result.output).toMatchObject({ outcome: 'switched-over', to: 'twin' });
    for (const d of h.group.databases) {
      expect(h.world.db(TWIN_DB, d.name)).toMatchObject({ role: 'primary', writable: true });
      expect(h.world.db(PRIMARY_DB, d.name)).toMatchObject({ role: 'replica', upstream: TWIN_DB });
    }
  });

  it('undoes a demotion that shut the primary down: it starts again as a writable primary', async () => {
    // Prepare
    const h = await replicated();
    h.world.demotionStops = true;
    Object.assign(h.world.db(TWIN_DB, 'main'), { position: 0x3000148 - 1024, catchUpPerRead: 0 });
    // Act
    const result = await runWorkflow({ workflow: 'switchover', input: { group: 'shop', catchUpTimeoutSeconds: 1 }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.error).toBe('SwitchoverAborted');
    for (const d of h.group.databases) expect(h.world.db(PRIMARY_DB, d.name)).toMatchObject({ role: 'primary', writable: true, demoted: false });
  });

  it('resumes a switchover an earlier run left demoted (its undo never ran): same token, switched over', async () => {
    // Prepare
    const h = await replicated();
    Object.assign(h.world.db(PRIMARY_DB, 'main'), { writable: false, demoted: true });
    // Act
    const result = await runWorkflow({ workflow: 'switchover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.cause ?? '').toBe('');
    expect(result.output).toMatchObject({ outcome: 'switched-over', to: 'twin' });
    expect((result.output as SwitchoverOutput).databases.find((d) => d.database === 'main')?.token).toBe('0/3000148');
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.twin));
  });

  it('reports a failed rejoin in the outcome: traffic already moved and is recorded, the rejoin workflow finishes it', async () => {
    // Prepare: every rejoin command fails on the old primary's host
    const h = await replicated();
    const deps = {
      ...h.deps,
      engineFor: (name: Parameters<NonNullable<Harness['deps']['engineFor']>>[0]) => {
        const engine = h.deps.engineFor!(name);
        return { ...engine, rejoin: (...args: Parameters<typeof engine.rejoin>) => ({ ...engine.rejoin(...args), argv: ['fake-db', 'no-such-op'] }), parseRejoin: () => { throw new Error('unreachable'); } };
      },
    };
    // Act
    const result = await runWorkflow({ workflow: 'switchover', input: { group: 'shop' }, deps, timing: FAST });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ outcome: 'switched-over-not-rejoined', to: 'twin', rejoinError: { Error: expect.any(String) as unknown } });
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.twin));
    expect(await stateOf(h)).toMatchObject({ active: 'twin' });
    expect(await leaseReleased(h)).toBe(true);
  });

  it.each([
    { to: 'eu' },
    { catchUpTimeoutSeconds: 0 },
    { catchUpTimeoutSeconds: 601 },
    { catchUpTimeoutSeconds: '30' },
    { reason: 7 },
  ])('rejects the input %o before any step runs (InvalidWorkflowInput)', async (bad) => {
    // Prepare
    const h = await replicated();
    // Act
    const result = await runWorkflow({ workflow: 'switchover', input: { group: 'shop', ...bad }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidWorkflowInput');
    expect(result.events.some((e) => e.state === 'AcquireGroupLease')).toBe(false);
  });
});
