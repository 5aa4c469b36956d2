/**
 * AssessSwitchover: validate the switchover input and observe both stacks (databases, DNS,
 * health) into an immutable SwitchoverSnapshot, from the active stack (GroupState.active) to
 * the other one. Reads only; never throws for an unreachable side (the decision weighs it).
 * Bad input (a `to` that is no stack, a timeout out of bounds) is InvalidInputError naming
 * the field and the fix, before anything is observed.
 */
import {
  DEFAULT_CATCH_UP_TIMEOUT_SECONDS,
  MAX_CATCH_UP_TIMEOUT_SECONDS,
  MIN_CATCH_UP_TIMEOUT_SECONDS,
  type SwitchoverSnapshot,
} from '../core/decisions/switchover-snapshot.ts';
import { InvalidInputError } from '../core/errors.ts';
import type { StackRole } from '../core/model.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { assessGroup, observeStacks } from './deps/observe-stacks.ts';
import { stackRoleOf } from './deps/step-direction.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface SwitchoverInput {
  readonly group: string;
  /** The stack to switch to. @default the standby (the stack that is not active) */
  readonly to?: StackRole;
  /** @default 30, bounded 1–600 */
  readonly catchUpTimeoutSeconds?: number;
  readonly reason?: string;
}

/** The catch-up timeout of an input: the default when absent, else an integer within the bounds. */
export function catchUpTimeoutOf(value: unknown): number {
  if (value === undefined) return DEFAULT_CATCH_UP_TIMEOUT_SECONDS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_CATCH_UP_TIMEOUT_SECONDS || value > MAX_CATCH_UP_TIMEOUT_SECONDS) {
    throw new InvalidInputError(
      `"catchUpTimeoutSeconds" must be a whole number of seconds from ${MIN_CATCH_UP_TIMEOUT_SECONDS} to ${MAX_CATCH_UP_TIMEOUT_SECONDS}, not ${JSON.stringify(value)} (omit it for ${DEFAULT_CATCH_UP_TIMEOUT_SECONDS})`,
    );
  }
  return value;
}

export function createHandler(deps: StepDeps) {
  return async (event: SwitchoverInput): Promise<SwitchoverSnapshot> => {
    const requestedTo = stackRoleOf('to', event.to);
    const catchUpTimeoutSeconds = catchUpTimeoutOf(event.catchUpTimeoutSeconds);
    const { observed, moveHead } = await assessGroup(deps, event.group, (g, d) => observeStacks(deps, g, d));
    return {
      ...moveHead,
      ...(requestedTo ? { requestedTo } : {}),
      ...observed.dns,
      fromHealth: observed.fromHealth,
      toHealth: observed.toHealth,
      databases: observed.databases,
      catchUpTimeoutSeconds,
    };
  };
}

export const handler = awsSshEntry(createHandler);
