/** ReleaseFailoverLease: give the group's failover lease back if this execution holds it (a no-op otherwise). */
import { awsEntry } from './deps/aws-entry.ts';
import { leaseOf, validHolder } from './deps/group-lease.ts';
import { loadGroup } from './deps/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { failoverLeaseKey, type FailoverLeaseInput } from './acquire-failover-lease.handler.ts';

export function createHandler(deps: StepDeps) {
  return async (event: FailoverLeaseInput): Promise<{ readonly released: true; readonly key: string }> => {
    const group = await loadGroup(deps.params, event.group);
    const key = failoverLeaseKey(group.name);
    await leaseOf(deps).release(key, validHolder(event.holder));
    return { released: true, key };
  };
}

export const handler = awsEntry(createHandler);
