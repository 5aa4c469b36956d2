/**
 * AcquireGroupLease: one workflow that changes a group's databases or DNS at a time
 * (failover, replicate, switchover, rejoin, clone-stack). A second execution (a duplicate alarm while a failover runs,
 * a replicate started during a failover, …) gets `acquired: false` and its workflow
 * ends without doing anything. The lease outlives the longest such workflow's own
 * timeout, so a holder never loses it mid-run; a crashed run frees it by expiry.
 */
import { awsEntry } from './deps/aws-entry.ts';
import { leaseOf, validHolder } from './stores/group-lease.ts';
import { loadGroupAwaitingTwin } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

/**
 * ≥ the longest a holder goes without renewing it: the whole failover (3600 s), or any
 * stretch of replicate between two renewals (a replicate renews it on every restore poll,
 * PollRestoreReplica; its other steps together take well under this).
 */
export const GROUP_LEASE_TTL_SECONDS = 7260;
export const groupLeaseKey = (group: string) => `group:${group}`;

export interface GroupLeaseInput { readonly group: string; readonly holder: string }
export interface AcquireGroupLeaseResult { readonly acquired: boolean; readonly key: string; readonly holder: string }

export function createHandler(deps: StepDeps) {
  return async (event: GroupLeaseInput): Promise<AcquireGroupLeaseResult> => {
    // A group awaiting its twin takes the lease too (clone-stack holds it while it builds the twin).
    const group = await loadGroupAwaitingTwin(deps.params, event.group);
    const holder = validHolder(event.holder);
    const key = groupLeaseKey(group.name);
    const acquired = await leaseOf(deps).acquire(key, holder, GROUP_LEASE_TTL_SECONDS);
    if (!acquired) deps.logger.warn('another workflow changing this group is running: this one does nothing', { group: group.name, holder });
    return { acquired, key, holder };
  };
}

export const handler = awsEntry(createHandler);
