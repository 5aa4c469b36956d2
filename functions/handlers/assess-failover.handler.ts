/**
 * AssessFailover: observe both stacks into an immutable FailoverSnapshot (no secrets), in
 * the group's direction: from the active stack (GroupState.active) to the other one, so a
 * failover back from the twin works once the primary stack's databases are its replicas.
 * The snapshot's `from`/`to` are passed by the workflow to every later step.
 * Never throws for an unreachable side: it is recorded as an error string, and the
 * decider weighs it. Throws only when the group itself cannot be loaded.
 */
import type { FailoverSnapshot } from '../core/decisions/failover-snapshot.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { assessGroup, observeStacks } from './deps/observe-stacks.ts';
import type { StepDeps } from './deps/step-deps.ts';

export { HEALTH_TIMEOUT_MS } from './deps/observe-stacks.ts';

export interface FailoverInput { readonly group: string; readonly force?: boolean; readonly reason?: string }

export function createHandler(deps: StepDeps) {
  return async (event: FailoverInput): Promise<FailoverSnapshot> => {
    const { group, state, observed, moveHead } = await assessGroup(deps, event.group, (g, d) => observeStacks(deps, g, d));
    const lastMove = state.history?.at(-1);
    return {
      ...moveHead,
      ...(lastMove ? { lastMove: { ...(lastMove.kind ? { kind: lastMove.kind } : {}), at: lastMove.at, from: lastMove.from, to: lastMove.to } } : {}),
      ...observed.dns,
      primaryHealth: observed.fromHealth,
      twinHealth: observed.toHealth,
      databases: observed.databases,
      ...(state.lastFailoverAt ? { lastFailoverAt: state.lastFailoverAt } : {}),
      cooldownSeconds: group.failover.cooldownSeconds,
      maxObservationAgeSeconds: group.failover.maxObservationAgeSeconds,
      force: event.force === true,
    };
  };
}

export const handler = awsSshEntry(createHandler);
