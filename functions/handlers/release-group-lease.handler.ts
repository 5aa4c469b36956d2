/**
 * ReleaseGroupLease: give the group's lease back if this execution holds it (a no-op
 * otherwise). It deliberately does not load the group's config: a Parameter Store
 * fault at the end of a run must not keep the lease — and so every later failover —
 * blocked until it expires. The group name is validated instead.
 */
import { IDENTIFIER } from '../core/config/config-patterns.ts';
import { InvalidInputError } from '../core/errors.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { leaseOf, validHolder } from './stores/group-lease.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { groupLeaseKey, type GroupLeaseInput } from './acquire-group-lease.handler.ts';

export function createHandler(deps: StepDeps) {
  return async (event: GroupLeaseInput): Promise<{ readonly released: true; readonly key: string }> => {
    if (typeof event.group !== 'string' || !IDENTIFIER.test(event.group)) throw new InvalidInputError(`invalid group name ${JSON.stringify(event.group)}`);
    const key = groupLeaseKey(event.group);
    await leaseOf(deps).release(key, validHolder(event.holder));
    return { released: true, key };
  };
}

export const handler = awsEntry(createHandler);
