/**
 * What every clone-stack step reads: its ports (Compute, a region's ParameterStore) and the
 * plan PlanClone made, checked for shape (step input is JSON from the workflow, not trusted).
 */
import type { Compute } from '../../core/compute.ts';
import type { ClonePlan } from '../../core/decisions/plan-clone.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { ParameterStore } from '../../core/ports.ts';
import type { StepDeps } from './step-deps.ts';

const CLONE_ID = /^tc-[0-9a-f]{16}$/;

/** The Compute port; InvalidInputError for a runtime that has none. */
export function computeOf(deps: StepDeps): Compute {
  if (!deps.compute) throw new InvalidInputError('this runtime has no Compute (EC2 or the local lab): clone-stack cannot run here');
  return deps.compute;
}

/** The ParameterStore of `region`; InvalidInputError for a runtime that reaches no other region. */
export function paramsInRegion(deps: StepDeps, region: string): ParameterStore {
  if (!deps.paramsIn) throw new InvalidInputError('this runtime reaches no ParameterStore of another region: clone-stack cannot copy parameters here');
  return deps.paramsIn(region);
}

/** PlanClone's plan from a step input; InvalidInputError when it is not one. */
export function clonePlanOf(value: unknown): ClonePlan {
  const plan = value as Partial<ClonePlan> | undefined;
  if (!plan || typeof plan.cloneId !== 'string' || !CLONE_ID.test(plan.cloneId) || !Array.isArray(plan.hosts) || !Array.isArray(plan.securityGroups) || typeof plan.twinName !== 'string') {
    throw new InvalidInputError('plan must be the plan PlanClone returned (cloneId, hosts, securityGroups, twinName)');
  }
  return plan as ClonePlan;
}

/** One id per host name, from a step's list of `{hostName, <key>}` (every planned host must have one). */
export function idsByHost(plan: ClonePlan, items: unknown, key: 'imageId' | 'instanceId', what: string): Map<string, string> {
  const list = Array.isArray(items) ? (items as Record<string, unknown>[]) : [];
  const ids = new Map<string, string>();
  for (const item of list) if (typeof item?.['hostName'] === 'string' && typeof item[key] === 'string') ids.set(item['hostName'], item[key]);
  const missing = plan.hosts.filter((h) => !ids.has(h.hostName)).map((h) => h.hostName);
  if (missing.length > 0) throw new InvalidInputError(`${what} has no ${key} for host(s) ${missing.join(', ')}`);
  return ids;
}
