/**
 * RecordFailover: GroupState becomes {active: 'twin', lastFailoverAt, history + record}.
 * Idempotent: when the state already says the twin is active, nothing is written again.
 */
import type { FailoverDecision } from '../core/decisions/failover-snapshot.ts';
import type { FailoverRecord, GroupState } from '../core/group-state.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadGroup, loadState, saveState } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export const HISTORY_LIMIT = 50;

export interface RecordFailoverInput {
  readonly group: string;
  readonly decision: FailoverDecision;
  readonly reason?: string;
}
export interface RecordFailoverResult { readonly active: 'twin'; readonly recorded: boolean; readonly record?: FailoverRecord }

export function createHandler(deps: StepDeps) {
  return async (event: RecordFailoverInput): Promise<RecordFailoverResult> => {
    const group = await loadGroup(deps.params, event.group);
    const state = await loadState(deps.params, group.name);
    if (state.active === 'twin') return { active: 'twin', recorded: false };
    const at = deps.clock.now().toISOString();
    const record: FailoverRecord = {
      at,
      from: 'primary',
      to: 'twin',
      forced: event.decision.forced,
      reasons: [...(event.reason ? [`requested: ${event.reason}`] : []), ...event.decision.reasons],
      lost: Object.fromEntries(event.decision.databases.map((d) => [d.name, { amount: d.loss, unit: d.lagUnit }])),
    };
    const next: GroupState = { ...state, active: 'twin', lastFailoverAt: at, history: [...(state.history ?? []), record].slice(-HISTORY_LIMIT) };
    await saveState(deps.params, group.name, next);
    deps.logger.info('failover recorded', { group: group.name, at });
    return { active: 'twin', recorded: true, record };
  };
}

export const handler = awsEntry(createHandler);
