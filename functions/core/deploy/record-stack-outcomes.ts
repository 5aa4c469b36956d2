/**
 * RecordStackRevision's state change: the outcome of each stack's deploy, applied
 * in one write (stacks deploy in parallel; one writer per execution avoids a lost
 * update on the single deploy-state parameter).
 *
 * Invariants:
 * - a deployed stack records the target version (and the image ID its hosts run) unless it already records a newer one;
 * - a failed stack keeps what it runs (`deployed`, `version`) and records the failure;
 * - applying the same outcomes twice yields the same state (idempotent; `changed: false`).
 */
import { compareVersions, type DeployState, type DeployVersion, type StackDeployRecord } from './deploy-state.ts';

export interface StackOutcome {
  readonly stack: string;
  readonly status: 'deployed' | 'failed';
  /** Failure summary (error name and message), never secrets. */
  readonly error?: string;
  /** The image ID every host of the stack runs (deployed stacks of a group that builds images). */
  readonly image?: string;
}

export function recordStackOutcomes(state: DeployState, target: DeployVersion, outcomes: readonly StackOutcome[], now: string): { readonly state: DeployState; readonly changed: boolean } {
  const stacks: Record<string, StackDeployRecord> = { ...state.stacks };
  let changed = false;
  for (const outcome of outcomes) {
    const previous = stacks[outcome.stack];
    let next: StackDeployRecord;
    if (outcome.status === 'deployed') {
      if (previous?.status === 'deployed' && previous.deployed === target.revision && previous.image === outcome.image) continue;
      if (previous?.version && compareVersions(previous.version, target) > 0) continue;
      next = { deployed: target.revision, version: target, deployedAt: now, status: 'deployed', ...(outcome.image ? { image: outcome.image } : {}) };
    } else {
      if (previous?.status === 'failed' && previous.failedRevision === target.revision && previous.lastError === outcome.error) continue;
      next = {
        ...(previous?.deployed ? { deployed: previous.deployed } : {}),
        ...(previous?.version ? { version: previous.version } : {}),
        ...(previous?.deployedAt ? { deployedAt: previous.deployedAt } : {}),
        ...(previous?.image ? { image: previous.image } : {}),
        status: 'failed',
        failedRevision: target.revision,
        lastError: outcome.error ?? 'unknown error',
      };
    }
    stacks[outcome.stack] = next;
    changed = true;
  }
  return { state: changed ? { ...state, stacks } : state, changed };
}
