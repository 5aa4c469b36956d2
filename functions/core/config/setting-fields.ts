/**
 * zod builders for twinstack.yaml settings, shared by the group schema
 * (infra/config) and every engine's own settings schema (functions/core/engines/<engine>).
 * One definition of each value rule: every builder takes its FieldHint, so the
 * JSON Schema description and the fix a problem report shows come from one place.
 */
import { z } from 'zod';
import { BYTE_SIZE_EXAMPLES, parseByteSize } from './byte-size.ts';
import { absolutePathProblem, IDENTIFIER, isAddress, SQL_NAME } from './config-patterns.ts';

/** What a setting expects and how to fix a wrong one (problem reports, JSON Schema descriptions). */
export interface FieldHint {
  /** What a valid value is, as a noun phrase. */
  readonly expect: string;
  /** How to fix a missing or wrong value, as an instruction. */
  readonly fix: string;
}

/** `"value"` for a problem message, shortened so a pasted file cannot flood the report. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/** A string accepted only when `problemOf` returns undefined; the problem names the value. */
export function checkedString(hint: FieldHint, problemOf: (value: string) => string | undefined) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = problemOf(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${showValue(value)} ${problem}`, input: value, params: { fix: hint.fix } });
    })
    .describe(hint.expect);
}

/** A string matching `pattern`; the pattern is published in the JSON Schema too. */
export function matching(hint: FieldHint, pattern: RegExp, what: string) {
  return checkedString(hint, (value) => (pattern.test(value) ? undefined : `is not ${what}`)).meta({ pattern: pattern.source });
}

export const identifierField = (hint: FieldHint) => matching(hint, IDENTIFIER, 'a valid name (a lower-case letter, then up to 62 of a-z, 0-9, "_", "-")');
export const sqlNameField = (hint: FieldHint) => matching(hint, SQL_NAME, 'a valid SQL name (a lower-case letter or "_", then up to 62 of a-z, 0-9, "_")');
export const addressField = (hint: FieldHint) => checkedString(hint, (value) => (isAddress(value) ? undefined : 'is not an IPv4 address or an RFC 1123 host name'));
export const absolutePathField = (hint: FieldHint) => checkedString(hint, absolutePathProblem);
export const portField = (hint: FieldHint) => z.int().min(1).max(65535).describe(hint.expect);

/** A byte size: a whole number or a string such as `16MiB`. */
export function byteSizeField(hint: FieldHint) {
  return z
    .union([z.number(), z.string()])
    .superRefine((value, ctx) => {
      if (parseByteSize(value) === undefined) {
        ctx.addIssue({ code: 'custom', message: `${showValue(value)} is not a size in bytes (use ${BYTE_SIZE_EXAMPLES})`, input: value, params: { fix: hint.fix } });
      }
    })
    .describe(hint.expect);
}
