import { describe, expect, it } from 'vitest';
import type { RejoinDecision } from '../../../functions/core/decisions/decide-rejoin.ts';
import { InvalidInputError } from '../../../functions/core/errors.ts';
import type { GroupState } from '../../../functions/core/group-state.ts';
import { dnsTargetOf } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import * as assess from '../../../functions/handlers/assess-rejoin.handler.ts';
import * as decide from '../../../functions/handlers/decide-rejoin.handler.ts';
import * as record from '../../../functions/handlers/record-rejoin.handler.ts';
import { STEPS } from '../../../functions/handlers/step-catalog.ts';
import { createHarness, replicateInWorld, type Harness } from './fakes/fake-world.ts';

/** A completed failover: the twin promoted and active, DNS on it, the old primary fenced (stopped). */
async function afterFailover(): Promise<Harness> {
  const h = await createHarness();
  await replicateInWorld(h);
  for (const d of h.group.databases) {
    Object.assign(h.world.db('127.0.2.1', d.name), { role: 'primary', writable: true, streaming: false, promotedByTwinstack: true, position: 0x3000200 });
    Object.assign(h.world.db('127.0.1.1', d.name), { role: 'stopped', writable: false, fenced: true, streaming: false });
  }
  await h.params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin', lastFailoverAt: '2026-01-01T11:00:00.000Z', history: [] }));
  h.dns.records.set(h.group.dns.name, dnsTargetOf(h.group.twin));
  h.health.healthy.set(h.group.primary.healthUrl, false);
  return h;
}

async function stateOf(h: Harness): Promise<GroupState> {
  return JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}') as GroupState;
}

const rejoinDecision = (reasons: string[] = ['the primary stack rejoins as replicas of the active twin stack: main, audit']): RejoinDecision => ({
  action: 'rejoin',
  reasons,
  summary: `rejoin: ${reasons.join('; ')}`,
  active: 'twin',
  standby: 'primary',
  databases: [
    { name: 'main', action: 'rejoin', lagUnit: 'bytes', reasons: [] },
    { name: 'audit', action: 'rejoin', lagUnit: 'transactions', reasons: [] },
  ],
});

const REWOUND = { database: 'main', method: 'rewound' as const, divergent: { amount: 49_152, unit: 'bytes' as const, savedTo: '/var/lib/twinstack/divergent/main-20260101T120000Z' }, detail: ['pg_rewind from the active copy'] };
const REPOINTED = { database: 'audit', method: 'repointed' as const, divergent: { amount: 0, unit: 'transactions' as const }, detail: [] };

describe('the rejoin steps in the catalog', () => {
  it('are least-privilege: assess reads and observes, decide touches nothing, record only writes state', () => {
    // Act
    const caps = Object.fromEntries(STEPS.filter((s) => /Rejoin$/.test(s.state) && s.state !== 'RejoinDatabase').map((s) => [s.state, s.capabilities]));
    // Assess
    expect(caps).toEqual({ AssessRejoin: ['config:read', 'dns:read', 'ssh', 'http'], DecideRejoin: [], RecordRejoin: ['config:read', 'state:write'] });
  });
});

describe('AssessRejoin handler', () => {
  it('observes the active stack (GroupState) as the source and the other as the stack to rejoin, read-only', async () => {
    // Prepare
    const h = await afterFailover();
    // Act
    const snapshot = await assess.createHandler(h.deps)({ group: 'shop', reason: 'old primary is back' });
    // Assess
    expect(snapshot).toMatchObject({ group: 'shop', active: 'twin', standby: 'primary', dnsPointsAt: 'twin', activeHealth: { healthy: true }, standbyHealth: { healthy: false }, observedAt: '2026-01-01T12:00:00.000Z' });
    expect(snapshot.databases.map((d) => d.name)).toEqual(['main', 'audit']);
    expect(snapshot.databases[0]).toMatchObject({
      lagUnit: 'bytes',
      activeAddress: '127.0.2.1:5432',
      standbyReplicaName: 'twinstack_shop_eu_main',
      active: { status: { role: 'primary', writable: true, promotedByTwinstack: true } },
      standby: { status: { role: 'stopped', fenced: true } },
    });
    expect(new Set(h.world.execs.map((e) => e.argv[1]))).toEqual(new Set(['status']));
    expect(h.world.openShells).toBe(0);
  });

  it('records an old primary that has not come back as an error string (unreachable), and a DNS fault as no answer', async () => {
    // Prepare
    const h = await afterFailover();
    h.world.unreachable.add('127.0.1.1');
    const dns = { ...h.dns, current: () => Promise.reject(new Error('Route 53 throttled')), pointAt: h.dns.pointAt.bind(h.dns) };
    // Act
    const snapshot = await assess.createHandler({ ...h.deps, dns })({ group: 'shop' });
    // Assess
    expect(snapshot.databases[0]?.standby.errorKind).toBe('unreachable');
    expect(snapshot.databases[0]?.standby.error).toMatch(/ECONNREFUSED/);
    expect(snapshot.dnsAnswer).toBeUndefined();
    expect(snapshot.dnsPointsAt).toBeUndefined();
  });

  it('refuses an unknown group with InvalidInputError, observing nothing', async () => {
    // Prepare
    const h = await afterFailover();
    // Act + Assess
    await expect(assess.createHandler(h.deps)({ group: 'nope' })).rejects.toBeInstanceOf(InvalidInputError);
    expect(h.world.execs).toEqual([]);
  });
});

describe('DecideRejoin handler', () => {
  it('decides over what AssessRejoin observed: a fenced old primary rejoins', async () => {
    // Prepare
    const h = await afterFailover();
    const snapshot = await assess.createHandler(h.deps)({ group: 'shop' });
    // Act
    const decision = await decide.createHandler(h.deps)({ snapshot });
    // Assess
    expect(decision).toMatchObject({ action: 'rejoin', active: 'twin', standby: 'primary' });
    expect(decision.databases.map((d) => d.action)).toEqual(['rejoin', 'rejoin']);
  });

  it('refuses, naming it, an old primary that came back writable and un-fenced', async () => {
    // Prepare
    const h = await afterFailover();
    Object.assign(h.world.db('127.0.1.1', 'audit'), { role: 'primary', writable: true, fenced: false });
    const snapshot = await assess.createHandler(h.deps)({ group: 'shop' });
    // Act
    const decision = await decide.createHandler(h.deps)({ snapshot });
    // Assess
    expect(decision.action).toBe('refuse');
    expect(decision.summary).toMatch(/primary copy of audit is a writable primary, neither fenced nor demoted/);
  });
});

describe('RecordRejoin handler', () => {
  it('appends a rejoin record with each database\'s divergent data; the active stack and the cool-down stay as they were', async () => {
    // Prepare
    const h = await afterFailover();
    // Act
    const result = await record.createHandler(h.deps)({ group: 'shop', run: 'exec-1', request: { group: 'shop', reason: 'old primary back' }, decision: rejoinDecision(), databases: [REWOUND, REPOINTED] });
    // Assess
    const state = await stateOf(h);
    expect(state).toMatchObject({ active: 'twin', lastFailoverAt: '2026-01-01T11:00:00.000Z' });
    expect(state.history).toEqual([
      {
        kind: 'rejoin',
        at: '2026-01-01T12:00:00.000Z',
        from: 'primary',
        to: 'twin',
        forced: false,
        reasons: ['requested: old primary back', 'the primary stack rejoins as replicas of the active twin stack: main, audit'],
        lost: { main: { amount: 49_152, unit: 'bytes' }, audit: { amount: 0, unit: 'transactions' } },
        run: 'exec-1',
        rejoined: { main: { method: 'rewound', savedTo: REWOUND.divergent.savedTo }, audit: { method: 'repointed' } },
      },
    ]);
    expect(result.recorded).toBe(true);
    expect(result.divergentTotal).toEqual([{ amount: 49_152, unit: 'bytes' }, { amount: 0, unit: 'transactions' }]);
    expect(result.summary).toBe(
      `shop-eu (primary) follows the active shop-de (twin): main rewound (48.0 KiB divergent, saved to ${REWOUND.divergent.savedTo}); audit repointed (nothing divergent); divergent data in total: 48.0 KiB and 0 transactions`,
    );
  });

  it('is idempotent on the run: a retry of the same execution writes nothing again', async () => {
    // Prepare
    const h = await afterFailover();
    const event = { group: 'shop', run: 'exec-1', decision: rejoinDecision(), databases: [REWOUND, REPOINTED] };
    await record.createHandler(h.deps)(event);
    // Act
    const retry = await record.createHandler(h.deps)(event);
    // Assess
    expect(retry.recorded).toBe(false);
    expect(retry.record?.run).toBe('exec-1');
    expect((await stateOf(h)).history).toHaveLength(1);
  });

  it('records nothing when every database already was a replica (nothing changed)', async () => {
    // Prepare
    const h = await afterFailover();
    const already = [{ database: 'main', method: 'already-replica' as const, divergent: { amount: 0, unit: 'bytes' as const } }];
    // Act
    const result = await record.createHandler(h.deps)({ group: 'shop', run: 'exec-2', decision: rejoinDecision(), databases: already });
    // Assess
    expect(result).toMatchObject({ recorded: false, divergentTotal: [{ amount: 0, unit: 'bytes' }] });
    expect(result.summary).toMatch(/main already-replica \(nothing divergent\)/);
    expect((await stateOf(h)).history).toEqual([]);
  });

  it('names errant transactions that were saved aside', async () => {
    // Prepare
    const h = await afterFailover();
    const errant = { database: 'audit', method: 'needs-restore' as const, divergent: { amount: 2, unit: 'transactions' as const, savedTo: '/srv/saved/audit.sql', transactions: ['0-1-17', '0-1-18'] } };
    // Act
    const result = await record.createHandler(h.deps)({ group: 'shop', run: 'exec-3', decision: rejoinDecision(), databases: [errant] });
    // Assess
    expect(result.summary).toContain('audit needs-restore (2 transactions divergent: 0-1-17, 0-1-18, saved to /srv/saved/audit.sql)');
    expect((await stateOf(h)).history?.[0]?.rejoined).toEqual({ audit: { method: 'needs-restore', savedTo: '/srv/saved/audit.sql', transactions: ['0-1-17', '0-1-18'] } });
  });

  it.each([
    ['no run', { run: '' }, /`run`/],
    ['a refusal', { decision: { ...rejoinDecision(), action: 'refuse' as const } }, /a refusal records nothing/],
    ['malformed databases', { databases: [{ database: 'main' }] }, /`databases` must list/],
  ])('refuses %s with InvalidInputError, writing nothing', async (_, override, message) => {
    // Prepare
    const h = await afterFailover();
    const before = await h.params.get(parameterNames.state('shop'));
    const event = { group: 'shop', run: 'exec-4', decision: rejoinDecision(), databases: [REWOUND], ...override } as unknown as record.RecordRejoinInput;
    // Act + Assess
    await expect(record.createHandler(h.deps)(event)).rejects.toThrow(message);
    expect(await h.params.get(parameterNames.state('shop'))).toBe(before);
  });
});
