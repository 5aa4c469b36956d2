/**
 * flapping: the primary's health goes down and up repeatedly (its app port rejects
 * every connection for a moment, then accepts again: FLAP_CYCLES times). The prober
 * raises an alarm on each OK → ALARM transition, and each alarm starts a failover, as
 * an alarm action would. The cool-down (and "already failed over") must let at most one
 * of them fail over.
 */
import { addDrillRule } from '../../chaos/iptables-rules.ts';
import type { WorkflowResult } from '../../runtime/run-workflow.ts';
import { failoverOutcomeOf } from '../summarize-drill.ts';
import { verdictOf, type DrillScenario, type ScenarioRun } from './drill-scenario.ts';
import { executionFigures, type ExecutionFigures } from './duplicate-alarm.scenario.ts';
import { failoverConditions } from './failover-checks.ts';
import { awaitWritesAfter } from './kill-primary.scenario.ts';
import { SCENARIOS } from './scenario-catalog.ts';

const FLAP_CYCLES = 5;
const DOWN_MS = 800;
const UP_MS = 800;
/** Bound on the alarms acted on (the prober raises at most one per cycle). */
const MAX_EXECUTIONS = 2 * FLAP_CYCLES;

/** Pure: at most one execution failed over; when one did, the usual failover conditions. */
export function flappingConditions(alarms: number, executions: readonly ExecutionFigures[]): Array<readonly [boolean, string]> {
  const failedOver = executions.filter((e) => e.failedOver).length;
  return [
    [alarms >= 2, `${alarms} alarms raised over ${FLAP_CYCLES} down/up cycles (the health really flapped)`],
    [failedOver <= 1, `${failedOver} of ${executions.length} failover executions failed over (${executions.map((e) => `${e.outcome}${e.reasons[0] ? `: ${e.reasons[0]}` : ''}`).join(' | ')})`],
  ];
}

export const flappingScenario: DrillScenario = {
  spec: SCENARIOS.flapping,
  async run(ctx): Promise<ScenarioRun> {
    const started: Promise<WorkflowResult>[] = [];
    let alarms = 0;
    let firstAlarmAt: number | undefined;
    const prober = ctx.startProber((alarm) => {
      alarms += 1;
      firstAlarmAt ??= alarm.at.getTime();
      ctx.timeline.mark(`alarm ${alarms}: primary unhealthy (${alarm.detail})`, alarm.at.getTime());
      if (started.length < MAX_EXECUTIONS) started.push(ctx.runWorkflow('failover', { group: ctx.group.name, reason: `health alarm ${alarms}: ${alarm.detail}` }, `failover #${started.length + 1}`));
    });
    await ctx.waitFor('prober sees the primary healthy', () => alarms === 0, 2_000);
    const faultAt = Date.now();
    for (let cycle = 1; cycle <= FLAP_CYCLES; cycle++) {
      const down = addDrillRule({ scenario: 'flapping', destination: ctx.group.primary.endpoint, protocol: 'tcp', destinationPort: ctx.appPort, target: 'REJECT' });
      ctx.timeline.mark(`flap ${cycle}: primary app port rejects connections`);
      await new Promise((r) => setTimeout(r, DOWN_MS));
      down.remove();
      await new Promise((r) => setTimeout(r, UP_MS));
    }
    const results = await ctx.withTimeout(Promise.all(started), ctx.maxPhaseMs, 'the failovers the alarms started');
    prober.stop();
    const measured = results.find((r) => failoverOutcomeOf(r).failedOver) ?? results[results.length - 1];
    if (measured) await awaitWritesAfter(ctx, measured, faultAt);
    const executions = results.map(executionFigures);
    const failedOver = measured !== undefined && failoverOutcomeOf(measured).failedOver;
    return {
      faultAt,
      ...(firstAlarmAt !== undefined ? { alarmAt: firstAlarmAt } : {}),
      ...(measured ? { measured } : {}),
      readBackFrom: failedOver ? 'twin' : 'primary',
      details: { alarms, executions, flapCycles: FLAP_CYCLES },
      check: (summary) => verdictOf([...flappingConditions(alarms, executions), ...(failedOver ? failoverConditions(summary) : [[summary.lost === 0, `${summary.lost} acknowledged writes missing on the primary`] as const])]),
    };
  },
};
