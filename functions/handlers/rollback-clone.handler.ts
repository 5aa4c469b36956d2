/**
 * RollbackClone (clone-stack, after a failure): unless the operator asked to keep them, the
 * instances the clone launched are terminated and the images it made (in the source region)
 * and copied (in the target region) are deregistered — found by the clone's tag
 * (`Compute.findCloned`), so a rollback also finds what a lost response never reported — and
 * the twin it registered is taken out of the group's config again. It reports exactly what
 * was removed and what was kept. Idempotent: terminating or deregistering what is gone is a no-op.
 *
 * Kept always (the ports cannot delete them; none costs compute time): the security groups it
 * made and the parameters it copied and published; they are listed so an operator can remove them.
 */
import { parameterNames } from '../core/parameter-names.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { clonePlanOf, computeOf } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { loadGroupAwaitingTwin } from './stores/load-group.ts';

export interface RollbackCloneInput { readonly plan: unknown }
export interface CloneResources {
  readonly instanceIds: readonly string[];
  readonly imageIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** The twin's stack name, when its block is (kept) or was (removed) in the group's config. */
  readonly twin?: string;
}
export interface RollbackCloneResult {
  readonly cloneId: string;
  readonly removed: CloneResources;
  readonly kept: CloneResources;
  readonly note: string;
}

export function createHandler(deps: StepDeps) {
  return async (event: RollbackCloneInput): Promise<RollbackCloneResult> => {
    const plan = clonePlanOf(event.plan);
    const compute = computeOf(deps);
    const [target, source] = await Promise.all([
      compute.findCloned(plan.targetRegion, plan.cloneId),
      plan.sourceRegion === plan.targetRegion ? Promise.resolve(undefined) : compute.findCloned(plan.sourceRegion, plan.cloneId),
    ]);
    const group = await loadGroupAwaitingTwin(deps.params, plan.group);
    const twin = group.twin?.name === plan.twinName ? plan.twinName : undefined;
    const images = [...target.imageIds.map((id) => ({ region: plan.targetRegion, id })), ...(source?.imageIds ?? []).map((id) => ({ region: plan.sourceRegion, id }))];
    const securityGroupIds = [...target.securityGroupIds];
    const all: CloneResources = { instanceIds: target.instanceIds, imageIds: images.map((i) => i.id), securityGroupIds, ...(twin ? { twin } : {}) };
    if (plan.keepOnFailure) {
      deps.logger.warn('clone failed; everything it made is kept', { cloneId: plan.cloneId, ...all });
      return { cloneId: plan.cloneId, removed: { instanceIds: [], imageIds: [], securityGroupIds: [] }, kept: all, note: `keepOnFailure: nothing was removed; remove it by running the clone without keepOnFailure after inspection (everything is tagged twinstack:clone=${plan.cloneId})` };
    }
    // The twin leaves the config first: no workflow may pick up hosts that are about to go.
    if (twin) {
      const { twin: _removed, ...rest } = group;
      await deps.params.put(parameterNames.config(group.name), JSON.stringify(rest));
    }
    if (target.instanceIds.length > 0) await compute.terminateInstances(plan.targetRegion, target.instanceIds);
    for (const image of images) await compute.deregisterImage(image.region, image.id);
    const removed: CloneResources = { instanceIds: target.instanceIds, imageIds: images.map((i) => i.id), securityGroupIds: [], ...(twin ? { twin } : {}) };
    const kept: CloneResources = { instanceIds: [], imageIds: [], securityGroupIds };
    const note = `rolled back clone ${plan.cloneId}: ${removed.instanceIds.length} instance(s) terminated, ${removed.imageIds.length} image(s) deregistered${twin ? `, twin ${twin} removed from the config` : ''}; kept: ${securityGroupIds.length} security group(s) and the parameters under ${parameterNames.envPrefix(plan.group, plan.twinName)} (delete them by hand if the clone is abandoned)`;
    deps.logger.warn('clone rolled back', { cloneId: plan.cloneId, removed, kept });
    return { cloneId: plan.cloneId, removed, kept, note };
  };
}

export const handler = awsEntry(createHandler);
