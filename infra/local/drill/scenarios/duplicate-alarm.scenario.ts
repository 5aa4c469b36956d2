/**
 * duplicate-alarm: the primary dies and its alarm is delivered twice at the same
 * instant (two failover executions start together, as two alarm actions would).
 * The group's lease lets one act; the other waits, then finds the work done (a hold)
 * or fails GroupBusy — either way it must promote nothing.
 */
import type { WorkflowResult } from '../../runtime/run-workflow.ts';
import { failoverOutcomeOf } from '../summarize-drill.ts';
import { verdictOf, type DrillScenario, type ScenarioRun } from './drill-scenario.ts';
import { failoverConditions } from './failover-checks.ts';
import { awaitWritesAfter, killAndAwaitAlarm } from './kill-primary.scenario.ts';
import { SCENARIOS } from './scenario-catalog.ts';

export interface ExecutionFigures {
  readonly status: string;
  readonly outcome: 'SUCCEEDED' | 'HELD' | 'FAILED';
  readonly failedOver: boolean;
  /** PromoteDatabase steps that succeeded in this execution (one per database promoted or found promoted). */
  readonly promoteSteps: number;
  readonly reasons: readonly string[];
}

/** Pure: what one failover execution did. */
export function executionFigures(result: WorkflowResult): ExecutionFigures {
  const outcome = failoverOutcomeOf(result);
  return {
    status: result.status,
    outcome: outcome.status,
    failedOver: outcome.failedOver,
    promoteSteps: result.events.filter((e) => e.state === 'PromoteDatabase' && e.type === 'succeeded').length,
    reasons: outcome.reasons,
  };
}

/** Pure: exactly one of the executions failed over, and the others ran no promotion step. */
export function oneFailoverConditions(executions: readonly ExecutionFigures[]): Array<readonly [boolean, string]> {
  const acted = executions.filter((e) => e.failedOver);
  const others = executions.filter((e) => !e.failedOver);
  return [
    [acted.length === 1, `${acted.length} of ${executions.length} executions failed over`],
    [others.every((e) => e.promoteSteps === 0), `the others ran ${others.map((e) => e.promoteSteps).join(', ') || 'no'} promotion steps (${others.map((e) => `${e.outcome}: ${e.reasons.join('; ')}`).join(' | ')})`],
  ];
}

export const duplicateAlarmScenario: DrillScenario = {
  spec: SCENARIOS['duplicate-alarm'],
  async run(ctx): Promise<ScenarioRun> {
    let all: Promise<WorkflowResult[]> | undefined;
    const { killAt, alarmAt } = await killAndAwaitAlarm(ctx, (reason) => {
      all = Promise.all([1, 2].map((n) => ctx.runWorkflow('failover', { group: ctx.group.name, reason: `${reason} (delivery ${n})` }, `failover #${n}`)));
      return all.then((results) => results.find((r) => failoverOutcomeOf(r).failedOver) ?? results[0]!);
    });
    const results = await all!;
    const measured = results.find((r) => failoverOutcomeOf(r).failedOver) ?? results[0]!;
    await awaitWritesAfter(ctx, measured, killAt);
    const executions = results.map(executionFigures);
    return {
      faultAt: killAt,
      alarmAt,
      measured,
      readBackFrom: 'twin',
      details: { executions },
      check: (summary) => verdictOf([...oneFailoverConditions(executions), ...failoverConditions(summary)]),
    };
  },
};
