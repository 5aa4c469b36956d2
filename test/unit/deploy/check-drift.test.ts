import { describe, expect, it } from 'vitest';
import { checkDrift } from '../../../functions/core/deploy/check-drift.ts';
import type { DeployState } from '../../../functions/core/deploy/deploy-state.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ok = (revision: string) => ({ deployed: revision, status: 'deployed' as const });

describe('checkDrift', () => {
  it.each<{ name: string; stacks: DeployState['stacks']; target?: string; inSync: boolean; reason: RegExp }>([
    { name: 'both at the same revision', stacks: { eu: ok(A), de: ok(A) }, target: A, inSync: true, reason: /every stack runs aaaaaaa/ },
    { name: 'different revisions', stacks: { eu: ok(A), de: ok(B) }, inSync: false, reason: /different revisions: eu aaaaaaa, de bbbbbbb/ },
    { name: 'one failed (still on the old revision)', stacks: { eu: { ...ok(A), status: 'failed', failedRevision: B, lastError: 'exit 1' }, de: ok(B) }, target: B, inSync: false, reason: /eu failed to deploy bbbbbbb: exit 1/ },
    { name: 'one never deployed', stacks: { eu: ok(A) }, inSync: false, reason: /de has never been deployed/ },
    { name: 'same revision but not the target', stacks: { eu: ok(A), de: ok(A) }, target: B, inSync: false, reason: /not at the target bbbbbbb/ },
  ])('$name → inSync $inSync', ({ stacks, target, inSync, reason }) => {
    // Act
    const report = checkDrift(['eu', 'de'], { stacks }, target);
    // Assess
    expect(report.inSync).toBe(inSync);
    expect(report.reasons.join('\n')).toMatch(reason);
  });

  it('lists the revision of every stack', () => {
    // Act
    const report = checkDrift(['eu', 'de'], { stacks: { eu: ok(A) } });
    // Assess
    expect(report.revisions).toEqual({ eu: A, de: null });
  });
});
