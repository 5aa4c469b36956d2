/**
 * AcquireFailoverLease: one failover per group at a time. A second execution (a
 * duplicate alarm while the first still runs) gets `acquired: false` and the
 * workflow ends without doing anything. The lease outlives the workflow's own
 * timeout, so a holder never loses it mid-run; a crashed run frees it by expiry.
 */
import { awsEntry } from './deps/aws-entry.ts';
import { leaseOf, validHolder } from './deps/group-lease.ts';
import { loadGroup } from './deps/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

/** ≥ the failover workflow's TimeoutSeconds (3600). */
export const FAILOVER_LEASE_TTL_SECONDS = 3660;
export const failoverLeaseKey = (group: string) => `failover:${group}`;

export interface FailoverLeaseInput { readonly group: string; readonly holder: string }
export interface AcquireFailoverLeaseResult { readonly acquired: boolean; readonly key: string; readonly holder: string }

export function createHandler(deps: StepDeps) {
  return async (event: FailoverLeaseInput): Promise<AcquireFailoverLeaseResult> => {
    const group = await loadGroup(deps.params, event.group);
    const holder = validHolder(event.holder);
    const key = failoverLeaseKey(group.name);
    const acquired = await leaseOf(deps).acquire(key, holder, FAILOVER_LEASE_TTL_SECONDS);
    if (!acquired) deps.logger.warn('another failover of this group is running: this one does nothing', { group: group.name, holder });
    return { acquired, key, holder };
  };
}

export const handler = awsEntry(createHandler);
