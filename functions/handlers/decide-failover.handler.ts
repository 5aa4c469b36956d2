/**
 * DecideFailover: the pure decideFailover over the snapshot AssessFailover gathered.
 * A refusal (hold while the group is still on its primary) is the moment an operator
 * must look — decide whether to force — so it is logged with its reasons and counted
 * as the `FailoverHeld` metric, which alarms. A hold because the failover already
 * happened (`decision.done`) is not a refusal and counts nothing.
 */
import { decideFailover } from '../core/decisions/decide-failover.ts';
import type { FailoverDecision, FailoverSnapshot } from '../core/decisions/failover-snapshot.ts';
import { awsEntry } from './deps/aws-entry.ts';
import type { StepDeps } from './deps/step-deps.ts';

export const FAILOVER_HELD_METRIC = 'FailoverHeld';

export interface DecideFailoverInput { readonly snapshot: FailoverSnapshot }

export function createHandler(deps: StepDeps) {
  return (event: DecideFailoverInput): Promise<FailoverDecision> => {
    const decision = decideFailover(event.snapshot, deps.clock.now());
    if (decision.action === 'hold' && decision.done !== true) {
      deps.logger.warn('failover held: an operator must decide whether to force it', { group: event.snapshot.group, reasons: decision.reasons });
      deps.recordMetric?.(FAILOVER_HELD_METRIC, 1, { group: event.snapshot.group });
    }
    return Promise.resolve(decision);
  };
}

export const handler = awsEntry(createHandler);
