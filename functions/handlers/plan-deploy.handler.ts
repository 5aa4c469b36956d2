/**
 * PlanDeploy (run while holding the deploy lease): which revision goes to which
 * stacks (planDeploy). Moves `desired` forward when this execution's push is newer
 * than what is recorded (a concurrent RequestDeploy may have lost the race to write).
 */
import type { DeployVersion } from '../core/deploy/deploy-state.ts';
import { planDeploy } from '../core/deploy/plan-deploy.ts';
import type { StackRole } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadDeployState, saveDeployState, sourceOf } from './stores/deploy-state-store.ts';
import { loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface PlanDeployInput { readonly group: string; readonly version: DeployVersion }
export interface PlanDeployResult {
  readonly action: 'deploy' | 'none';
  readonly target: DeployVersion;
  readonly hostConcurrency: number;
  readonly stacks: readonly { readonly stack: string; readonly role: StackRole; readonly hosts: readonly string[] }[];
  readonly skipped: readonly string[];
  readonly reasons: readonly string[];
}

export function createHandler(deps: StepDeps) {
  return async (event: PlanDeployInput): Promise<PlanDeployResult> => {
    const group = await loadGroup(deps.params, event.group);
    sourceOf(group);
    const state = await loadDeployState(deps.params, group.name);
    const plan = planDeploy(group, state, event.version);
    if (plan.changed) await saveDeployState(deps.params, group.name, plan.state, state);
    return { action: plan.action, target: plan.target, hostConcurrency: plan.hostConcurrency, stacks: plan.stacks, skipped: plan.skipped, reasons: plan.reasons };
  };
}

export const handler = awsEntry(createHandler);
