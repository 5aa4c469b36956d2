/**
 * The shape every scenario has: run its fault against the set-up drill (two stacks
 * replicating, the app deployed, the writer writing through the group's name, the
 * replication monitor observing), then say whether its property held, from pure
 * figures (`check`, unit-tested apart from the lab).
 *
 * run-drill.ts owns the lab, the writer, the read-back and the summary; a scenario
 * owns only its fault, the workflows it starts, and its figures.
 */
import type { FailoverGroup } from '../../../../functions/core/model.ts';
import type { StepDeps } from '../../../../functions/handlers/deps/step-deps.ts';
import type { WorkflowEvent, WorkflowResult } from '../../runtime/run-workflow.ts';
import type { LoopbackHost } from '../../lab/loopback-host.ts';
import type { LabNodeHost } from '../../lab/lab-database-node.ts';
import type { DrillWriter } from '../drill-writer.ts';
import type { DrillTimeline } from '../drill-timeline.ts';
import type { HealthProber } from '../../prober/health-prober.ts';
import type { DrillMeasurement } from '../summarize-drill.ts';
import type { ScenarioSpec, ScenarioWorkflow } from './scenario-catalog.ts';

export type Role = 'primary' | 'twin';

export interface ScenarioContext {
  readonly group: FailoverGroup;
  readonly deps: StepDeps;
  readonly writer: DrillWriter;
  readonly timeline: DrillTimeline;
  readonly log: (line: string) => void;
  readonly hosts: Readonly<Record<Role, LoopbackHost>>;
  readonly nodeHosts: Readonly<Record<Role, LabNodeHost>>;
  readonly dnsServer: { readonly address: string; readonly port: number };
  readonly appPort: number;
  readonly sshPort: number;
  /** Acknowledged writes to wait for after a switch of traffic. */
  readonly writesAfter: number;
  /** Hard bound on any phase. */
  readonly maxPhaseMs: number;
  /** Runs a workflow through the local runtime with its states on the timeline (`label` tells executions apart). */
  runWorkflow(workflow: ScenarioWorkflow, input: Record<string, unknown>, label?: string, onEvent?: (e: WorkflowEvent) => void): Promise<WorkflowResult>;
  /** The primary dies like a host: containers, dockerd, every database server SIGKILLed at once; returns when. */
  killPrimary(): Promise<number>;
  /** Starts the health prober on the primary (the local health check + alarm), stopped by the drill's cleanup. */
  startProber(onAlarm: (alarm: { readonly at: Date; readonly detail: string }) => void): HealthProber;
  /** Stops the scheduled replication check (its evidence then ages, as when a primary dies). */
  stopMonitor(): Promise<void>;
  /** Registers something to stop when the drill ends (newest first; also on failure and Ctrl-C). */
  onCleanup(label: string, stop: () => Promise<void> | void): void;
  waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void>;
  withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T>;
}

/** What a scenario observed, for the summary and its property. */
export interface ScenarioRun {
  /** The fault's instant: the origin of rtoMs, detectionMs and the writer's series (`killAt` in the summary). */
  readonly faultAt: number;
  readonly alarmAt?: number;
  /** The execution whose decision and databases the summary reports (the one that moved traffic, if any). */
  readonly measured?: WorkflowResult;
  /** Which stack's databases hold the writes at the end (read back through its published URLs). */
  readonly readBackFrom: Role;
  /** Scenario figures, merged into the summary (plain JSON). */
  readonly details: Readonly<Record<string, unknown>>;
  /** Whether the property held, given the summary (pure). */
  check(summary: DrillMeasurement): PropertyVerdict;
}

export interface PropertyVerdict {
  readonly passed: boolean;
  /** Each condition checked, with what was found: the report says why it passed or failed. */
  readonly reasons: readonly string[];
}

export interface DrillScenario {
  readonly spec: ScenarioSpec;
  /**
   * Config changes the scenario needs before the lab is set up, e.g. a small maxLag per
   * lag unit so a held-back replica exceeds it within seconds.
   */
  readonly maxLag?: { readonly bytes: string; readonly transactions: number };
  run(ctx: ScenarioContext): Promise<ScenarioRun>;
}

/** Pure: one verdict from named conditions (each `[holds, what was found]`). */
export function verdictOf(conditions: ReadonlyArray<readonly [boolean, string]>): PropertyVerdict {
  return { passed: conditions.every(([holds]) => holds), reasons: conditions.map(([holds, what]) => `${holds ? 'ok' : 'FAILED'}: ${what}`) };
}
