/**
 * DecideRejoin: the pure decideRejoin over the snapshot AssessRejoin gathered. A refusal
 * changes nothing; it is logged with its reasons (the workflow then fails `RejoinRefused`
 * with them as the cause, so the failure alarm tells an operator).
 */
import { decideRejoin, type RejoinDecision, type RejoinSnapshot } from '../core/decisions/decide-rejoin.ts';
import { awsEntry } from './deps/aws-entry.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface DecideRejoinInput { readonly snapshot: RejoinSnapshot }

export function createHandler(deps: StepDeps) {
  return (event: DecideRejoinInput): Promise<RejoinDecision> => {
    const decision = decideRejoin(event.snapshot);
    if (decision.action === 'refuse') deps.logger.warn('rejoin refused: nothing changed', { group: event.snapshot.group, reasons: decision.reasons });
    return Promise.resolve(decision);
  };
}

export const handler = awsEntry(createHandler);
