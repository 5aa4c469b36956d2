/**
 * LaunchInstances (clone-stack): one instance per source host from its copied image, with
 * the same type, volumes and tags (plus the clone's), in the mapped subnet and the copied
 * security groups. Idempotent by the host's client token: a retry or a resumed clone gets
 * the instance the first attempt launched, never a second one.
 */
import { InvalidInputError } from '../core/errors.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { clonePlanOf, computeOf, idsByHost } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface LaunchInstancesInput { readonly plan: unknown; readonly copied: unknown; readonly network: { readonly groupIds?: Readonly<Record<string, string>> } }
export interface LaunchedHost { readonly hostName: string; readonly instanceId: string }

export function createHandler(deps: StepDeps) {
  return async (event: LaunchInstancesInput): Promise<LaunchedHost[]> => {
    const plan = clonePlanOf(event.plan);
    const images = idsByHost(plan, event.copied, 'imageId', 'copied');
    const groupIds = event.network?.groupIds ?? {};
    const compute = computeOf(deps);
    return Promise.all(
      plan.hosts.map(async (host) => {
        const securityGroupIds = host.sourceSecurityGroupIds.map((id) => {
          const copy = groupIds[id];
          if (copy === undefined) throw new InvalidInputError(`security group ${id} of ${host.hostName} has no copy: run EnsureSecurityGroups first`);
          return copy;
        });
        const imageId = images.get(host.hostName);
        if (imageId === undefined) throw new InvalidInputError(`no copied image for host ${host.hostName}: run CopyImages and PollImages first`);
        const { instanceId } = await compute.runInstance(plan.targetRegion, {
          clientToken: host.launchClientToken,
          imageId,
          instanceType: host.instanceType,
          subnetId: host.subnetId,
          securityGroupIds,
          ...(host.instanceProfileArn ? { instanceProfileArn: host.instanceProfileArn } : {}),
          ...(host.keyName ? { keyName: host.keyName } : {}),
          volumes: host.volumes,
          tags: host.tags,
        });
        deps.logger.info('instance launched', { cloneId: plan.cloneId, host: host.hostName, instanceId });
        return { hostName: host.hostName, instanceId };
      }),
    );
  };
}

export const handler = awsEntry(createHandler);
