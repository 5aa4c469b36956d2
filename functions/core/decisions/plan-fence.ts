/**
 * What to do with the old primary before anything is promoted.
 * Invariant: a reachable server is fenced unless it is already stopped and marked;
 * an unreachable host is `isolated`: it cannot be stopped, and its traffic is
 * revoked by the DNS switch (the only safe claim we can make about it).
 */
import type { DatabaseStatus } from '../engines/database-engine.ts';

export interface FencePlan {
  readonly action: 'fence' | 'already-fenced' | 'isolated';
  readonly reasons: readonly string[];
}

export function planFence(oldPrimary: DatabaseStatus | undefined, observeError?: string): FencePlan {
  if (!oldPrimary) {
    return {
      action: 'isolated',
      reasons: [`old primary unreachable${observeError ? ` (${observeError})` : ''}: it cannot be stopped; its traffic is revoked by the DNS switch`],
    };
  }
  if (oldPrimary.role === 'stopped' && oldPrimary.fenced) return { action: 'already-fenced', reasons: ['old primary is stopped and marked fenced'] };
  if (oldPrimary.role === 'stopped') return { action: 'fence', reasons: ['old primary is stopped but not marked: mark it so it can only return as a replica'] };
  return {
    action: 'fence',
    reasons: [`old primary is running as ${oldPrimary.role}${oldPrimary.writable ? ' and accepts writes' : ''}: stop it and mark it fenced`],
  };
}
