/** DecideFailover: the pure decideFailover over the snapshot AssessFailover gathered. */
import { decideFailover } from './deps/decisions.ts';
import type { FailoverDecision, FailoverSnapshot } from '../core/decisions/failover-snapshot.ts';
import { awsEntry } from './deps/aws-entry.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface DecideFailoverInput { readonly snapshot: FailoverSnapshot }

export function createHandler(deps: StepDeps) {
  return (event: DecideFailoverInput): Promise<FailoverDecision> => Promise.resolve(decideFailover(event.snapshot, deps.clock.now()));
}

export const handler = awsEntry(createHandler);
