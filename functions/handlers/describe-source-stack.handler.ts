/**
 * DescribeSourceStack (clone-stack): the source stack's machines and security groups, as the
 * compute provider describes them (instances tagged `twinstack:stack=<stack>`). Read-only.
 */
import type { StackDescription } from '../core/compute.ts';
import { InvalidInputError } from '../core/errors.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { computeOf } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { loadGroupAwaitingTwin } from './stores/load-group.ts';

export interface DescribeSourceStackInput { readonly group: string; readonly sourceStack?: string }

export function createHandler(deps: StepDeps) {
  return async (event: DescribeSourceStackInput): Promise<StackDescription> => {
    const group = await loadGroupAwaitingTwin(deps.params, event.group);
    const name = event.sourceStack ?? group.primary.name;
    // Only the primary is ever a source; PlanClone names the fix for any other value.
    if (typeof name !== 'string' || name !== group.primary.name) {
      throw new InvalidInputError(`sourceStack ${JSON.stringify(name)} is not the primary of ${group.name} (${group.primary.name}): omit sourceStack`);
    }
    const description = await computeOf(deps).describeStack(group.primary.region, group.primary.name);
    deps.logger.info('source stack described', { group: group.name, stack: name, instances: description.instances.length });
    return description;
  };
}

export const handler = awsEntry(createHandler);
