/**
 * rejoin: the primary's database servers crash (its app keeps running, like a host
 * whose database disk failed), the alarm fails over to the twin, the old primary's
 * servers are restarted (fenced: they come back read-only), the `rejoin` workflow
 * makes them replicas of the twin, and a switchover brings traffic back to them.
 * Nothing acknowledged may be lost and DNS must end on the primary.
 */
import { labNodeFor } from '../../lab/lab-nodes.ts';
import { failoverOutcomeOf } from '../summarize-drill.ts';
import { verdictOf, type DrillScenario, type ScenarioRun } from './drill-scenario.ts';
import { rejoinSucceeded, switchoverConditions, switchSucceeded, switchTo } from './switchover-and-back.scenario.ts';
import { SCENARIOS } from './scenario-catalog.ts';

function firstLine(reason: unknown): string {
  const text = reason instanceof Error ? reason.message : String(reason);
  const errors = text.split('\n').filter((l) => /ERROR|error/.test(l));
  return (errors[0] ?? text.split('\n')[0] ?? '').slice(0, 300);
}

export const rejoinScenario: DrillScenario = {
  spec: SCENARIOS.rejoin,
  async run(ctx): Promise<ScenarioRun> {
    let alarmAt: number | undefined;
    let failover: ReturnType<typeof ctx.runWorkflow> | undefined;
    const prober = ctx.startProber((alarm) => {
      alarmAt = alarm.at.getTime();
      ctx.timeline.mark(`alarm: primary unhealthy (${alarm.detail})`, alarmAt);
      failover = ctx.runWorkflow('failover', { group: ctx.group.name, reason: `health alarm: ${alarm.detail}` });
    });
    await ctx.waitFor('prober sees the primary healthy', () => alarmAt === undefined, 2_000);
    const faultAt = Date.now();
    await Promise.all(ctx.group.databases.map((db) => labNodeFor(db.engine).kill(ctx.nodeHosts.primary, db)));
    ctx.timeline.mark(`primary databases crashed (${ctx.group.databases.map((db) => db.engine).join(', ')}); its app keeps running`, faultAt);
    await ctx.stopMonitor();
    await ctx.waitFor('alarm', () => failover !== undefined, ctx.maxPhaseMs);
    const failed = await ctx.withTimeout(failover!, ctx.maxPhaseMs, 'failover workflow');
    prober.stop();
    const failedOver = failoverOutcomeOf(failed).failedOver;
    const conditions: Array<readonly [boolean, string]> = [[failedOver, `failover ${failoverOutcomeOf(failed).status}`]];
    let rejoined = false;
    let back: Awaited<ReturnType<typeof switchTo>> | undefined;
    let rejoinFigures: Record<string, unknown> = {};
    let restartFailures: Record<string, string> = {};
    if (failedOver) {
      await ctx.writer.waitForAcks(Math.min(ctx.writesAfter, 50), Date.now());
      // A server that cannot come back (e.g. crash recovery refused in read-only mode) is reported, and left to the rejoin (which may restore it from the active copy).
      const starts = await Promise.allSettled(ctx.group.databases.map((db) => labNodeFor(db.engine).start(ctx.nodeHosts.primary, db)));
      restartFailures = Object.fromEntries(starts.flatMap((r, i) => (r.status === 'rejected' ? [[ctx.group.databases[i]!.name, firstLine(r.reason)]] : [])));
      ctx.timeline.mark(`old primary databases restarted${Object.keys(restartFailures).length ? ` (did not start: ${Object.keys(restartFailures).join(', ')})` : ''}`);
      const rejoin = await ctx.withTimeout(ctx.runWorkflow('rejoin', { group: ctx.group.name }), ctx.maxPhaseMs, 'rejoin workflow');
      rejoined = rejoinSucceeded(rejoin);
      rejoinFigures = { status: rejoin.status, output: rejoin.output ?? null, ...(rejoin.error ? { error: `${rejoin.error}: ${rejoin.cause ?? ''}` } : {}) };
      conditions.push([rejoined, `rejoin ${rejoin.status}${rejoin.error ? `: ${rejoin.error} ${rejoin.cause ?? ''}` : ''}`]);
      if (rejoined) back = await switchTo(ctx, 'primary', 'switchover → primary');
    }
    const switches = back ? [back.figures()] : [];
    return {
      faultAt,
      ...(alarmAt !== undefined ? { alarmAt } : {}),
      measured: failed,
      readBackFrom: back && switchSucceeded(back.result) ? 'primary' : 'twin',
      details: { rejoin: rejoinFigures, restartFailures, switches },
      check: (summary) => verdictOf([...conditions, [switches.length === 1, 'the switch back ran'], ...switchoverConditions(switches, summary)]),
    };
  },
};
