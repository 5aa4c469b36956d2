import { describe, expect, it } from 'vitest';
import { toDatabaseObservation, type EngineJudgement } from '../../../../functions/core/decisions/database-observation.ts';
import type { DatabaseStatus } from '../../../../functions/core/engines/database-engine.ts';
import { parseDatabaseEntry } from '../../../../infra/config/twinstack-config.schema.ts';

/** Positions are plain integers here: the arithmetic is the engine's, given. */
const ENGINE: EngineJudgement = {
  lagUnit: 'transactions',
  positionDiff: (to, from) => Number(to) - Number(from),
  compatibilityProblems: (p, t) => (p.version !== t.version ? [`versions ${p.version} and ${t.version}`] : []),
};
const DATABASE = parseDatabaseEntry({ name: 'orders', engine: 'mariadb', host: 'db' });
const primary = (position: string, version = '10.11'): DatabaseStatus => ({ role: 'primary', writable: true, fenced: false, position, version });
const replica = (position: string, version = '10.11'): DatabaseStatus => ({ role: 'replica', writable: false, fenced: false, position, receivedPosition: position, version });
const LAST_SEEN = { at: '2026-01-01T12:00:00Z', position: '120', syncReplicas: [] };

describe('toDatabaseObservation', () => {
  it.each([
    { name: 'live primary: exact lag in the engine unit', p: { status: primary('130') }, t: { status: replica('100') }, lag: 30, bound: 'exact' },
    { name: 'primary gone: lower bound from its last observation', p: { error: 'HOST_UNREACHABLE: x', errorKind: 'unreachable' as const }, t: { status: replica('100') }, lag: 20, bound: 'lower-bound' },
    { name: 'twin already primary behind a live primary: a loss', p: { status: primary('130') }, t: { status: primary('125') }, lag: 5, bound: 'exact' },
    { name: 'twin not readable: no lag', p: { status: primary('130') }, t: { error: 'FAULT: y', errorKind: 'fault' as const }, lag: undefined, bound: undefined },
  ])('$name', ({ p, t, lag, bound }) => {
    // Act
    const observed = toDatabaseObservation({ database: DATABASE, engine: ENGINE, replicaName: 'twin', primary: p, twin: t, lastSeen: LAST_SEEN });

    // Assess
    expect(observed.lag).toBe(lag);
    expect(observed.lagBound).toBe(bound);
    expect(observed).toMatchObject({ name: 'orders', lagUnit: 'transactions', maxLag: 100, mode: 'async' });
  });

  it('carries the engine incompatibilities only when both sides were read, and the error kind of an unreadable primary', () => {
    // Act
    const both = toDatabaseObservation({ database: DATABASE, engine: ENGINE, replicaName: 'twin', primary: { status: primary('1', '10.6') }, twin: { status: replica('1') } });
    const one = toDatabaseObservation({ database: DATABASE, engine: ENGINE, replicaName: 'twin', primary: { error: 'AUTH: z', errorKind: 'fault' }, twin: { status: replica('1') } });

    // Assess
    expect(both.incompatibilities).toEqual(['versions 10.6 and 10.11']);
    expect(one.incompatibilities).toBeUndefined();
    expect(one).toMatchObject({ primaryError: 'AUTH: z', primaryErrorKind: 'fault' });
  });
});
