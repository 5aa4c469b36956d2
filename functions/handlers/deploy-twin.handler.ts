/**
 * DeployTwin (clone-stack): the revision the primary runs (from the deploy state store), deployed
 * to every host of the newly registered twin by the deploy step itself (DeployHost's handler:
 * checkout, the built image shipped from a primary host, env file, the stack's deploy command,
 * marker), so there is one deploy. Idempotent: DeployHost skips a host that has the revision.
 * A group without a deploy source, or whose primary has no deployed revision yet, is skipped
 * with the reason (the next push deploys both stacks).
 */
import { imageReference } from '../core/deploy/image-commands.ts';
import { InvalidInputError } from '../core/errors.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { clonePlanOf } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { createHandler as createDeployHost, type BuiltImage, type DeployHostResult } from './deploy-host.handler.ts';
import { loadDeployState } from './stores/deploy-state-store.ts';
import { loadGroup } from './stores/load-group.ts';

export interface DeployTwinInput { readonly plan: unknown }
export interface DeployTwinResult {
  readonly revision?: string;
  readonly hosts: readonly DeployHostResult[];
  /** Why nothing was deployed (absent when deployed). */
  readonly skipped?: string;
}

export function createHandler(deps: StepDeps) {
  const deployHost = createDeployHost(deps);
  return async (event: DeployTwinInput): Promise<DeployTwinResult> => {
    const plan = clonePlanOf(event.plan);
    const group = await loadGroup(deps.params, plan.group);
    if (group.twin.name !== plan.twinName) throw new InvalidInputError(`${group.name}'s twin is ${group.twin.name}, not this clone's ${plan.twinName}: nothing was deployed`);
    if (!group.source) return { hosts: [], skipped: `${group.name} has no source: it takes no deploys` };
    const record = (await loadDeployState(deps.params, group.name)).stacks[group.primary.name];
    const revision = record?.deployed;
    if (!revision) return { hosts: [], skipped: `${group.primary.name} has no deployed revision yet: the next push deploys both stacks` };
    const builder = group.primary.hosts[0];
    const image: BuiltImage | undefined =
      group.source.image && record.image && builder
        ? { built: true, reference: imageReference(group.source.image, revision), id: record.image, builder: { stack: group.primary.name, host: builder.name } }
        : undefined;
    const hosts: DeployHostResult[] = [];
    // One host at a time: a new stack has no traffic to keep, and a failure stops at its host.
    for (const host of group.twin.hosts) hosts.push(await deployHost({ group: group.name, stack: group.twin.name, revision, host: host.name, ...(image ? { image } : {}) }));
    deps.logger.info('twin deployed', { group: group.name, twin: group.twin.name, revision });
    return { revision, hosts };
  };
}

export const handler = awsSshEntry(createHandler);
