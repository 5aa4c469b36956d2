/**
 * What a switchover weighs (gathered by AssessSwitchover) and what it decides
 * (decideSwitchover). Immutable, JSON-serialisable, no secrets.
 */
import type { LagUnit } from '../engines/lag-unit.ts';
import type { DnsTarget, StackRole } from '../model.ts';
import type { DatabaseObservation } from './failover-snapshot.ts';

/** The catch-up timeout when the input names none, and its bounds (seconds). */
export const DEFAULT_CATCH_UP_TIMEOUT_SECONDS = 30;
export const MIN_CATCH_UP_TIMEOUT_SECONDS = 1;
export const MAX_CATCH_UP_TIMEOUT_SECONDS = 600;

export interface SwitchoverSnapshot {
  readonly group: string;
  readonly observedAt: string;
  /** The stack the group's state says is active. */
  readonly activeStack: StackRole;
  /** The active stack (its copies are the primaries demoted) and the other one (the replicas promoted). */
  readonly from: StackRole;
  readonly to: StackRole;
  /** The stack the operator asked for, when they named one. */
  readonly requestedTo?: StackRole;
  readonly dnsAnswer?: DnsTarget;
  readonly dnsPointsAt?: StackRole;
  readonly fromHealth: { readonly healthy: boolean; readonly detail: string };
  readonly toHealth: { readonly healthy: boolean; readonly detail: string };
  /** `primary`: the copy on `from`; `twin`: the copy on `to`. */
  readonly databases: readonly DatabaseObservation[];
  /** How long the replicas get to reach the demoted primaries' final positions before the switchover is undone. */
  readonly catchUpTimeoutSeconds: number;
}

export interface SwitchoverVerdict {
  readonly name: string;
  /**
   * `switch`: demote, catch up, promote; `resume`: an earlier run demoted it (and maybe
   * promoted the replica) and stopped: carry on; `refuse`: it cannot switch now.
   */
  readonly action: 'switch' | 'resume' | 'refuse';
  /** A switchover loses nothing: promotion waits until the replica has the final position. */
  readonly loss: 0;
  readonly lagUnit: LagUnit;
  /** How far the replica was behind when observed, in `lagUnit` (null: unknown). */
  readonly lag: number | null;
  readonly reasons: readonly string[];
}

export interface SwitchoverDecision {
  readonly action: 'switchover' | 'refuse';
  /** What RecordFailover records it as. */
  readonly kind: 'switchover';
  readonly from: StackRole;
  readonly to: StackRole;
  readonly reasons: readonly string[];
  readonly databases: readonly SwitchoverVerdict[];
  /** A switchover is never forced. */
  readonly forced: false;
  readonly catchUpTimeoutSeconds: number;
}
