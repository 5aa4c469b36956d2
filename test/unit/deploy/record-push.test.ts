import { describe, expect, it } from 'vitest';
import { INITIAL_DEPLOY_STATE, type DeployState } from '../../../functions/core/deploy/deploy-state.ts';
import { newerOf, recordPush } from '../../../functions/core/deploy/record-push.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const at = (s: number) => `2026-01-01T12:00:${String(s).padStart(2, '0')}.000Z`;
const desired = (revision: string, s: number, sequence: number): DeployState => ({ desired: { revision, receivedAt: at(s), deliveryId: `d${sequence}`, sequence }, stacks: {} });

describe('recordPush', () => {
  it.each([
    { name: 'first push becomes desired with sequence 1', state: INITIAL_DEPLOY_STATE, push: { revision: A, s: 0 }, action: 'queued', recorded: true, desiredAfter: A, sequence: 1 },
    { name: 'a newer push supersedes the desired one', state: desired(A, 0, 1), push: { revision: B, s: 5 }, action: 'queued', recorded: true, desiredAfter: B, sequence: 2 },
    { name: 'an older push is superseded and changes nothing', state: desired(B, 5, 2), push: { revision: A, s: 0 }, action: 'superseded', recorded: false, desiredAfter: B, sequence: 0 },
    { name: 'the same revision again is queued without a new record', state: desired(A, 0, 1), push: { revision: A, s: 9 }, action: 'queued', recorded: false, desiredAfter: A, sequence: 1 },
    { name: 'another revision at the same instant wins as the later delivery', state: desired(A, 3, 4), push: { revision: B, s: 3 }, action: 'queued', recorded: true, desiredAfter: B, sequence: 5 },
  ])('$name', ({ state, push, action, recorded, desiredAfter, sequence }) => {
    // Act
    const decision = recordPush(state, { revision: push.revision, receivedAt: at(push.s), deliveryId: 'x' });
    // Assess
    expect(decision.action).toBe(action);
    expect(decision.recorded).toBe(recorded);
    expect(decision.state.desired?.revision).toBe(desiredAfter);
    expect(decision.version.sequence).toBe(sequence);
    expect(decision.reasons.length).toBeGreaterThan(0);
  });

  it('compares instants, not strings (offsets)', () => {
    // Prepare: 12:00:05Z is later than 13:00:00+02:00 (= 11:00:00Z)
    const state: DeployState = { desired: { revision: A, receivedAt: '2026-01-01T13:00:00+02:00', deliveryId: 'd', sequence: 1 }, stacks: {} };
    // Act
    const decision = recordPush(state, { revision: B, receivedAt: at(5), deliveryId: 'e' });
    // Assess
    expect(decision.action).toBe('queued');
  });
});

describe('newerOf', () => {
  it.each([
    { a: undefined, b: { s: 1, q: 1 }, winner: 'b' },
    { a: { s: 2, q: 1 }, b: { s: 1, q: 9 }, winner: 'a' },
    { a: { s: 1, q: 3 }, b: { s: 1, q: 2 }, winner: 'a' },
    { a: { s: 1, q: 2 }, b: { s: 1, q: 2 }, winner: 'b' },
  ])('newerOf($a, $b) is $winner', ({ a, b, winner }) => {
    // Prepare
    const va = a && { revision: A, receivedAt: at(a.s), deliveryId: 'a', sequence: a.q };
    const vb = { revision: B, receivedAt: at(b.s), deliveryId: 'b', sequence: b.q };
    // Act + Assess
    expect(newerOf(va, vb)).toBe(winner === 'a' ? va : vb);
  });
});
