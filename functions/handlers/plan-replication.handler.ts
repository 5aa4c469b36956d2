/** PlanReplication: load the group, list the databases the Map replicates, and fix the direction: from the active stack (`source`) to the other. */
import { awsEntry } from './deps/aws-entry.ts';
import type { StackRole } from '../core/model.ts';
import { loadGroup, loadState } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface PlanReplicationInput { readonly group: string }
export interface PlanReplicationResult {
  readonly group: string;
  readonly primary: string;
  readonly twin: string;
  readonly databases: readonly string[];
  /** The active stack: every replicate step of this run replicates from it (their `source`). */
  readonly source: StackRole;
}

export function createHandler(deps: StepDeps) {
  return async (event: PlanReplicationInput): Promise<PlanReplicationResult> => {
    const group = await loadGroup(deps.params, event.group);
    const { active } = await loadState(deps.params, group.name);
    return { group: group.name, primary: group.primary.name, twin: group.twin.name, databases: group.databases.map((d) => d.name), source: active };
  };
}

export const handler = awsEntry(createHandler);
