/** ReleaseDeployLease: give the group's deploy lease back if this execution holds it (a no-op otherwise). */
import { awsEntry } from './deps/aws-entry.ts';
import { deployLeaseKey, leaseOf, validHolder } from './stores/deploy-state-store.ts';
import type { DeployLeaseInput } from './acquire-deploy-lease.handler.ts';
import { loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface ReleaseDeployLeaseResult { readonly released: true; readonly key: string }

export function createHandler(deps: StepDeps) {
  return async (event: DeployLeaseInput): Promise<ReleaseDeployLeaseResult> => {
    const group = await loadGroup(deps.params, event.group);
    const key = deployLeaseKey(group.name);
    await leaseOf(deps).release(key, validHolder(event.holder));
    return { released: true, key };
  };
}

export const handler = awsEntry(createHandler);
