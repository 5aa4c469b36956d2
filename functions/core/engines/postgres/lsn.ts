/**
 * PostgreSQL log sequence numbers (`X/Y`, two hexadecimal 32-bit halves).
 *
 * Invariant: arithmetic is done in BigInt, so positions beyond 2^53 bytes never
 * lose precision before the (small) difference is turned back into a number.
 */
import { InvalidInputError } from '../../errors.ts';

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** True when `text` is an LSN in PostgreSQL's `X/Y` notation. */
export function isLsn(text: string): boolean {
  return LSN.test(text);
}

/** The byte offset an LSN denotes. Throws InvalidInputError on anything that is not `X/Y` hex. */
export function parseLsn(text: string): bigint {
  const match = LSN.exec(text);
  if (!match) throw new InvalidInputError(`not a PostgreSQL LSN: ${JSON.stringify(text.slice(0, 40))}`);
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** Bytes from `from` to `to` (to − from; negative when `to` is behind), like `pg_wal_lsn_diff(to, from)`. */
export function lsnDiff(to: string, from: string): number {
  return Number(parseLsn(to) - parseLsn(from));
}
