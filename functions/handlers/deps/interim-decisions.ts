/**
 * INTERIM stand-ins for the pure deciders of functions/core/decisions (decide-failover,
 * plan-promotion, plan-fence, assess-catch-up), which another engineer is writing.
 * Handlers import deciders only through `./decisions.ts`; when the core ones land,
 * that file re-exports them and this one is deleted. Pure: no I/O, no clock.
 */
import type { DatabaseStatus } from '../../core/engines/database-engine.ts';
import type { DatabaseVerdict, FailoverDecision, FailoverSnapshot } from '../../core/decisions/failover-snapshot.ts';

/** Fail over only when the twin is not yet active, the primary is down, outside the cool-down, and every replica is within its lag limit (unless forced). */
export function decideFailover(snapshot: FailoverSnapshot, now: Date): FailoverDecision {
  const force = snapshot.force;
  const hold = (reasons: string[], databases: DatabaseVerdict[] = []): FailoverDecision => ({ action: 'hold', reasons, databases, forced: force });
  if (snapshot.activeStack === 'twin') return hold(['already failed over: the twin is the active stack']);
  if (!force && snapshot.primaryHealth.healthy) return hold([`primary is healthy (${snapshot.primaryHealth.detail})`]);
  if (!force && snapshot.lastFailoverAt) {
    const since = (now.getTime() - Date.parse(snapshot.lastFailoverAt)) / 1000;
    if (since < snapshot.cooldownSeconds) return hold([`cool-down: last failover ${Math.round(since)} s ago < ${snapshot.cooldownSeconds} s`]);
  }
  const databases = snapshot.databases.map((db): DatabaseVerdict => {
    if (!db.twin) return { name: db.name, action: 'blocked', lossBytes: null, reasons: [`twin ${db.name} unobservable: ${db.twinError ?? 'no status'}`] };
    if (db.twin.role === 'primary') return { name: db.name, action: 'already-primary', lossBytes: 0, reasons: [`twin ${db.name} is already primary`] };
    if (db.twin.role !== 'replica') return { name: db.name, action: 'blocked', lossBytes: null, reasons: [`twin ${db.name} is ${db.twin.role}`] };
    const lag = db.lagBytes ?? null;
    if (!force && lag === null) return { name: db.name, action: 'blocked', lossBytes: null, reasons: [`lag of ${db.name} unknown`] };
    if (!force && lag !== null && lag > db.maxLagBytes) return { name: db.name, action: 'blocked', lossBytes: lag, reasons: [`replica ${db.name} lag ${lag} B > ${db.maxLagBytes} B`] };
    return { name: db.name, action: 'promote', lossBytes: lag, reasons: [`replica ${db.name} lag ${lag ?? 'unknown'} B`] };
  });
  const blocked = databases.filter((d) => d.action === 'blocked');
  if (blocked.length > 0) return hold(blocked.flatMap((d) => d.reasons), databases);
  return { action: 'failover', reasons: [`primary is down (${snapshot.primaryHealth.detail})`, ...(force ? ['forced by operator'] : [])], databases, forced: force };
}

export interface PromotionPlan { readonly action: 'promote' | 'already-primary' | 'refuse'; readonly reasons: readonly string[] }

export function planPromotion(status: DatabaseStatus): PromotionPlan {
  if (status.role === 'primary') return { action: 'already-primary', reasons: ['already a primary'] };
  if (status.role === 'replica') return { action: 'promote', reasons: ['replica'] };
  return { action: 'refuse', reasons: [`role is ${status.role}`] };
}

export interface FencePlan { readonly action: 'fence' | 'already-fenced' | 'isolated'; readonly reasons: readonly string[] }

export function planFence(observed: { readonly status: DatabaseStatus } | { readonly error: string }): FencePlan {
  if (!('status' in observed)) return { action: 'isolated', reasons: [`unreachable: ${observed.error}`] };
  if (observed.status.fenced || (observed.status.role === 'stopped' && !observed.status.writable)) return { action: 'already-fenced', reasons: [`already ${observed.status.fenced ? 'fenced' : 'stopped'}`] };
  return { action: 'fence', reasons: [`${observed.status.role}${observed.status.writable ? ' (writable)' : ''}`] };
}

export interface CatchUpVerdict { readonly caughtUp: boolean; readonly lagBytes: number | null; readonly reasons: readonly string[] }

export function assessCatchUp(input: { readonly database: string; readonly primary: DatabaseStatus; readonly twin: DatabaseStatus; readonly lagBytes: number | null }): CatchUpVerdict {
  const { database, primary, twin, lagBytes } = input;
  if (primary.role !== 'primary') return { caughtUp: false, lagBytes, reasons: [`primary ${database} is ${primary.role}`] };
  if (twin.role !== 'replica') return { caughtUp: false, lagBytes, reasons: [`twin ${database} is ${twin.role}`] };
  if (twin.streaming !== true) return { caughtUp: false, lagBytes, reasons: [`twin ${database} is not streaming`] };
  if (lagBytes === null) return { caughtUp: false, lagBytes, reasons: [`lag of ${database} unknown`] };
  return lagBytes === 0 ? { caughtUp: true, lagBytes, reasons: [`twin ${database} caught up`] } : { caughtUp: false, lagBytes, reasons: [`twin ${database} ${lagBytes} B behind`] };
}
