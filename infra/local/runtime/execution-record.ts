/**
 * The local runtime's execution history: one JSON file per execution under
 * `<stateDir>/executions/`, written atomically (temp file + rename), newest N kept.
 * What `twinstack history --local` and `status --local` read.
 *
 * Invariant: a record never holds a secret. The input is copied with every field whose
 * name looks secret (password, secret, token, key, credential) replaced by "[redacted]";
 * step outputs are not recorded, only the final decision's action and reasons.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowEvent } from './run-workflow.ts';

export type ExecutionTrigger = 'alarm' | 'webhook' | 'operator';
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface RecordedState {
  readonly name: string;
  /** "[item N]" inside a Map. */
  readonly item?: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  /** succeeded | failed | caught | running */
  readonly outcome: 'succeeded' | 'failed' | 'caught' | 'running';
  readonly detail?: string;
  readonly retries?: number;
}

export interface ExecutionRecord {
  readonly version: 1;
  readonly name: string;
  readonly workflow: string;
  readonly group?: string;
  readonly trigger: ExecutionTrigger;
  readonly input: unknown;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly cause?: string;
  /** The workflow's outcome field when it has one (`failed-over`, `held`, …). */
  readonly outcome?: string;
  readonly decision?: { readonly action: string; readonly reasons: readonly string[]; readonly forced?: boolean };
  readonly states: readonly RecordedState[];
}

export const EXECUTIONS_DIR = 'executions';
export const DEFAULT_KEEP = 100;
const SECRET_KEY = /pass(word)?|secret|token|credential|private|(^|[_-])key$|apikey/i;

/** A deep copy of `value` with every secret-looking field replaced. */
export function redactInput(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[truncated]';
  if (Array.isArray(value)) return value.map((v) => redactInput(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redactInput(v, depth + 1)]));
  }
  return value;
}

/** Who started an execution, read from its input when the starter did not say. */
export function triggerOf(input: unknown): ExecutionTrigger {
  const i = (input ?? {}) as { reason?: unknown; deliveryId?: unknown; trigger?: unknown };
  if (i.trigger === 'alarm' || i.trigger === 'webhook' || i.trigger === 'operator') return i.trigger;
  if (typeof i.reason === 'string' && /alarm/i.test(i.reason)) return 'alarm';
  if (typeof i.deliveryId === 'string' && i.deliveryId !== '') return 'webhook';
  // Neither an alarm nor a push: a person (the CLI, the console, the drill harness) started it.
  return 'operator';
}

/** Pairs entered/exited events into states (in order of entry); an unclosed one is `running`. */
export function statesOf(events: readonly WorkflowEvent[]): RecordedState[] {
  const states: Array<{ -readonly [K in keyof RecordedState]: RecordedState[K] }> = [];
  const open = new Map<string, number>();
  for (const e of events) {
    const item = e.detail ? /\[item \d+\]/.exec(e.detail)?.[0] : undefined;
    const key = `${e.state}${item ?? ''}`;
    if (e.type === 'entered') {
      open.set(key, states.length);
      states.push({ name: e.state, ...(item ? { item } : {}), startedAt: e.at.toISOString(), outcome: 'running' });
      continue;
    }
    const index = open.get(key);
    const state = index === undefined ? undefined : states[index];
    if (!state) continue;
    if (e.type === 'retry') {
      state.retries = (state.retries ?? 0) + 1;
      continue;
    }
    state.endedAt = e.at.toISOString();
    state.durationMs = e.at.getTime() - Date.parse(state.startedAt);
    state.outcome = e.type;
    if (e.type !== 'succeeded' && e.detail) state.detail = e.detail;
  }
  return states;
}

/** The final decision (action + reasons) in a workflow's output, when it carries one. */
export function decisionOf(output: unknown): ExecutionRecord['decision'] {
  const d = (output as { decision?: { action?: unknown; reasons?: unknown; forced?: unknown } } | undefined)?.decision;
  if (!d || typeof d.action !== 'string') return undefined;
  const reasons = Array.isArray(d.reasons) ? d.reasons.filter((r): r is string => typeof r === 'string') : [];
  return { action: d.action, reasons, ...(typeof d.forced === 'boolean' ? { forced: d.forced } : {}) };
}

export function executionsDir(stateDir: string): string {
  return join(stateDir, EXECUTIONS_DIR);
}

function fileNameOf(record: Pick<ExecutionRecord, 'startedAt' | 'workflow' | 'name'>): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  return `${record.startedAt.replace(/[:.]/g, '-')}_${safe(record.workflow)}_${safe(record.name)}.json`;
}

/** Writes (or overwrites) the record atomically, then keeps only the newest `keep` files. */
export function writeExecutionRecord(stateDir: string, record: ExecutionRecord, keep = DEFAULT_KEEP): string {
  const dir = executionsDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, fileNameOf(record));
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
  pruneExecutions(dir, keep);
  return file;
}

function pruneExecutions(dir: string, keep: number): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  for (const old of files.slice(0, Math.max(0, files.length - Math.max(1, keep)))) rmSync(join(dir, old), { force: true });
}

/** Every readable record under the state dir, oldest first; unreadable files are skipped. */
export function readExecutionRecords(stateDir: string): ExecutionRecord[] {
  let files: string[];
  try {
    files = readdirSync(executionsDir(stateDir)).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const records: ExecutionRecord[] = [];
  for (const f of files) {
    try {
      const r = JSON.parse(readFileSync(join(executionsDir(stateDir), f), 'utf8')) as ExecutionRecord;
      if (r && typeof r.workflow === 'string' && typeof r.startedAt === 'string') records.push(r);
    } catch {
      /* a torn or foreign file: skipped */
    }
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** Where to record, given to runWorkflow. */
export interface RecordOptions {
  readonly stateDir: string;
  /** @default DEFAULT_KEEP */
  readonly keep?: number;
  /** @default read from the input (triggerOf) */
  readonly trigger?: ExecutionTrigger;
}
