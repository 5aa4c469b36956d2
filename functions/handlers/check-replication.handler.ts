/**
 * CheckReplication: observe both copies of one database, report whether the replica
 * (on the stack other than `source`, default the active stack: after a failover the
 * twin is the source) has caught up, and remember how the primary looked (its PrimaryObservation parameter:
 * position and synchronous replicas, with the time) as the evidence a failover weighs
 * once the primary is gone. Run by the replicate workflow and on a schedule, so the
 * evidence stays fresh.
 *
 * Metrics, per database (dimensions `group`, `database`; Powertools adds `service`): the lag in
 * the engine's own unit under `lagMetricName(lagUnit)` (only when it is known), and
 * `TwinReplicating` (1 = the replica is a replica and caught up, 0 = not; the name is kept for the alarms), which the
 * ControlStack alarms watch.
 */
import { lagMetricName, lagMetricUnit, type LagUnit } from '../core/engines/lag-unit.ts';
import type { PrimaryObservation } from '../core/group-state.ts';
import { databaseHost, stackOf } from '../core/model.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { findDatabase, loadGroup } from './stores/load-group.ts';
import { saveObservation } from './stores/primary-observations.ts';
import { readStatus } from './deps/observe-database.ts';
import { withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { assessCatchUp } from '../core/decisions/assess-catch-up.ts';
import type { ReplicationStepInput } from './deps/database-step-input.ts';
import { replicationDirection } from './deps/step-direction.ts';

/** 1 when the replica (the twin until a failover) is a replica that has caught up, 0 otherwise (a replica behind, a primary, stopped, unreachable data). */
export const TWIN_REPLICATING_METRIC = 'TwinReplicating';

export interface CheckReplicationResult {
  readonly database: string;
  readonly caughtUp: boolean;
  /** In `lagUnit`. */
  readonly lag: number | null;
  readonly lagUnit: LagUnit;
  readonly primaryPosition?: string;
  readonly reasons: readonly string[];
}

export function createHandler(deps: StepDeps) {
  return async (event: ReplicationStepInput): Promise<CheckReplicationResult> => {
    const group = await loadGroup(deps.params, event.group);
    const database = findDatabase(group, event.database);
    const engine = engineOf(deps, database.engine);
    const { from, to } = await replicationDirection(deps.params, group.name, event);
    const [primary, twin] = await withShell(() => deps.openShell(group.name), (shell) =>
      Promise.all([
        readStatus(shell, engine, database, databaseHost(stackOf(group, from), database)),
        readStatus(shell, engine, database, databaseHost(stackOf(group, to), database)),
      ]),
    );
    const verdict = assessCatchUp(primary, twin, { positionDiff: (ahead, behind) => engine.positionDiff(ahead, behind), lagUnit: engine.lagUnit });
    const incompatible = engine.compatibilityProblems(primary, twin);
    if (primary.role === 'primary' && primary.position !== undefined) {
      const observation: PrimaryObservation = {
        at: deps.clock.now().toISOString(),
        position: primary.position,
        syncReplicas: (primary.replicas ?? []).filter((r) => r.synchronous && r.streaming).map((r) => r.name),
        stack: from,
      };
      await saveObservation(deps.params, group.name, database.name, observation);
    }
    const caughtUp = verdict.caughtUp && incompatible.length === 0;
    const dimensions = { group: group.name, database: database.name };
    if (verdict.lag !== null) deps.recordMetric?.(lagMetricName(verdict.lagUnit), Math.max(0, verdict.lag), dimensions, lagMetricUnit(verdict.lagUnit));
    deps.recordMetric?.(TWIN_REPLICATING_METRIC, caughtUp && twin.role === 'replica' ? 1 : 0, dimensions);
    return {
      database: database.name,
      caughtUp,
      lag: verdict.lag,
      lagUnit: verdict.lagUnit,
      primaryPosition: primary.position,
      reasons: [...incompatible, ...verdict.reasons],
    };
  };
}

export const handler = awsSshEntry(createHandler);
