/**
 * ReportFailure: after a caught error, observe (never change) where DNS points and
 * what the group state says, and return a report; for a failover, also say plainly
 * what had happened to the databases (fenced? promoted?) from the workflow state. It must not throw on observation
 * faults: what could not be observed is said in the report.
 */
import type { StackRole } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadGroup, loadState } from './stores/load-group.ts';
import { describeError } from './deps/observe-database.ts';
import { stackPointedAt } from '../core/decisions/stack-pointed-at.ts';
import type { StepDeps } from './deps/step-deps.ts';

/** What a failover had done to the databases when it failed (the workflow state, `input.$: $`); every part may be absent. */
export interface FailedWorkflowState {
  readonly decision?: { readonly action?: string };
  /** FenceOldPrimary's result. */
  readonly fenced?: { readonly databases?: readonly { readonly database?: string; readonly outcome?: string }[] };
  /** PromoteDatabases' result (one entry per database). */
  readonly promoted?: readonly { readonly database?: string; readonly action?: string }[];
  /** A switchover's DemoteDatabases result (one entry per database). */
  readonly demoted?: readonly { readonly database?: string; readonly token?: string }[];
  /** A switchover's UndoDemotion result, when its abort path reached it. */
  readonly undone?: readonly { readonly database?: string; readonly action?: string }[];
}

export interface ReportFailureInput {
  readonly group: string;
  readonly workflow?: string;
  /** The Catch output: `{Error, Cause}`. */
  readonly error?: { readonly Error?: string; readonly Cause?: string };
  /** The whole workflow state at the failure (decision, fenced, promoted when they were reached). */
  readonly input?: FailedWorkflowState;
}
export interface FailureReport {
  readonly status: 'failed';
  readonly error: string;
  readonly cause: string;
  readonly dnsPointsAt: StackRole | 'other' | 'unknown';
  readonly activeStack?: StackRole;
  /** What happened to the databases, in plain words (failover and switchover only; absent otherwise). */
  readonly databases?: string;
  readonly note: string;
}

/** Input is JSON from the workflow: check the shape instead of trusting the type. */
function isList<T>(value: readonly T[] | undefined): value is readonly T[] {
  return Array.isArray(value);
}

const list = (items: readonly string[]) => (items.length > 0 ? ` (${items.join(', ')})` : '');

/**
 * Plainly what a failed failover did to the databases, from the state it reached:
 * the one thing an operator must know first is whether the group still has a
 * writable database and whether traffic reaches it.
 */
export function describeDatabases(state: FailedWorkflowState | undefined, dnsPointsAt: FailureReport['dnsPointsAt']): string {
  const decision = state?.decision?.action;
  if (decision === undefined) return 'No failover decision was reached: no database was fenced or promoted.';
  if (decision !== 'failover') return `The decision was ${decision}: no database was fenced or promoted.`;
  const fenced = state?.fenced?.databases;
  if (!isList(fenced)) {
    return 'Fencing of the old primary did not complete and the twin was NOT promoted: some old primary databases may already be stopped; check them (the group may have no writable database) — operator action needed.';
  }
  const fencedList = list(fenced.map((d) => `${d.database ?? '?'}: ${d.outcome ?? '?'}`));
  const promoted = state?.promoted;
  if (!isList(promoted)) {
    return `Old primary fenced${fencedList}, twin NOT promoted (some twin databases may have been promoted before the failure): the group has no writable database serving traffic — operator action needed.`;
  }
  const promotedList = list(promoted.map((d) => `${d.database ?? '?'}: ${d.action ?? '?'}`));
  const traffic =
    dnsPointsAt === 'twin' ? 'DNS points at the twin: traffic reaches the promoted databases.'
    : 'DNS does not point at the twin: the twin is writable but receives no traffic through the group name — switch DNS (operator action needed).';
  return `Old primary fenced${fencedList}, twin promoted${promotedList}. ${traffic}`;
}

/**
 * Plainly what a failed switchover did: whether the old primaries still refuse writes
 * (demoted, not undone, nothing promoted) is what an operator must know first.
 */
export function describeSwitchover(state: FailedWorkflowState | undefined, dnsPointsAt: FailureReport['dnsPointsAt']): string {
  const demoted = state?.demoted;
  if (!isList(demoted)) return 'No primary was demoted (or the demotion did not complete for every database; an undo runs on that path): check that each old primary takes writes.';
  const demotedList = list(demoted.map((d) => `${d.database ?? '?'} at ${d.token ?? '?'}`));
  const promoted = state?.promoted;
  if (!isList(promoted)) {
    return isList(state?.undone)
      ? `Old primaries were demoted${demotedList} and their writes given back; nothing was promoted.`
      : `Old primaries demoted${demotedList}, nothing promoted, and the demotions were NOT undone: the group has no writable database — operator action needed (run UndoDemotion, or the switchover again).`;
  }
  const traffic = dnsPointsAt === 'other' || dnsPointsAt === 'unknown' ? 'Where DNS points could not be matched to a stack.' : `DNS points at the ${dnsPointsAt}.`;
  return `Old primaries demoted${demotedList}, the other stack promoted${list(promoted.map((d) => `${d.database ?? '?'}: ${d.action ?? '?'}`))}. ${traffic}`;
}

const MAX_CAUSE = 2000;

export function createHandler(deps: StepDeps) {
  return async (event: ReportFailureInput): Promise<FailureReport> => {
    const error = event.error?.Error ?? 'UnknownError';
    const cause = (event.error?.Cause ?? '').slice(0, MAX_CAUSE);
    let dnsPointsAt: FailureReport['dnsPointsAt'] = 'unknown';
    let activeStack: StackRole | undefined;
    const problems: string[] = [];
    try {
      const group = await loadGroup(deps.params, event.group);
      activeStack = (await loadState(deps.params, group.name)).active;
      const answer = await deps.dns.current(group.dns);
      dnsPointsAt = answer ? (stackPointedAt(group, answer) ?? 'other') : 'unknown';
    } catch (e) {
      problems.push(`could not observe: ${describeError(e)}`);
    }
    const where =
      dnsPointsAt === 'primary' ? 'DNS still points at the primary: traffic was not switched.'
      : dnsPointsAt === 'twin' ? 'DNS already points at the twin: the switch happened before the failure.'
      : dnsPointsAt === 'other' ? 'DNS points at neither stack.'
      : 'Where DNS points could not be determined.';
    const databases =
      event.workflow === 'failover' ? describeDatabases(event.input, dnsPointsAt)
      : event.workflow === 'switchover' ? describeSwitchover(event.input, dnsPointsAt)
      : undefined;
    const note = [`${event.workflow ?? 'workflow'} failed with ${error}; nothing was changed by this report.`, ...(databases ? [databases] : []), where, ...problems].join(' ');
    deps.logger.error('workflow failed', { group: event.group, error, dnsPointsAt, ...(databases ? { databases } : {}) });
    return { status: 'failed', error, cause, dnsPointsAt, ...(activeStack ? { activeStack } : {}), ...(databases ? { databases } : {}), note };
  };
}

export const handler = awsEntry(createHandler);
