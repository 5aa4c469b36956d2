/**
 * CopyImages (clone-stack): every host's image copied to the target region, encrypted with
 * the target's KMS key. Idempotent by the clone's client token per host (`cloneNames`).
 */
import { cloneTags } from '../core/compute.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { clonePlanOf, computeOf, idsByHost } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';
import type { HostImage } from './create-images.handler.ts';

export interface CopyImagesInput { readonly plan: unknown; readonly images: unknown }

export function createHandler(deps: StepDeps) {
  return async (event: CopyImagesInput): Promise<HostImage[]> => {
    const plan = clonePlanOf(event.plan);
    const images = idsByHost(plan, event.images, 'imageId', 'images');
    const compute = computeOf(deps);
    return Promise.all(
      plan.hosts.map(async (host) => {
        const { imageId } = await compute.copyImage(plan.sourceRegion, images.get(host.hostName) ?? '', plan.targetRegion, {
          name: host.imageName,
          kmsKeyId: plan.kmsKeyId,
          clientToken: host.copyClientToken,
          tags: cloneTags(plan.cloneId, plan.twinName, host.hostName),
        });
        return { hostName: host.hostName, imageId };
      }),
    );
  };
}

export const handler = awsEntry(createHandler);
