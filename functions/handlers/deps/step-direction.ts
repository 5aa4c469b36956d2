/**
 * The direction of a database or DNS step, from its input or, when the input names
 * none (the scheduled CheckReplication, a console run), from GroupState.active: the
 * workflows pass the direction their assess step observed, so a step retried after
 * RecordFailover changed the active stack still acts the same way.
 */
import { directionOf, otherStack, type Direction } from '../../core/decisions/direction.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { StackRole } from '../../core/model.ts';
import type { ParameterStore } from '../../core/ports.ts';
import { loadState } from '../stores/load-group.ts';

/** `value` as a stack role; InvalidInputError naming `field` and the fix otherwise. */
export function stackRoleOf(field: string, value: unknown): StackRole | undefined {
  if (value === undefined) return undefined;
  if (value === 'primary' || value === 'twin') return value;
  throw new InvalidInputError(`"${field}" must be "primary" or "twin", not ${JSON.stringify(value)}`);
}

/** `{from, to}` of a step input; either may be absent (the other one is implied); both absent: GroupState.active → the other. */
export async function stepDirection(params: ParameterStore, group: string, event: { readonly from?: unknown; readonly to?: unknown }): Promise<Direction> {
  const from = stackRoleOf('from', event.from);
  const to = stackRoleOf('to', event.to);
  if (from !== undefined && to !== undefined && from === to) throw new InvalidInputError(`"from" and "to" are both ${JSON.stringify(from)}: a move goes from one stack to the other`);
  if (from !== undefined) return { from, to: otherStack(from) };
  if (to !== undefined) return { from: otherStack(to), to };
  return directionOf(await loadState(params, group));
}

/**
 * The replicate steps' direction: `source` (the stack whose database is the primary to
 * replicate from), default GroupState.active; the replica is on the other stack.
 */
export async function replicationDirection(params: ParameterStore, group: string, event: { readonly source?: unknown }): Promise<Direction> {
  const source = stackRoleOf('source', event.source);
  return source !== undefined ? { from: source, to: otherStack(source) } : directionOf(await loadState(params, group));
}
