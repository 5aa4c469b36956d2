/**
 * Decodes MongoDB Extended JSON v2 (what `mongosh --json=canonical` prints, and
 * the relaxed form too) into plain values the status parsers check with zod.
 * https://www.mongodb.com/docs/manual/reference/mongodb-extended-json/
 *
 * Invariants: `$numberInt`/`$numberDouble`/`$numberLong` become numbers (a Long
 * beyond 2^53 throws rather than losing precision silently); `$date` becomes epoch
 * milliseconds; `$timestamp` becomes `{ t, i }`; `$oid` its hex string; any other
 * `$`-wrapper (binary, regex …) becomes `null` (status never needs them).
 */
import { UnexpectedOutputError } from '../../errors.ts';

export interface BsonTimestamp {
  readonly t: number;
  readonly i: number;
}

function numberOf(text: unknown, what: string): number {
  if (typeof text !== 'string') throw new UnexpectedOutputError(`${what} is not a string in Extended JSON`);
  if (text === 'NaN') return Number.NaN;
  if (text === 'Infinity') return Number.POSITIVE_INFINITY;
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new UnexpectedOutputError(`${what} ${JSON.stringify(text.slice(0, 40))} is not a number`);
  if (what === '$numberLong' && !Number.isSafeInteger(value)) throw new UnexpectedOutputError(`$numberLong ${text} exceeds 2^53`);
  return value;
}

function dateOf(value: unknown): number {
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new UnexpectedOutputError(`$date ${JSON.stringify(value.slice(0, 40))} is not a date`);
    return ms;
  }
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object' && '$numberLong' in value) return numberOf(value.$numberLong, '$numberLong');
  throw new UnexpectedOutputError('$date has an unexpected shape');
}

/** Decodes one Extended JSON value (already `JSON.parse`d). */
export function decodeExtendedJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeExtendedJson);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0]?.startsWith('$')) {
    const key = keys[0];
    const inner = record[key];
    switch (key) {
      case '$numberInt':
      case '$numberDouble':
      case '$numberLong':
      case '$numberDecimal':
        return numberOf(inner, key);
      case '$date':
        return dateOf(inner);
      case '$oid':
        return typeof inner === 'string' ? inner : null;
      case '$timestamp': {
        const ts = inner as { t?: unknown; i?: unknown } | null;
        if (typeof ts?.t !== 'number' || typeof ts.i !== 'number') throw new UnexpectedOutputError('$timestamp has an unexpected shape');
        return { t: ts.t, i: ts.i } satisfies BsonTimestamp;
      }
      default:
        return null;
    }
  }
  return Object.fromEntries(keys.map((k) => [k, decodeExtendedJson(record[k])]));
}
