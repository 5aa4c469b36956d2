/**
 * kill-primary (the default): the primary dies like a host; the prober's alarm starts
 * the failover workflow; writes continue through the name once DNS moved.
 */
import type { WorkflowResult } from '../../runtime/run-workflow.ts';
import { failoverOutcomeOf } from '../summarize-drill.ts';
import { verdictOf, type DrillScenario, type ScenarioContext, type ScenarioRun } from './drill-scenario.ts';
import { failoverConditions } from './failover-checks.ts';
import { SCENARIOS } from './scenario-catalog.ts';

/** Shared with scenarios that start from the same fault: kill, alarm, failover(s); returns the alarm and what each alarm started. */
export async function killAndAwaitAlarm(ctx: ScenarioContext, onAlarm: (reason: string) => Promise<WorkflowResult>): Promise<{ killAt: number; alarmAt: number; result: WorkflowResult }> {
  let alarmAt: number | undefined;
  let started: Promise<WorkflowResult> | undefined;
  const prober = ctx.startProber((alarm) => {
    alarmAt = alarm.at.getTime();
    ctx.timeline.mark(`alarm: primary unhealthy (${alarm.detail})`, alarmAt);
    started = onAlarm(`health alarm: ${alarm.detail}`);
  });
  await ctx.waitFor('prober sees the primary healthy', () => alarmAt === undefined, 2_000);
  const killAt = await ctx.killPrimary();
  ctx.log('primary killed; waiting for the alarm and the failover');
  await ctx.stopMonitor();
  await ctx.waitFor('alarm', () => started !== undefined, ctx.maxPhaseMs);
  const result = await ctx.withTimeout(started!, ctx.maxPhaseMs, 'failover workflow');
  prober.stop();
  return { killAt, alarmAt: alarmAt!, result };
}

/** After a failover that moved traffic, wait (bounded) for writes through the name again. */
export async function awaitWritesAfter(ctx: ScenarioContext, result: WorkflowResult, since: number): Promise<void> {
  if (!failoverOutcomeOf(result).failedOver) return;
  await ctx.withTimeout(ctx.writer.waitForAcks(ctx.writesAfter, since), ctx.maxPhaseMs, 'writes after the failover').catch((e: unknown) => ctx.log(String(e)));
}

export const killPrimaryScenario: DrillScenario = {
  spec: SCENARIOS['kill-primary'],
  async run(ctx): Promise<ScenarioRun> {
    const { killAt, alarmAt, result } = await killAndAwaitAlarm(ctx, (reason) => ctx.runWorkflow('failover', { group: ctx.group.name, reason }));
    await awaitWritesAfter(ctx, result, killAt);
    return {
      faultAt: killAt,
      alarmAt,
      measured: result,
      readBackFrom: 'twin',
      details: {},
      check: (summary) => verdictOf(failoverConditions(summary)),
    };
  },
};
