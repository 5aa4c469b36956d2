/**
 * AcquireDeployLease: take (or renew) the group's deploy lease for this execution.
 * Not acquired is data (`acquired: false`): the workflow waits and tries again.
 */
import { awsEntry } from './deps/aws-entry.ts';
import { DEPLOY_LEASE_TTL_SECONDS, deployLeaseKey, leaseOf, validHolder } from './stores/deploy-state-store.ts';
import { loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface DeployLeaseInput { readonly group: string; readonly holder: string }
export interface AcquireDeployLeaseResult { readonly acquired: boolean; readonly key: string; readonly holder: string }

export function createHandler(deps: StepDeps) {
  return async (event: DeployLeaseInput): Promise<AcquireDeployLeaseResult> => {
    const group = await loadGroup(deps.params, event.group);
    const holder = validHolder(event.holder);
    const key = deployLeaseKey(group.name);
    const acquired = await leaseOf(deps).acquire(key, holder, DEPLOY_LEASE_TTL_SECONDS);
    return { acquired, key, holder };
  };
}

export const handler = awsEntry(createHandler);
