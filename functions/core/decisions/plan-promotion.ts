/**
 * What to do with one twin database at promotion time.
 * Invariants: only a running replica is promoted; a primary is left alone
 * (idempotent re-run) only when twinstack promoted it (`promotedByTwinstack`):
 * a primary without that evidence (a standalone clone, a copy of another primary)
 * is refused, as is a stopped, unknown or unobserved server.
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';

export interface PromotionPlan {
  readonly action: 'promote' | 'already-primary' | 'refuse';
  readonly reasons: readonly string[];
}

export function planPromotion(twin: DatabaseStatus | undefined, observeError?: string): PromotionPlan {
  if (!twin) return { action: 'refuse', reasons: [`twin not observed${observeError ? `: ${observeError}` : ''}`] };
  switch (twin.role) {
    case 'primary':
      if (twin.promotedByTwinstack !== true) {
        return { action: 'refuse', reasons: ['twin is a primary twinstack did not promote (a standalone clone?): refusing'] };
      }
      return {
        action: 'already-primary',
        reasons: [twin.writable ? 'twin is already a writable primary' : 'twin is already primary but not writable: promotion verifies it'],
      };
    case 'replica':
      return { action: 'promote', reasons: [`twin is a replica at ${twin.position ?? 'unknown position'}${twin.fenced ? ' (its fenced marker is cleared on promotion)' : ''}`] };
    case 'stopped':
      return { action: 'refuse', reasons: ['twin database is stopped: nothing to promote'] };
    case 'unknown':
      return { action: 'refuse', reasons: ['twin database state unknown: it runs but does not answer'] };
  }
}
