/**
 * PlanDeploy's decision, taken while the execution holds the group's deploy lease:
 * which revision to deploy and to which stacks.
 *
 * Invariants:
 * - the target is the newest of the group's desired version and this execution's own
 *   (so a queued older execution deploys the newer push, and a newer push never
 *   waits behind an older one's revision);
 * - a stack whose recorded version is the target (status deployed) is skipped (no-op);
 * - a stack whose recorded version is NEWER than the target is never deployed:
 *   the order of revisions is never reversed;
 * - both stacks are planned whenever they need it: the twin deploys even while it takes no traffic.
 */
import type { FailoverGroup, StackRole } from '../model.ts';
import { compareVersions, shortRevision, type DeployState, type DeployVersion } from './deploy-state.ts';
import { newerOf } from './record-push.ts';

export interface PlannedStack {
  readonly stack: string;
  readonly role: StackRole;
  /** Host names of the stack, in config order. */
  readonly hosts: readonly string[];
}

export interface DeployPlan {
  readonly action: 'deploy' | 'none';
  readonly target: DeployVersion;
  readonly stacks: readonly PlannedStack[];
  /** Stacks already at the target, or ahead of it. */
  readonly skipped: readonly string[];
  readonly hostConcurrency: number;
  /** The state with `desired` moved to the target when it was behind (save when `changed`). */
  readonly state: DeployState;
  readonly changed: boolean;
  readonly reasons: readonly string[];
}

export function planDeploy(group: FailoverGroup, state: DeployState, own: DeployVersion): DeployPlan {
  const target = newerOf(state.desired, own);
  const changed = state.desired === undefined || compareVersions(target, state.desired) > 0;
  const reasons: string[] = [];
  if (target !== own) reasons.push(`a newer push is desired: deploying ${shortRevision(target.revision)} instead of ${shortRevision(own.revision)}`);
  const stacks: PlannedStack[] = [];
  const skipped: string[] = [];
  for (const role of ['primary', 'twin'] as const) {
    const stack = role === 'primary' ? group.primary : group.twin;
    const record = state.stacks[stack.name];
    if (record?.version && record.status === 'deployed' && record.deployed === target.revision) {
      skipped.push(stack.name);
      reasons.push(`${stack.name} already runs ${shortRevision(target.revision)}`);
    } else if (record?.version && compareVersions(record.version, target) > 0) {
      skipped.push(stack.name);
      reasons.push(`${stack.name} runs ${shortRevision(record.deployed)}, newer than ${shortRevision(target.revision)}: never deployed backwards`);
    } else {
      stacks.push({ stack: stack.name, role, hosts: stack.hosts.map((h) => h.name) });
      reasons.push(`${stack.name} (${role}) deploys ${shortRevision(target.revision)} (runs ${shortRevision(record?.deployed)})`);
    }
  }
  return {
    action: stacks.length > 0 ? 'deploy' : 'none',
    target,
    stacks,
    skipped,
    hostConcurrency: Math.max(1, group.source?.hostConcurrency ?? 1),
    state: changed ? { ...state, desired: target } : state,
    changed,
    reasons,
  };
}
