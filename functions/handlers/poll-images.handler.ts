/**
 * PollImages (clone-stack): whether every copied image is available in the target region.
 * `missing` (not visible yet right after CopyImage) and `pending` are "not yet": the
 * workflow's Wait loop polls again, bounded; a `failed` image is a ComputeError.
 */
import type { ImageState } from '../core/compute.ts';
import { ComputeError } from '../core/errors.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { clonePlanOf, computeOf, idsByHost } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface PollImagesInput { readonly plan: unknown; readonly copied: unknown }
export interface PollImagesResult { readonly ready: boolean; readonly states: Readonly<Record<string, ImageState>> }

export function createHandler(deps: StepDeps) {
  return async (event: PollImagesInput): Promise<PollImagesResult> => {
    const plan = clonePlanOf(event.plan);
    const copied = idsByHost(plan, event.copied, 'imageId', 'copied');
    const compute = computeOf(deps);
    const states: Record<string, ImageState> = {};
    for (const host of plan.hosts) states[host.hostName] = await compute.imageState(plan.targetRegion, copied.get(host.hostName) ?? '');
    const failed = Object.entries(states).filter(([, s]) => s === 'failed').map(([h]) => `${h} (${copied.get(h)})`);
    if (failed.length > 0) throw new ComputeError(`the copy of the image of ${failed.join(', ')} failed in ${plan.targetRegion}: check the KMS key ${plan.kmsKeyId} can be used by EC2 there, then run the clone again`);
    return { ready: Object.values(states).every((s) => s === 'available'), states };
  };
}

export const handler = awsEntry(createHandler);
