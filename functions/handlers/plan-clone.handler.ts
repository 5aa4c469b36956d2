/**
 * PlanClone (clone-stack): the pure decision `planClone` over the request, the stored group
 * and the source's description: a plan (clone id, every name and client token) or a refusal
 * whose reasons name each field and its fix. Nothing is created before this step.
 */
import type { StackDescription } from '../core/compute.ts';
import { planClone, type CloneDecision } from '../core/decisions/plan-clone.ts';
import { InvalidInputError } from '../core/errors.ts';
import { awsEntry } from './deps/aws-entry.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { loadGroupAwaitingTwin } from './stores/load-group.ts';

export interface PlanCloneInput {
  /** The workflow input: group, sourceStack?, targetRegion, options. */
  readonly request: unknown;
  readonly source: StackDescription;
}

export function createHandler(deps: StepDeps) {
  return async (event: PlanCloneInput): Promise<CloneDecision> => {
    const request = event.request as { group?: unknown } | undefined;
    const group = await loadGroupAwaitingTwin(deps.params, request?.group);
    if (!event.source || !Array.isArray(event.source.instances) || !Array.isArray(event.source.securityGroups)) {
      throw new InvalidInputError('source must be the description DescribeSourceStack returned');
    }
    const decision = planClone({ request: event.request, group, source: event.source });
    deps.logger.info('clone planned', { group: group.name, action: decision.action, reasons: decision.reasons });
    return decision;
  };
}

export const handler = awsEntry(createHandler);
