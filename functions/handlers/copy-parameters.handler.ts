/**
 * CopyParameters (clone-stack): the source stack's parameters (`/twinstack/<group>/env/<stack>/…`)
 * copied to the target region under the twin's name, each stored as a secret there (re-encrypted
 * with the target region's key), the source region's name rewritten (`copiedParameterOf`).
 * Idempotent: a put of the same value is a no-op. Output: names and counts only, never values.
 */
import { copiedParameterOf } from '../core/decisions/plan-clone.ts';
import { parameterNames } from '../core/parameter-names.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { clonePlanOf, paramsInRegion } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface CopyParametersInput { readonly plan: unknown }
export interface CopyParametersResult { readonly copied: readonly string[]; readonly rewritten: readonly string[] }

export function createHandler(deps: StepDeps) {
  return async (event: CopyParametersInput): Promise<CopyParametersResult> => {
    const plan = clonePlanOf(event.plan);
    const from = paramsInRegion(deps, plan.sourceRegion);
    const to = paramsInRegion(deps, plan.targetRegion);
    const source = await from.getByPath(parameterNames.envPrefix(plan.group, plan.sourceStack));
    const copied: string[] = [];
    const rewritten: string[] = [];
    for (const [name, value] of Object.entries(source).sort(([a], [b]) => a.localeCompare(b))) {
      const target = copiedParameterOf(plan, name, value);
      await to.put(target.name, target.value, { secret: true });
      copied.push(target.name);
      if (target.rewritten) rewritten.push(target.name);
    }
    deps.logger.info('parameters copied', { cloneId: plan.cloneId, copied: copied.length, rewritten: rewritten.length });
    return { copied, rewritten };
  };
}

export const handler = awsEntry(createHandler);
