/** PlanReplication: load the group and list the databases the Map replicates. */
import { awsEntry } from './deps/aws-entry.ts';
import { loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface PlanReplicationInput { readonly group: string }
export interface PlanReplicationResult {
  readonly group: string;
  readonly primary: string;
  readonly twin: string;
  readonly databases: readonly string[];
}

export function createHandler(deps: StepDeps) {
  return async (event: PlanReplicationInput): Promise<PlanReplicationResult> => {
    const group = await loadGroup(deps.params, event.group);
    return { group: group.name, primary: group.primary.name, twin: group.twin.name, databases: group.databases.map((d) => d.name) };
  };
}

export const handler = awsEntry(createHandler);
