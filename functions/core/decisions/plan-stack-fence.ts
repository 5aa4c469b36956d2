/**
 * May the primary stack's databases be fenced now, as a whole? Decided over every
 * database's FencePlan before anything is fenced, so one refusal stops them all.
 *
 * Invariants:
 * - any database whose plan is `refuse` (observed with a fault: it may be running and
 *   writable) refuses the stack: nothing is fenced, nothing promoted;
 * - an `isolated` database (its host cannot be reached at all) is acceptable only while
 *   the primary stack no longer serves its health URL: unreachable over SSH but still
 *   serving is a partition, not an outage, and refuses;
 * - `primaryHealth` is needed (and asked for, by `needsHealth`) only when some database is isolated.
 */
import type { FencePlan } from './plan-fence.ts';

export interface DatabaseFencePlan {
  readonly database: string;
  readonly host: string;
  readonly plan: FencePlan;
}

export interface StackFencePlan {
  readonly action: 'fence' | 'refuse';
  readonly reasons: readonly string[];
}

/** True when the decision needs the primary stack's health (some database is isolated). */
export function needsHealth(plans: readonly DatabaseFencePlan[]): boolean {
  return plans.some((p) => p.plan.action === 'isolated');
}

export function planStackFence(plans: readonly DatabaseFencePlan[], primary: { readonly stack: string; readonly healthUrl: string; readonly health?: { readonly healthy: boolean; readonly detail: string } }): StackFencePlan {
  const refused = plans.filter((p) => p.plan.action === 'refuse');
  if (refused.length > 0) {
    return { action: 'refuse', reasons: refused.map((p) => `old primary cannot be fenced safely: ${p.database} on ${p.host}: ${p.plan.reasons.join('; ')}`) };
  }
  const isolated = plans.filter((p) => p.plan.action === 'isolated');
  if (isolated.length > 0 && primary.health?.healthy !== false) {
    const answered = primary.health ? `${primary.healthUrl} answered ${primary.health.detail}` : 'its health was not checked';
    return {
      action: 'refuse',
      reasons: [`primary unreachable over SSH but still serving: refusing (${isolated.map((p) => p.database).join(', ')} on ${primary.stack}; ${answered})`],
    };
  }
  return { action: 'fence', reasons: plans.flatMap((p) => p.plan.reasons.map((r) => `${p.database}: ${r}`)) };
}
