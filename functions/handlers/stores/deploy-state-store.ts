/**
 * The group's DeployState, kept in two parameters so that writers never overwrite each
 * other's part: `desired` (RequestDeploy writes it outside the deploy lease) and the
 * per-stack records (only steps holding the lease write them). Each write touches only
 * the part that changed.
 */
import { INITIAL_DEPLOY_STATE, type DeployState } from '../../core/deploy/deploy-state.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { DeploySource, FailoverGroup } from '../../core/model.ts';
import { parameterNames } from '../../core/parameter-names.ts';
import type { ParameterStore } from '../../core/ports.ts';

function parseJson<T>(raw: string, group: string, what: string): T {
  try {
    return JSON.parse(raw) as T;
  } catch (cause) {
    throw new InvalidInputError(`group ${group}: ${what} is not JSON`, { cause });
  }
}

/** INITIAL_DEPLOY_STATE when nothing was recorded yet; InvalidInputError when a part is not JSON. */
export async function loadDeployState(params: ParameterStore, group: string): Promise<DeployState> {
  const [rawStacks, rawDesired] = await Promise.all([params.get(parameterNames.deployState(group)), params.get(parameterNames.deployDesired(group))]);
  const stored = rawStacks === undefined ? INITIAL_DEPLOY_STATE : parseJson<DeployState>(rawStacks, group, 'deploy state');
  const desired = rawDesired === undefined ? stored.desired : parseJson<DeployState['desired']>(rawDesired, group, 'desired revision');
  return { stacks: stored.stacks ?? {}, ...(desired !== undefined ? { desired } : {}) };
}

/** Write only the parts of `after` that differ from `before` (each part is its own parameter). */
export async function saveDeployState(params: ParameterStore, group: string, after: DeployState, before: DeployState): Promise<void> {
  const writes: Promise<void>[] = [];
  if (after.desired !== undefined && JSON.stringify(after.desired) !== JSON.stringify(before.desired)) {
    writes.push(params.put(parameterNames.deployDesired(group), JSON.stringify(after.desired)));
  }
  if (JSON.stringify(after.stacks) !== JSON.stringify(before.stacks)) {
    writes.push(params.put(parameterNames.deployState(group), JSON.stringify({ stacks: after.stacks })));
  }
  await Promise.all(writes);
}

/** The group's deploy source; InvalidInputError for a group that takes no deploys. */
export function sourceOf(group: FailoverGroup): DeploySource {
  if (!group.source) throw new InvalidInputError(`group ${group.name} has no source: it takes no deploys`);
  return group.source;
}

/** The one lease every deploy of a group takes. */
export const deployLeaseKey = (group: string) => `deploy:${group}`;

/** ≥ the deploy workflow's TimeoutSeconds (7200): a holder never outlives its lease. */
export const DEPLOY_LEASE_TTL_SECONDS = 7260;

export { leaseOf, validHolder } from './group-lease.ts';
