import { describe, expect, it } from 'vitest';
import type { DeployState, DeployVersion } from '../../../functions/core/deploy/deploy-state.ts';
import { planDeploy } from '../../../functions/core/deploy/plan-deploy.ts';
import { sampleGroup } from '../handlers/fakes/fake-world.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const v = (revision: string, s: number, sequence: number): DeployVersion => ({ revision, receivedAt: `2026-01-01T12:00:0${s}.000Z`, deliveryId: 'd', sequence });
const group = { ...sampleGroup(), source: { provider: 'github' as const, repository: 'a/b', branch: 'main', gitUrl: 'https://x/a/b.git', hostConcurrency: 3 } };

describe('planDeploy', () => {
  it.each<{ name: string; state: DeployState; own: DeployVersion; action: string; target: string; stacks: string[]; changed: boolean }>([
    { name: 'nothing deployed: both stacks', state: { desired: v(A, 1, 1), stacks: {} }, own: v(A, 1, 1), action: 'deploy', target: A, stacks: ['shop-eu', 'shop-de'], changed: false },
    { name: 'both at the target: none', state: { desired: v(A, 1, 1), stacks: { 'shop-eu': { deployed: A, version: v(A, 1, 1), status: 'deployed' }, 'shop-de': { deployed: A, version: v(A, 1, 1), status: 'deployed' } } }, own: v(A, 1, 1), action: 'none', target: A, stacks: [], changed: false },
    { name: 'one failed: only that one', state: { desired: v(A, 1, 1), stacks: { 'shop-eu': { status: 'failed', failedRevision: A }, 'shop-de': { deployed: A, version: v(A, 1, 1), status: 'deployed' } } }, own: v(A, 1, 1), action: 'deploy', target: A, stacks: ['shop-eu'], changed: false },
    { name: 'an older execution deploys the newer desired', state: { desired: v(B, 5, 2), stacks: {} }, own: v(A, 1, 1), action: 'deploy', target: B, stacks: ['shop-eu', 'shop-de'], changed: false },
    { name: 'own newer than a lost desired write moves desired forward', state: { desired: v(A, 1, 1), stacks: {} }, own: v(B, 5, 2), action: 'deploy', target: B, stacks: ['shop-eu', 'shop-de'], changed: true },
    { name: 'a stack ahead of the target is never deployed backwards', state: { stacks: { 'shop-eu': { deployed: B, version: v(B, 5, 2), status: 'deployed' } } }, own: v(A, 1, 1), action: 'deploy', target: A, stacks: ['shop-de'], changed: true },
  ])('$name', ({ state, own, action, target, stacks, changed }) => {
    // Act
    const plan = planDeploy(group, state, own);
    // Assess
    expect(plan.action).toBe(action);
    expect(plan.target.revision).toBe(target);
    expect(plan.stacks.map((s) => s.stack)).toEqual(stacks);
    expect(plan.changed).toBe(changed);
    expect(plan.hostConcurrency).toBe(3);
    expect(plan.reasons.length).toBeGreaterThan(0);
  });

  it('lists every host of a planned stack, primary first', () => {
    // Act
    const plan = planDeploy(group, { stacks: {} }, v(A, 1, 1));
    // Assess
    expect(plan.stacks).toEqual([
      { stack: 'shop-eu', role: 'primary', hosts: ['db', 'app'] },
      { stack: 'shop-de', role: 'twin', hosts: ['db', 'app'] },
    ]);
  });
});
