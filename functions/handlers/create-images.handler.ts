/**
 * CreateImages (clone-stack): an image of every source host, named after the clone
 * (`cloneNames`), tagged with the clone's tags. Idempotent: the provider returns the image of
 * that name when a first attempt made it.
 */
import { cloneTags } from '../core/compute.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { clonePlanOf, computeOf } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface CreateImagesInput { readonly plan: unknown }
export interface HostImage { readonly hostName: string; readonly imageId: string }

export function createHandler(deps: StepDeps) {
  return async (event: CreateImagesInput): Promise<HostImage[]> => {
    const plan = clonePlanOf(event.plan);
    const compute = computeOf(deps);
    return Promise.all(
      plan.hosts.map(async (host) => {
        const { imageId } = await compute.createImage(plan.sourceRegion, host.sourceInstanceId, { name: host.imageName, noReboot: plan.noReboot, tags: cloneTags(plan.cloneId, plan.twinName, host.hostName) });
        deps.logger.info('image of host', { cloneId: plan.cloneId, host: host.hostName, imageId });
        return { hostName: host.hostName, imageId };
      }),
    );
  };
}

export const handler = awsEntry(createHandler);
