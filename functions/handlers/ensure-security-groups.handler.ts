/**
 * EnsureSecurityGroups (clone-stack): the source stack's security groups, made (or found, by
 * name and the clone's tag) in the target VPC with the same rules. A rule that references a
 * group references that group's copy: first every group is ensured with its address rules
 * only (so every copy has an id), then again with every rule, references translated.
 * Idempotent: the provider finds the group and authorizing a rule it has is a no-op.
 */
import type { SecurityGroupRule } from '../core/compute.ts';
import { translateRules } from '../core/decisions/plan-clone.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { clonePlanOf, computeOf } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface EnsureSecurityGroupsInput { readonly plan: unknown }
export interface EnsureSecurityGroupsResult {
  /** Source group id → the id of its copy in the target VPC. */
  readonly groupIds: Readonly<Record<string, string>>;
  /** Copies this run created (the others existed: a resumed clone). */
  readonly created: readonly string[];
}

/** The rules without their group references (a rule left with no address goes). */
function addressRulesOf(rules: readonly SecurityGroupRule[]): SecurityGroupRule[] {
  return rules.filter((r) => r.cidrs.length + r.ipv6Cidrs.length > 0).map((r) => ({ ...r, groupIds: [] }));
}

export function createHandler(deps: StepDeps) {
  return async (event: EnsureSecurityGroupsInput): Promise<EnsureSecurityGroupsResult> => {
    const plan = clonePlanOf(event.plan);
    const compute = computeOf(deps);
    const groupIds: Record<string, string> = {};
    const created: string[] = [];
    for (const sg of plan.securityGroups) {
      const spec = { name: sg.name, description: sg.description, tags: sg.tags, ingress: addressRulesOf(sg.ingress), egress: addressRulesOf(sg.egress) };
      const ensured = await compute.ensureSecurityGroup(plan.targetRegion, plan.vpcId, spec);
      groupIds[sg.sourceId] = ensured.groupId;
      if (ensured.created) created.push(ensured.groupId);
    }
    for (const sg of plan.securityGroups) {
      const referencing = [...sg.ingress, ...sg.egress].some((r) => r.groupIds.length > 0);
      if (!referencing) continue;
      await compute.ensureSecurityGroup(plan.targetRegion, plan.vpcId, { name: sg.name, description: sg.description, tags: sg.tags, ingress: translateRules(sg.ingress, groupIds), egress: translateRules(sg.egress, groupIds) });
    }
    deps.logger.info('security groups ensured', { cloneId: plan.cloneId, groups: Object.keys(groupIds).length, created: created.length });
    return { groupIds, created };
  };
}

export const handler = awsEntry(createHandler);
