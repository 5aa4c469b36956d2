/**
 * AssessRejoin: observe both stacks into an immutable RejoinSnapshot (no secrets): the
 * active stack from GroupState, every database's status on both stacks, what DNS answers
 * and each stack's health (the shared observation of every assess step, observe-stacks.ts).
 * Read-only. Never throws for a side that cannot be observed: it is recorded as an error
 * string and decideRejoin weighs it. Throws only when the group itself cannot be loaded
 * (InvalidInputError) or its state cannot be read.
 */
import type { RejoinDatabaseObservation, RejoinSnapshot } from '../core/decisions/decide-rejoin.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { assessGroup, observeGroup, type DatabaseSides } from './deps/observe-stacks.ts';
import type { StepDeps } from './deps/step-deps.ts';

/** The rejoin workflow's input. */
export interface RejoinInput { readonly group: string; readonly reason?: string }

/** A database's two copies as the rejoin decision reads them: `from` is the active copy, `to` the standby's (the node to rejoin). */
function toRejoinObservation({ database, engine, fromHost, replicaName, from, to }: DatabaseSides): RejoinDatabaseObservation {
  const incompatibilities = from.status && to.status ? engine.compatibilityProblems(from.status, to.status) : [];
  return {
    name: database.name,
    lagUnit: engine.lagUnit,
    activeAddress: `${fromHost.address}:${database.port}`,
    standbyReplicaName: replicaName,
    active: from,
    standby: to,
    ...(incompatibilities.length > 0 ? { incompatibilities } : {}),
  };
}

export function createHandler(deps: StepDeps) {
  return async (event: RejoinInput): Promise<RejoinSnapshot> => {
    const { group, direction, observedAt, observed } = await assessGroup(deps, event.group, (g, d) => observeGroup(deps, g, d, toRejoinObservation));
    return {
      group: group.name,
      observedAt,
      active: direction.from,
      standby: direction.to,
      ...observed.dns,
      activeHealth: observed.fromHealth,
      standbyHealth: observed.toHealth,
      databases: observed.databases,
    };
  };
}

export const handler = awsSshEntry(createHandler);
