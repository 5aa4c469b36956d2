/**
 * ReportFailure: after a caught error, observe (never change) where DNS points and
 * what the group state says, and return a report. It must not throw on observation
 * faults: what could not be observed is said in the report.
 */
import type { StackRole } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadGroup, loadState } from './deps/load-group.ts';
import { describeError } from './deps/observe-database.ts';
import { stackPointedAt } from './deps/stack-pointed-at.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface ReportFailureInput {
  readonly group: string;
  readonly workflow?: string;
  /** The Catch output: `{Error, Cause}`. */
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}
export interface FailureReport {
  readonly status: 'failed';
  readonly error: string;
  readonly cause: string;
  readonly dnsPointsAt: StackRole | 'other' | 'unknown';
  readonly activeStack?: StackRole;
  readonly note: string;
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
    const note = [`${event.workflow ?? 'workflow'} failed with ${error}; nothing was changed by this report.`, where, ...problems].join(' ');
    deps.logger.error('workflow failed', { group: event.group, error, dnsPointsAt });
    return { status: 'failed', error, cause, dnsPointsAt, ...(activeStack ? { activeStack } : {}), note };
  };
}

export const handler = awsEntry(createHandler);
