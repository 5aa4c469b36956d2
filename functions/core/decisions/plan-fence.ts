/**
 * What to do with the old primary before anything is promoted.
 * Invariants:
 * - a reachable server is fenced unless it is already marked and takes no writes (stopped,
 *   or kept running read-only by an engine whose fence keeps it observable, e.g. Redis);
 * - an unobserved server is `isolated` ONLY when its host could not be connected
 *   to at all (`kind: 'unreachable'`): it cannot be stopped, and its traffic is
 *   revoked by the DNS switch (the only safe claim we can make about it);
 * - any other failure to observe it (host key mismatch, authentication refused,
 *   unparseable output, non-zero exit, timeout, or no kind given) is `refuse`: the
 *   server may be running and writable, so fencing cannot be guaranteed and
 *   nothing may be promoted (the handler throws FencingError).
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';

export interface FencePlan {
  readonly action: 'fence' | 'already-fenced' | 'isolated' | 'refuse';
  readonly reasons: readonly string[];
}

/** Why the old primary could not be observed; absent is treated as `fault`. */
export type ObserveErrorKind = 'unreachable' | 'fault';

export function planFence(oldPrimary: DatabaseStatus | undefined, observeError?: string, kind?: ObserveErrorKind): FencePlan {
  if (!oldPrimary) {
    if (kind === 'unreachable') {
      return {
        action: 'isolated',
        reasons: [`old primary unreachable${observeError ? ` (${observeError})` : ''}: it cannot be stopped; its traffic is revoked by the DNS switch`],
      };
    }
    return {
      action: 'refuse',
      reasons: [
        `old primary could not be observed (${observeError ?? 'no status and no error recorded'}), and its host was not shown unreachable: it may still accept writes, fencing cannot be guaranteed`,
      ],
    };
  }
  if (oldPrimary.role === 'stopped' && oldPrimary.fenced) return { action: 'already-fenced', reasons: ['old primary is stopped and marked fenced'] };
  if (oldPrimary.fenced && !oldPrimary.writable) return { action: 'already-fenced', reasons: [`old primary is marked fenced and takes no writes (running as ${oldPrimary.role})`] };
  if (oldPrimary.role === 'stopped') return { action: 'fence', reasons: ['old primary is stopped but not marked: mark it so it can only return as a replica'] };
  return {
    action: 'fence',
    reasons: [`old primary is running as ${oldPrimary.role}${oldPrimary.writable ? ' and accepts writes' : ''}: stop it and mark it fenced`],
  };
}
