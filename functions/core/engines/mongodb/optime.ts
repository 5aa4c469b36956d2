/**
 * MongoDB positions: the `ts` of an optime (a BSON Timestamp: seconds since the
 * epoch and an ordinal within that second), written `<t>.<i>` (e.g. `1700000000.3`).
 *
 * The lag unit is SECONDS OF OPLOG: an ordinal counts operations only within one
 * second, so a Timestamp carries no operation count across seconds, and calling the
 * difference "operations" (or bytes) would be a lie.
 *
 * Invariant: `optimeDiff(to, from)` is positive exactly when `from` is before `to`,
 * and is then the whole seconds between them, at least 1 (a few operations of the
 * same second are still "behind"); 0 when equal; negative when `from` is ahead.
 */
import { InvalidInputError } from '../../errors.ts';
import type { BsonTimestamp } from './canonical-ejson.ts';

const POSITION = /^(\d{1,10})\.(\d{1,10})$/;

export function isOptimePosition(text: string): boolean {
  return POSITION.test(text);
}

export function formatOptime(ts: BsonTimestamp): string {
  return `${ts.t}.${ts.i}`;
}

export function parseOptime(text: string): BsonTimestamp {
  const match = POSITION.exec(text);
  if (!match) throw new InvalidInputError(`not a MongoDB optime position <t>.<i>: ${JSON.stringify(text.slice(0, 40))}`);
  return { t: Number(match[1]), i: Number(match[2]) };
}

function compare(a: BsonTimestamp, b: BsonTimestamp): number {
  return a.t !== b.t ? a.t - b.t : a.i - b.i;
}

/** Seconds of oplog `from` is behind `to` (see the invariant above). */
export function optimeDiff(to: string, from: string): number {
  const [a, b] = [parseOptime(to), parseOptime(from)];
  const order = compare(a, b);
  if (order === 0) return 0;
  const seconds = Math.max(1, Math.abs(a.t - b.t));
  return order > 0 ? seconds : -seconds;
}
