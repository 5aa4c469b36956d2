/** The group's DeployState (JSON at parameterNames.deployState(group)), read and written whole. */
import { INITIAL_DEPLOY_STATE, type DeployState } from '../../core/deploy/deploy-state.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { DeploySource, FailoverGroup } from '../../core/model.ts';
import { parameterNames } from '../../core/parameter-names.ts';
import type { ParameterStore } from '../../core/ports.ts';

/** INITIAL_DEPLOY_STATE when nothing was recorded yet; InvalidInputError when it is not JSON. */
export async function loadDeployState(params: ParameterStore, group: string): Promise<DeployState> {
  const raw = await params.get(parameterNames.deployState(group));
  if (raw === undefined) return INITIAL_DEPLOY_STATE;
  try {
    const parsed = JSON.parse(raw) as DeployState;
    return { ...parsed, stacks: parsed.stacks ?? {} };
  } catch (cause) {
    throw new InvalidInputError(`group ${group}: deploy state is not JSON`, { cause });
  }
}

export async function saveDeployState(params: ParameterStore, group: string, state: DeployState): Promise<void> {
  await params.put(parameterNames.deployState(group), JSON.stringify(state));
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
