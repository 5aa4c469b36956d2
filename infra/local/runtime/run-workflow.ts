/**
 * Run a workflow's real ASL file with aws-local-stepfunctions, its Task states bound
 * to the real step handlers in-process (overrides are keyed by STATE NAME in this
 * library, which is why ASL state names equal STEPS names).
 *
 * Errors: the library matches `ErrorEquals` against `error.name` of what a handler
 * throws, so TwinstackError subclasses (explicit `name`) reach Retry/Catch unchanged.
 * Handler input and output are JSON round-tripped, as Lambda would.
 */
import './polyfill-promise-with-resolvers.ts';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { createStepHandlers } from '../../../functions/handlers/create-step-handlers.ts';
import type { StepDeps } from '../../../functions/handlers/deps/step-deps.ts';
import { STEPS } from '../../../functions/handlers/step-catalog.ts';
import { loadAsl, type WorkflowName } from './load-asl.ts';
import { decisionOf, redactInput, statesOf, triggerOf, writeExecutionRecord, type ExecutionRecord, type RecordOptions } from './execution-record.ts';

export interface WorkflowEvent {
  readonly state: string;
  readonly type: 'entered' | 'succeeded' | 'failed' | 'retry' | 'caught';
  readonly at: Date;
  readonly detail?: string;
  /**
   * A succeeded PollRestoreReplica (the restore job's poll): the database and how far its
   * restore is, for progress displays (bytes; total 0 when unknown).
   */
  readonly progress?: { readonly database: string; readonly bytesDone: number; readonly bytesTotal: number };
}

export interface RunWorkflowOptions {
  readonly workflow: WorkflowName;
  readonly input: unknown;
  readonly deps: StepDeps;
  readonly onEvent?: (event: WorkflowEvent) => void;
  /** Test/drill timing overrides (ms); absent: the ASL's own IntervalSeconds and Wait Seconds. */
  readonly timing?: { readonly retryIntervalMs?: number; readonly waitMs?: number };
  /** `$$.Execution.Name` (the deploy lease holder). @default a random UUID, like StartExecution */
  readonly executionName?: string;
  /** Record the execution under `record.stateDir/executions/` (a RUNNING record at the start, the final one at the end). @default not recorded */
  readonly record?: RecordOptions;
}

export interface WorkflowResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly events: readonly WorkflowEvent[];
  readonly durationMs: number;
}

type JsonValue = Parameters<StateMachine['run']>[0];

const STATE_NAMES = STEPS.map((s) => s.state);

function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}

function collectStateNames(definition: unknown, into: Set<string>): Set<string> {
  if (definition && typeof definition === 'object') {
    for (const [key, value] of Object.entries(definition as Record<string, unknown>)) {
      if (key === 'States' && value && typeof value === 'object') Object.keys(value).forEach((n) => into.add(n));
      collectStateNames(value, into);
    }
  }
  return into;
}

interface RawEvent {
  type: string;
  timestamp: number;
  state?: { name: string; output?: unknown };
  Error?: string;
  Cause?: unknown;
  retry?: { attempt: number };
  catch?: { catcher: { Next: string } };
  index?: number;
}

/** The restore progress PollRestoreReplica put at `$.restoreJob` (statemachines/replicate.asl.json), if this output has it. */
function restoreProgressOf(output: unknown): WorkflowEvent['progress'] {
  const job = (output as { restoreJob?: { database?: unknown; progress?: { bytesDone?: unknown; bytesTotal?: unknown } } } | undefined)?.restoreJob;
  const { database, progress } = job ?? {};
  if (typeof database !== 'string' || typeof progress?.bytesDone !== 'number' || typeof progress.bytesTotal !== 'number') return undefined;
  return { database, bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal };
}

function toWorkflowEvent(raw: RawEvent): WorkflowEvent | undefined {
  if (!raw.state) return undefined;
  const at = new Date(raw.timestamp);
  const state = raw.state.name;
  const where = raw.index !== undefined ? ` [item ${raw.index}]` : '';
  switch (raw.type) {
    case 'StateEntered':
      return { state, type: 'entered', at, ...(where ? { detail: where.trim() } : {}) };
    case 'StateExited': {
      const progress = restoreProgressOf(raw.state.output);
      return { state, type: 'succeeded', at, ...(where ? { detail: where.trim() } : {}), ...(progress ? { progress } : {}) };
    }
    case 'StateFailed':
      return { state, type: 'failed', at, detail: `${raw.Error ?? 'Error'}: ${typeof raw.Cause === 'string' ? raw.Cause : ''}${where}` };
    case 'StateRetried':
      return { state, type: 'retry', at, detail: `attempt ${raw.retry?.attempt ?? '?'}${where}` };
    case 'StateCaught':
      return { state, type: 'caught', at, detail: `→ ${raw.catch?.catcher.Next ?? '?'}${where}` };
    default:
      return undefined;
  }
}

interface PreparedWorkflow {
  readonly machine: StateMachine;
  readonly stateNames: readonly string[];
}

const prepared = new Map<WorkflowName, Promise<PreparedWorkflow>>();

/**
 * Load, bind and validate a workflow once per process, like CreateStateMachine
 * does at deploy time (validation costs ~0.4–1 s; an execution must not pay it).
 */
export function prepareWorkflow(workflow: WorkflowName): Promise<PreparedWorkflow> {
  let entry = prepared.get(workflow);
  if (!entry) {
    entry = loadAsl(workflow, STATE_NAMES).then((definition) => ({
      machine: new StateMachine(definition as unknown as StateMachineDefinition),
      stateNames: [...collectStateNames(definition, new Set())],
    }));
    entry.catch(() => prepared.delete(workflow));
    prepared.set(workflow, entry);
  }
  return entry;
}

export async function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowResult> {
  const started = performance.now();
  const { machine, stateNames } = await prepareWorkflow(options.workflow);
  const handlers = createStepHandlers(options.deps);
  const taskResourceLocalHandlers = Object.fromEntries(
    Object.entries(handlers).map(([state, handle]) => [state, async (input: JsonValue) => toJson(await handle(toJson(input)))]),
  );
  const executionName = options.executionName ?? randomUUID();
  const execution = machine.run(toJson(options.input), {
    context: { Execution: { Name: executionName, Id: `arn:aws:states:us-east-1:000000000000:execution:twinstack-${options.workflow}:${executionName}` } },
    overrides: {
      taskResourceLocalHandlers,
      ...(options.timing?.retryIntervalMs !== undefined
        ? { retryIntervalOverrides: Object.fromEntries(stateNames.map((n) => [n, options.timing?.retryIntervalMs ?? 0])) }
        : {}),
      ...(options.timing?.waitMs !== undefined
        ? { waitTimeOverrides: Object.fromEntries(stateNames.map((n) => [n, options.timing?.waitMs ?? 0])) }
        : {}),
    },
  });
  const events: WorkflowEvent[] = [];
  const record = recorderOf(options, executionName);
  record(events);
  const timeline = (async () => {
    for await (const raw of execution.eventLogs) {
      const event = toWorkflowEvent(raw);
      if (!event) continue;
      events.push(event);
      options.onEvent?.(event);
    }
  })();
  let result: WorkflowResult;
  try {
    const output = await execution.result;
    await timeline;
    result = { status: 'SUCCEEDED', output, events, durationMs: performance.now() - started };
  } catch (error) {
    await timeline;
    const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
    const name = failure instanceof Error ? failure.name : 'Error';
    const cause = failure instanceof Error ? failure.message : String(failure);
    result = { status: 'FAILED', error: name, cause, events, durationMs: performance.now() - started };
  }
  record(events, result);
  return result;
}

/** Writes the execution's record (RUNNING without a result); a failing write is reported on stderr, never fails the execution. */
function recorderOf(options: RunWorkflowOptions, name: string): (events: readonly WorkflowEvent[], result?: WorkflowResult) => void {
  const startedAt = new Date();
  return (events, result) => {
    if (!options.record) return;
    const group = (options.input as { group?: unknown } | undefined)?.group;
    const output = result?.output as { outcome?: unknown } | undefined;
    const decision = decisionOf(result?.output);
    const record: ExecutionRecord = {
      version: 1,
      name,
      workflow: options.workflow,
      ...(typeof group === 'string' ? { group } : {}),
      trigger: options.record.trigger ?? triggerOf(options.input),
      input: redactInput(options.input),
      status: result?.status ?? 'RUNNING',
      startedAt: startedAt.toISOString(),
      ...(result ? { endedAt: new Date(startedAt.getTime() + result.durationMs).toISOString(), durationMs: Math.round(result.durationMs) } : {}),
      ...(result?.error ? { error: result.error } : {}),
      ...(result?.cause ? { cause: result.cause } : {}),
      ...(typeof output?.outcome === 'string' ? { outcome: output.outcome } : {}),
      ...(decision ? { decision } : {}),
      states: statesOf(events),
    };
    try {
      writeExecutionRecord(options.record.stateDir, record, options.record.keep);
    } catch (error) {
      process.stderr.write(`twinstack: could not record execution ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  };
}
