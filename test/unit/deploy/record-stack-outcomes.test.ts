import { describe, expect, it } from 'vitest';
import type { DeployState, DeployVersion } from '../../../functions/core/deploy/deploy-state.ts';
import { recordStackOutcomes } from '../../../functions/core/deploy/record-stack-outcomes.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const v = (revision: string, s: number, sequence: number): DeployVersion => ({ revision, receivedAt: `2026-01-01T12:00:0${s}.000Z`, deliveryId: 'd', sequence });
const NOW = '2026-01-01T12:01:00.000Z';

describe('recordStackOutcomes', () => {
  it('records deployed and failed stacks in one state; a failed stack keeps what it runs', () => {
    // Prepare
    const state: DeployState = { stacks: { eu: { deployed: A, version: v(A, 1, 1), status: 'deployed', deployedAt: 'then' } } };
    // Act
    const next = recordStackOutcomes(state, v(B, 2, 2), [{ stack: 'eu', status: 'failed', error: 'boom' }, { stack: 'de', status: 'deployed' }], NOW);
    // Assess
    expect(next.changed).toBe(true);
    expect(next.state.stacks['eu']).toEqual({ deployed: A, version: v(A, 1, 1), deployedAt: 'then', status: 'failed', failedRevision: B, lastError: 'boom' });
    expect(next.state.stacks['de']).toEqual({ deployed: B, version: v(B, 2, 2), deployedAt: NOW, status: 'deployed' });
  });

  it.each([
    { name: 'same deployed outcome again', outcome: { stack: 'eu', status: 'deployed' as const } },
    { name: 'a stack already ahead of the target', outcome: { stack: 'ahead', status: 'deployed' as const } },
  ])('changes nothing for $name', ({ outcome }) => {
    // Prepare
    const state: DeployState = { stacks: { eu: { deployed: A, version: v(A, 1, 1), status: 'deployed' }, ahead: { deployed: B, version: v(B, 9, 9), status: 'deployed' } } };
    // Act
    const next = recordStackOutcomes(state, v(A, 1, 1), [outcome], NOW);
    // Assess
    expect(next.changed).toBe(false);
    expect(next.state).toBe(state);
  });

  it('is idempotent for failures', () => {
    // Prepare
    const once = recordStackOutcomes({ stacks: {} }, v(A, 1, 1), [{ stack: 'eu', status: 'failed', error: 'x' }], NOW);
    // Act
    const twice = recordStackOutcomes(once.state, v(A, 1, 1), [{ stack: 'eu', status: 'failed', error: 'x' }], NOW);
    // Assess
    expect(twice.changed).toBe(false);
  });
});
