/**
 * DecideSwitchover: the pure decideSwitchover over the snapshot AssessSwitchover gathered.
 * A refusal changes nothing; it is logged with its reasons (the operator asked for the
 * switchover and reads them in the execution's output).
 */
import { decideSwitchover } from '../core/decisions/decide-switchover.ts';
import type { SwitchoverDecision, SwitchoverSnapshot } from '../core/decisions/switchover-snapshot.ts';
import { awsEntry } from './deps/aws-entry.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface DecideSwitchoverInput { readonly snapshot: SwitchoverSnapshot }

export function createHandler(deps: StepDeps) {
  return (event: DecideSwitchoverInput): Promise<SwitchoverDecision> => {
    const decision = decideSwitchover(event.snapshot);
    if (decision.action === 'refuse') deps.logger.warn('switchover refused: nothing changed', { group: event.snapshot.group, reasons: decision.reasons });
    return Promise.resolve(decision);
  };
}

export const handler = awsEntry(createHandler);
