/**
 * switchover-and-back: a planned switch of traffic to the twin (workflow `switchover`,
 * input `{group, to: "twin"}`), writes through the name on the twin, then the switch
 * back (`to: "primary"`). Nothing acknowledged may be lost either way, DNS must end
 * where it began, and each switch's write-unavailability window is measured per
 * database and overall (write-unavailability.ts).
 */
import type { WorkflowResult } from '../../runtime/run-workflow.ts';
import { unavailabilityWindow, type UnavailabilityWindow } from '../write-unavailability.ts';
import { verdictOf, type DrillScenario, type ScenarioContext, type ScenarioRun } from './drill-scenario.ts';
import { SCENARIOS } from './scenario-catalog.ts';

/** Failures up to this long after a switch ended still belong to it (clients' cached DNS answers: TTL 1 s). */
const SETTLE_MS = 3_000;

export interface SwitchFigures {
  readonly to: 'twin' | 'primary';
  readonly status: string;
  readonly outcome: string | null;
  readonly error?: string;
  readonly durationMs: number;
  /** What the workflow itself says the window was (DNS switched − first demotion), for comparison. */
  readonly workflowWindowMs: number | null;
  readonly overall: UnavailabilityWindow;
  readonly databases: Readonly<Record<string, UnavailabilityWindow>>;
}

/** The execution's `outcome` word, when its output has one. */
function outcomeOf(result: Pick<WorkflowResult, 'output'>): string | null {
  const outcome = (result.output as { outcome?: unknown } | undefined)?.outcome;
  return typeof outcome === 'string' ? outcome : null;
}

/**
 * Pure: the switchover moved traffic: it succeeded with outcome `switched-over` (or
 * `switched-over-not-rejoined`: moved, but an old primary is not yet a replica). A
 * refusal also succeeds, with the decision as its output and no outcome.
 */
export function switchSucceeded(result: Pick<WorkflowResult, 'status' | 'output'>): boolean {
  return result.status === 'SUCCEEDED' && /^switched-over/.test(outcomeOf(result) ?? '');
}

/** Pure: the rejoin made the old primaries replicas (outcome `rejoined`; a refusal fails the execution). */
export function rejoinSucceeded(result: Pick<WorkflowResult, 'status' | 'output'>): boolean {
  return result.status === 'SUCCEEDED' && outcomeOf(result) === 'rejoined';
}

/** The workflow's own measure of the window (SwitchoverOutput: dnsSwitchedAt − the earliest demotedAt), when present. */
export function workflowWindowMs(output: unknown): number | null {
  const o = output as { dnsSwitchedAt?: unknown; databases?: Array<{ demotedAt?: unknown }> } | undefined;
  const demoted = (o?.databases ?? []).map((d) => (typeof d.demotedAt === 'string' ? Date.parse(d.demotedAt) : NaN)).filter((t) => !Number.isNaN(t));
  const switched = typeof o?.dnsSwitchedAt === 'string' ? Date.parse(o.dnsSwitchedAt) : NaN;
  return demoted.length === 0 || Number.isNaN(switched) ? null : switched - Math.min(...demoted);
}

export function switchoverConditions(switches: readonly SwitchFigures[], summary: { lost: number; duplicated: number; dnsBefore: string | null; dnsAfter: string | null }): Array<readonly [boolean, string]> {
  return [
    ...switches.map((s) => [s.status === 'SUCCEEDED' && /^switched-over/.test(s.outcome ?? ''), `switchover to the ${s.to}: ${s.status}${s.outcome ? ` (${s.outcome})` : ' (refused or no outcome)'}${s.error ? `: ${s.error}` : ''}`] as const),
    ...switches.map((s) => [s.overall.ms !== null, `switch to the ${s.to}: writes unavailable ${s.overall.ms ?? 'without end'} ms overall (${Object.entries(s.databases).map(([db, w]) => `${db} ${w.ms ?? '?'} ms`).join(', ')})`] as const),
    [summary.lost === 0, `${summary.lost} acknowledged writes lost (read back from the primary at the end)`],
    [summary.duplicated === 0, `${summary.duplicated} writes duplicated`],
    [summary.dnsBefore !== null && summary.dnsBefore === summary.dnsAfter, `DNS ${summary.dnsBefore ?? '?'} at the start, ${summary.dnsAfter ?? '?'} at the end`],
  ];
}

/** One switchover, with its windows measured from the writer's attempts. */
export async function switchTo(ctx: ScenarioContext, to: 'twin' | 'primary', label: string): Promise<{ result: WorkflowResult; figures: () => SwitchFigures }> {
  const fromAt = Date.now();
  const result = await ctx.withTimeout(ctx.runWorkflow('switchover', { group: ctx.group.name, to }, label), ctx.maxPhaseMs, `switchover to the ${to}`);
  const endedAt = Date.now();
  await ctx.withTimeout(ctx.writer.waitForAcks(Math.min(ctx.writesAfter, 50), endedAt), ctx.maxPhaseMs, `writes after the switchover to the ${to}`).catch((e: unknown) => ctx.log(String(e)));
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const span = { fromAt, toAt: endedAt + SETTLE_MS };
  return {
    result,
    figures: () => ({
      to,
      status: result.status,
      outcome: outcomeOf(result),
      ...(result.error ? { error: `${result.error}: ${result.cause ?? ''}` } : {}),
      durationMs: endedAt - fromAt,
      workflowWindowMs: workflowWindowMs(result.output),
      overall: unavailabilityWindow(ctx.writer.attempts, span),
      databases: Object.fromEntries(ctx.group.databases.map((db) => [db.name, unavailabilityWindow(ctx.writer.attempts, span, db.name)])),
    }),
  };
}

export const switchoverAndBackScenario: DrillScenario = {
  spec: SCENARIOS['switchover-and-back'],
  async run(ctx): Promise<ScenarioRun> {
    await ctx.stopMonitor();
    const faultAt = Date.now();
    const there = await switchTo(ctx, 'twin', 'switchover → twin');
    const back = switchSucceeded(there.result) ? await switchTo(ctx, 'primary', 'switchover → primary') : undefined;
    const switches = [there.figures(), ...(back ? [back.figures()] : [])];
    return {
      faultAt,
      measured: back?.result ?? there.result,
      readBackFrom: back && switchSucceeded(back.result) ? 'primary' : 'twin',
      details: { switches },
      check: (summary) => verdictOf([...switchoverConditions(switches, summary), [switches.length === 2, `${switches.length} of 2 switchovers ran`]]),
    };
  },
};
