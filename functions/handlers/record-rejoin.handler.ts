/**
 * RecordRejoin: after every database of the standby stack follows the active one, a
 * GroupState history record `kind: 'rejoin'` (from: the stack that rejoined, to: the active
 * one it follows) with each database's divergent data in `lost` (its engine's unit) and its
 * method and where the data was saved in `rejoined`. The standby is now a replica: a
 * switchover back or a failover back may follow. It never changes `active`.
 *
 * Idempotent: a run whose databases all were already replicas records nothing (nothing
 * changed), and a retry of the same run (the execution name) finds its record and writes
 * nothing again. Its output is the workflow's: per database method and divergent data,
 * the totals per unit, and one summary sentence.
 */
import type { RejoinDecision } from '../core/decisions/decide-rejoin.ts';
import type { RejoinMethod } from '../core/engines/database-engine.ts';
import { formatLag, type LagUnit } from '../core/engines/lag-unit.ts';
import { InvalidInputError } from '../core/errors.ts';
import type { FailoverRecord, GroupState } from '../core/group-state.ts';
import { stackOf } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { HISTORY_LIMIT } from './record-failover.handler.ts';
import { loadGroup, loadState, saveState } from './stores/load-group.ts';

/** What each database's branch of the Map reported (RejoinDatabase's result, or the decision's skip). */
export interface RejoinedDatabase {
  readonly database: string;
  readonly method: RejoinMethod;
  readonly divergent: { readonly amount: number; readonly unit: LagUnit; readonly savedTo?: string; readonly transactions?: readonly string[] };
  readonly detail?: readonly string[];
}

export interface RecordRejoinInput {
  readonly group: string;
  /** The execution name: a retry of the same run records nothing twice. */
  readonly run: string;
  /** The execution input (`$$.Execution.Input`): its `reason`, when a string, is recorded. */
  readonly request?: Readonly<Record<string, unknown>>;
  readonly decision: RejoinDecision;
  readonly databases: readonly RejoinedDatabase[];
}

export interface RecordRejoinResult {
  readonly recorded: boolean;
  readonly record?: FailoverRecord;
  readonly databases: readonly RejoinedDatabase[];
  /** Divergent data per unit (a byte count and a transaction count are never added up). */
  readonly divergentTotal: readonly { readonly amount: number; readonly unit: LagUnit }[];
  readonly summary: string;
}

/** Input is JSON from the workflow: check the shape instead of trusting the type. */
function isRejoinedDatabase(value: unknown): value is RejoinedDatabase {
  const d = value as Partial<RejoinedDatabase> | null;
  return typeof d?.database === 'string' && typeof d.method === 'string' && typeof d.divergent?.amount === 'number' && typeof d.divergent.unit === 'string';
}

function checkInput(event: RecordRejoinInput): void {
  if (typeof event.run !== 'string' || event.run === '') throw new InvalidInputError('RecordRejoin: `run` (the execution name) must be a non-empty string');
  if (event.decision?.action !== 'rejoin') throw new InvalidInputError('RecordRejoin: `decision` must be a rejoin decision (DecideRejoin); a refusal records nothing');
  const databases: unknown = event.databases;
  if (!Array.isArray(databases) || !databases.every(isRejoinedDatabase)) throw new InvalidInputError('RecordRejoin: `databases` must list {database, method, divergent: {amount, unit}} per database (the RejoinDatabases Map result)');
}

export function totalsOf(databases: readonly RejoinedDatabase[]): { amount: number; unit: LagUnit }[] {
  const totals = new Map<LagUnit, number>();
  for (const d of databases) totals.set(d.divergent.unit, (totals.get(d.divergent.unit) ?? 0) + Math.max(0, d.divergent.amount));
  return [...totals].map(([unit, amount]) => ({ amount, unit }));
}

function describeDatabase(d: RejoinedDatabase): string {
  const { amount, unit, savedTo, transactions } = d.divergent;
  if (amount <= 0) return `${d.database} ${d.method} (nothing divergent${savedTo ? `, a copy saved to ${savedTo}` : ''})`;
  const which = transactions && transactions.length > 0 ? `: ${transactions.join(', ')}` : '';
  return `${d.database} ${d.method} (${formatLag(amount, unit)} divergent${which}, ${savedTo ? `saved to ${savedTo}` : 'not saved'})`;
}

export function createHandler(deps: StepDeps) {
  return async (event: RecordRejoinInput): Promise<RecordRejoinResult> => {
    checkInput(event);
    const group = await loadGroup(deps.params, event.group);
    const state = await loadState(deps.params, group.name);
    const { active, standby } = event.decision;
    const databases = event.databases.map((d) => ({
      database: d.database,
      method: d.method,
      divergent: { amount: d.divergent.amount, unit: d.divergent.unit, ...(d.divergent.savedTo ? { savedTo: d.divergent.savedTo } : {}), ...(d.divergent.transactions ? { transactions: d.divergent.transactions } : {}) },
      ...(d.detail ? { detail: d.detail } : {}),
    }));
    const divergentTotal = totalsOf(databases);
    const total = divergentTotal.length > 0 ? divergentTotal.map((t) => formatLag(t.amount, t.unit)).join(' and ') : 'nothing';
    const who = `${stackOf(group, standby).name} (${standby}) follows the active ${stackOf(group, active).name} (${active})`;
    const summary = `${who}: ${databases.map(describeDatabase).join('; ')}; divergent data in total: ${total}`;
    const base = { databases, divergentTotal, summary };

    if (databases.every((d) => d.method === 'already-replica')) return { ...base, recorded: false };
    const previous = (state.history ?? []).find((r) => r.kind === 'rejoin' && r.run === event.run);
    if (previous) return { ...base, recorded: false, record: previous };

    const requested = event.request?.reason;
    const reason = typeof requested === 'string' ? requested : undefined;
    const record: FailoverRecord = {
      kind: 'rejoin',
      at: deps.clock.now().toISOString(),
      from: standby,
      to: active,
      forced: false,
      reasons: [...(reason ? [`requested: ${reason}`] : []), ...event.decision.reasons],
      lost: Object.fromEntries(databases.map((d) => [d.database, { amount: d.divergent.amount, unit: d.divergent.unit }])),
      run: event.run,
      rejoined: Object.fromEntries(
        databases.map((d) => [d.database, { method: d.method, ...(d.divergent.savedTo ? { savedTo: d.divergent.savedTo } : {}), ...(d.divergent.transactions ? { transactions: d.divergent.transactions } : {}) }]),
      ),
    };
    const next: GroupState = { ...state, history: [...(state.history ?? []), record].slice(-HISTORY_LIMIT) };
    await saveState(deps.params, group.name, next);
    deps.logger.info('rejoin recorded', { group: group.name, stack: standby, source: active, divergentTotal });
    return { ...base, recorded: true, record };
  };
}

export const handler = awsEntry(createHandler);
