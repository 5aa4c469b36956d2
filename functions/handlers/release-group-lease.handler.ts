/** ReleaseGroupLease: give the group's lease back if this execution holds it (a no-op otherwise). */
import { awsEntry } from './deps/aws-entry.ts';
import { leaseOf, validHolder } from './deps/group-lease.ts';
import { loadGroup } from './deps/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { groupLeaseKey, type GroupLeaseInput } from './acquire-group-lease.handler.ts';

export function createHandler(deps: StepDeps) {
  return async (event: GroupLeaseInput): Promise<{ readonly released: true; readonly key: string }> => {
    const group = await loadGroup(deps.params, event.group);
    const key = groupLeaseKey(group.name);
    await leaseOf(deps).release(key, validHolder(event.holder));
    return { released: true, key };
  };
}

export const handler = awsEntry(createHandler);
