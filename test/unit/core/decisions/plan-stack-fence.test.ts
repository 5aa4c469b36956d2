import { describe, expect, it } from 'vitest';
import type { FencePlan } from '../../../../functions/core/decisions/plan-fence.ts';
import { needsHealth, planStackFence } from '../../../../functions/core/decisions/plan-stack-fence.ts';

const plan = (action: FencePlan['action']): FencePlan => ({ action, reasons: [`reason for ${action}`] });
const PRIMARY = { stack: 'shop-eu', healthUrl: 'http://127.0.1.2:8080/health' };

describe('planStackFence', () => {
  it.each([
    { name: 'every database reachable', plans: ['fence', 'already-fenced'] as const, health: undefined, action: 'fence', reason: 'main: reason for fence' },
    { name: 'one refusal stops them all', plans: ['fence', 'refuse'] as const, health: undefined, action: 'refuse', reason: 'cannot be fenced safely: audit on db' },
    { name: 'isolated and the stack is down', plans: ['isolated', 'fence'] as const, health: { healthy: false, detail: 'ECONNREFUSED' }, action: 'fence', reason: 'reason for isolated' },
    { name: 'isolated but the stack still serves', plans: ['isolated', 'fence'] as const, health: { healthy: true, detail: 'HTTP 200' }, action: 'refuse', reason: 'still serving' },
    { name: 'isolated and health never checked', plans: ['isolated'] as const, health: undefined, action: 'refuse', reason: 'its health was not checked' },
  ])('$name → $action', ({ plans, health, action, reason }) => {
    // Prepare
    const databases = plans.map((p, i) => ({ database: i === 0 ? 'main' : 'audit', host: 'db', plan: plan(p) }));

    // Act
    const decided = planStackFence(databases, { ...PRIMARY, ...(health ? { health } : {}) });

    // Assess
    expect(decided.action).toBe(action);
    expect(decided.reasons.join(' | ')).toContain(reason);
  });

  it('asks for the stack health only when a database is isolated', () => {
    // Act / Assess
    expect(needsHealth([{ database: 'main', host: 'db', plan: plan('fence') }])).toBe(false);
    expect(needsHealth([{ database: 'main', host: 'db', plan: plan('isolated') }])).toBe(true);
  });
});
