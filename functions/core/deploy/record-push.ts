/**
 * RequestDeploy's decision: does a push become the group's desired revision?
 *
 * Invariants:
 * - `desired` only moves forward: a push received before the current desired one
 *   is `superseded` (it would reverse the order of revisions) and changes nothing;
 * - the same revision again is `queued` without a new record (its execution will find
 *   every stack up to date, or finish what failed);
 * - a push received at the same instant as desired but naming another revision is
 *   taken as newer (the later delivery wins): without a clock finer than the
 *   webhook's, arrival order is the only order there is;
 * - the recorded version's sequence is the previous one + 1 (1 for the first push).
 */
import { compareVersions, shortRevision, type DeployPush, type DeployState, type DeployVersion } from './deploy-state.ts';

export interface PushDecision {
  readonly action: 'queued' | 'superseded';
  /** True when `state` changed and must be saved. */
  readonly recorded: boolean;
  /** This push's version (the desired one when the same revision is already desired). */
  readonly version: DeployVersion;
  readonly state: DeployState;
  readonly reasons: readonly string[];
}

export function recordPush(state: DeployState, push: DeployPush): PushDecision {
  const desired = state.desired;
  if (!desired) {
    const version = { ...push, sequence: 1 };
    return { action: 'queued', recorded: true, version, state: { ...state, desired: version }, reasons: [`first push: ${shortRevision(push.revision)} is desired`] };
  }
  if (desired.revision === push.revision) {
    return { action: 'queued', recorded: false, version: desired, state, reasons: [`${shortRevision(push.revision)} is already the desired revision`] };
  }
  const candidate = { ...push, sequence: desired.sequence + 1 };
  if (Date.parse(push.receivedAt) < Date.parse(desired.receivedAt)) {
    return {
      action: 'superseded',
      recorded: false,
      version: { ...push, sequence: 0 },
      state,
      reasons: [`${shortRevision(push.revision)} (received ${push.receivedAt}) is older than the desired ${shortRevision(desired.revision)} (received ${desired.receivedAt}): deploying it would reverse the order of revisions`],
    };
  }
  return {
    action: 'queued',
    recorded: true,
    version: candidate,
    state: { ...state, desired: candidate },
    reasons: [`${shortRevision(push.revision)} supersedes ${shortRevision(desired.revision)} as the desired revision`],
  };
}

/** The newer of two versions (`b` when equal). */
export function newerOf(a: DeployVersion | undefined, b: DeployVersion): DeployVersion {
  return a && compareVersions(a, b) > 0 ? a : b;
}
