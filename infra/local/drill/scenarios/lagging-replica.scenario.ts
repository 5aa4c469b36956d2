/**
 * lagging-replica (async): the replication link is cut (the partition of
 * chaos/partition.ts: for every engine the replica's own connection to the primary
 * loses its packets, which is what holds replication back honestly), writes continue
 * and are acknowledged by the primary alone, the replica falls beyond a small maxLag.
 * Then the writer pauses long enough for the scheduled replication check to observe
 * the primary's final position, and the primary dies. The automatic failover must
 * refuse with the reason; a forced one then promotes and reports the loss, which is
 * compared with the acknowledged writes the promoted twin lacks.
 */
import { partitionHosts } from '../../chaos/partition.ts';
import { failoverOutcomeOf, type DrillDatabaseResult } from '../summarize-drill.ts';
import { verdictOf, type DrillScenario, type ScenarioRun } from './drill-scenario.ts';
import { failoverConditions } from './failover-checks.ts';
import { awaitWritesAfter, killAndAwaitAlarm } from './kill-primary.scenario.ts';
import { SCENARIOS } from './scenario-catalog.ts';

/** Writes acknowledged by the primary alone before it dies. */
const LAGGING_WRITES_MS = 4_000;
/** Longer than two rounds of the replication check (1 s each), so its last observation is the primary's final position. */
const QUIET_BEFORE_KILL_MS = 2_500;

/**
 * Pure: does the loss the forced decision reported match what the checker found
 * missing? `transactions`: one acknowledged write is one transaction, so the counts
 * must be equal. `bytes`: a byte lag has no exact write count; it matches when it is
 * above zero exactly when writes were lost. An unknown loss (null) matches nothing.
 */
export function lossMatches(db: Pick<DrillDatabaseResult, 'lost' | 'loss' | 'lagUnit'>): boolean {
  if (db.loss === null) return false;
  if (db.lagUnit === 'transactions') return db.loss === db.lost;
  return db.loss > 0 === db.lost > 0;
}

export function laggingConditions(unforced: { status: string; reasons: readonly string[] }, databases: readonly DrillDatabaseResult[]): Array<readonly [boolean, string]> {
  return [
    [unforced.status === 'HELD' && unforced.reasons.length > 0, `the automatic failover: ${unforced.status} (${unforced.reasons.join('; ')})`],
    [databases.every((db) => db.lost > 0), `writes lost by the forced failover: ${databases.map((db) => `${db.name} ${db.lost}`).join(', ')} (the replica really lagged)`],
    [databases.every(lossMatches), `reported loss vs writes missing: ${databases.map((db) => `${db.name} ${db.loss ?? 'unknown'} ${db.lagUnit} / ${db.lost} writes`).join(', ')}`],
  ];
}

export const laggingReplicaScenario: DrillScenario = {
  spec: SCENARIOS['lagging-replica'],
  maxLag: { bytes: '2KiB', transactions: 10 },
  async run(ctx): Promise<ScenarioRun> {
    const cutAt = Date.now();
    const partition = partitionHosts('lagging-replica', { name: 'primary', address: ctx.group.primary.endpoint, namespacePid: ctx.hosts.primary.pid }, { name: 'twin', address: ctx.group.twin.endpoint, namespacePid: ctx.hosts.twin.pid });
    ctx.onCleanup('replication link cut', () => partition.heal());
    ctx.timeline.mark(`replication link cut (${partition.abortedConnections} connections aborted)`, cutAt);
    const before = ctx.writer.acknowledged.length;
    await new Promise((r) => setTimeout(r, LAGGING_WRITES_MS));
    ctx.writer.pause();
    const lagging = ctx.writer.acknowledged.length - before;
    ctx.timeline.mark(`writer paused: ${lagging} writes acknowledged by the primary alone`);
    await new Promise((r) => setTimeout(r, QUIET_BEFORE_KILL_MS));
    ctx.writer.resume();
    const { killAt, alarmAt, result: unforcedResult } = await killAndAwaitAlarm(ctx, (reason) => ctx.runWorkflow('failover', { group: ctx.group.name, reason }, 'failover (automatic)'));
    partition.heal();
    const unforced = failoverOutcomeOf(unforcedResult);
    const forcedAt = Date.now();
    const forced = await ctx.runWorkflow('failover', { group: ctx.group.name, force: true, reason: 'drill: operator accepts the reported loss' }, 'failover (forced)');
    await awaitWritesAfter(ctx, forced, forcedAt);
    return {
      faultAt: killAt,
      alarmAt,
      measured: forced,
      readBackFrom: 'twin',
      details: { laggingWrites: lagging, automaticFailover: { status: unforced.status, reasons: unforced.reasons } },
      check: (summary) =>
        verdictOf([
          ...laggingConditions(unforced, summary.databases),
          ...failoverConditions(summary, { coverLoss: false }),
        ]),
    };
  },
};
