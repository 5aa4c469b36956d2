/**
 * RecordFailover: GroupState becomes {active: `to`, history + {kind, from, to, …}}, and for a
 * failover (not a planned switchover) `lastFailoverAt`, which the cool-down reads. Its input
 * is the workflow's whole state: the direction is the one its assess step observed (`from`/
 * `to`, else the snapshot's; absent: primary → twin, the failover of a group in its initial
 * state — never GroupState.active, which this very step changes: a retry would record a
 * second move back), the kind is the
 * decision's (`switchover`; absent: `failover`). Idempotent: when the state already says
 * `to` is active, nothing is written again.
 */
import type { FailoverDecision } from '../core/decisions/failover-snapshot.ts';
import { formatLag } from '../core/engines/lag-unit.ts';
import { InvalidInputError } from '../core/errors.ts';
import type { FailoverRecord, GroupState, MoveKind } from '../core/group-state.ts';
import type { StackRole } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { stepDirection } from './deps/step-direction.ts';
import { loadGroup, loadState, saveState } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export const HISTORY_LIMIT = 50;

/** What a record needs of a decision (a FailoverDecision, or a switchover's, whose losses are 0). */
export type RecordedDecision = Pick<FailoverDecision, 'forced' | 'reasons' | 'databases'> & { readonly kind?: Exclude<MoveKind, 'rejoin'> };

export interface RecordFailoverInput {
  readonly group: string;
  readonly decision: RecordedDecision;
  readonly reason?: string;
  readonly from?: StackRole;
  readonly to?: StackRole;
  /** The assess step's snapshot, whose direction counts when `from`/`to` are absent. */
  readonly snapshot?: { readonly from?: StackRole; readonly to?: StackRole };
  /**
   * A switchover's RejoinDatabases results: what each old primary held beyond its token
   * (a privileged user writing through read_only), saved aside by the rejoin. That, not
   * the decision's 0, is what the switchover lost.
   */
  readonly rejoined?: readonly RejoinedDatabase[];
}

interface RejoinedDatabase {
  readonly database: string;
  readonly divergent?: { readonly amount: number; readonly savedTo?: string };
}
export interface RecordFailoverResult { readonly active: StackRole; readonly recorded: boolean; readonly record?: FailoverRecord }

function kindOf(kind: unknown): 'failover' | 'switchover' {
  if (kind === undefined || kind === 'failover' || kind === 'switchover') return kind ?? 'failover';
  throw new InvalidInputError(`"decision.kind" must be "failover" or "switchover", not ${JSON.stringify(kind)}`);
}

export function createHandler(deps: StepDeps) {
  return async (event: RecordFailoverInput): Promise<RecordFailoverResult> => {
    const group = await loadGroup(deps.params, event.group);
    const kind = kindOf(event.decision.kind);
    // The assess step's snapshot wins: the Task gets the whole workflow state, so a stray
    // top-level `from`/`to` in the execution input must not redirect what is recorded.
    const fromSnapshot = event.snapshot?.from !== undefined || event.snapshot?.to !== undefined;
    const given = fromSnapshot ? (event.snapshot ?? {}) : event;
    const { from, to } = await stepDirection(deps.params, group.name, given.from === undefined && given.to === undefined ? { to: 'twin' } : given);
    const state = await loadState(deps.params, group.name);
    if (state.active === to) return { active: to, recorded: false };
    const at = deps.clock.now().toISOString();
    const divergent = new Map((event.rejoined ?? []).filter((r) => (r.divergent?.amount ?? 0) > 0).map((r) => [r.database, r.divergent]));
    const record: FailoverRecord = {
      kind,
      at,
      from,
      to,
      forced: event.decision.forced,
      reasons: [
        ...(event.reason ? [`requested: ${event.reason}`] : []),
        ...event.decision.reasons,
        ...event.decision.databases.flatMap((db) => {
          const d = divergent.get(db.name);
          return d ? [`the old primary of ${db.name} held ${formatLag(d.amount, db.lagUnit)} beyond its final position; the rejoin saved it aside${d.savedTo ? ` (${d.savedTo})` : ''}`] : [];
        }),
      ],
      lost: Object.fromEntries(event.decision.databases.map((d) => [d.name, { amount: divergent.get(d.name)?.amount ?? d.loss, unit: d.lagUnit }])),
    };
    const next: GroupState = {
      ...state,
      active: to,
      ...(kind === 'failover' ? { lastFailoverAt: at } : {}),
      history: [...(state.history ?? []), record].slice(-HISTORY_LIMIT),
    };
    await saveState(deps.params, group.name, next);
    deps.logger.info(`${kind} recorded`, { group: group.name, at, from, to });
    return { active: to, recorded: true, record };
  };
}

export const handler = awsEntry(createHandler);
