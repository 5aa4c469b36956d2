/**
 * Parses the JSON line of the switchover and rejoin scripts (DEMOTE_SCRIPT,
 * REJOIN_SCRIPT) into the engine-neutral Demotion and Rejoin.
 *
 * Invariants: only exit 0 with a well-formed line is accepted (LSNs in `X/Y` form, a
 * known method, a non-negative whole number of divergent bytes); anything else is an
 * UnexpectedOutputError, never a guess. A divergence is never reported without the
 * place its WAL was saved to.
 */
import { z } from 'zod';
import type { CommandResult } from '../../command.ts';
import { UnexpectedOutputError } from '../../errors.ts';
import type { Demotion, Rejoin } from '../database-engine.ts';
import { parseJsonLine } from '../json-line.ts';
import { isLsn } from './lsn.ts';

const lsn = z.string().refine(isLsn, 'not an LSN');
/** The scripts print `""` for a value they do not have. */
const lsnOrEmpty = z.union([z.literal(''), lsn]);

const demotionSchema = z.object({ demoted: z.literal(true), wasWritable: z.boolean(), position: lsn, checkpoint: lsn, timeline: z.number().int().positive() });

function shapeError(what: string, error: z.ZodError): UnexpectedOutputError {
  return new UnexpectedOutputError(`${what} JSON has an unexpected shape: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
}

export function parsePostgresDemotion(result: CommandResult): Demotion {
  const parsed = demotionSchema.safeParse(parseJsonLine('demote', result));
  if (!parsed.success) throw shapeError('demote', parsed.error);
  return { position: parsed.data.position, wasWritable: parsed.data.wasWritable };
}

const rejoinSchema = z
  .object({
    method: z.enum(['already-replica', 'repointed', 'rewound', 'needs-restore']),
    divergentBytes: z.number().int().nonnegative(),
    savedTo: z.string(),
    fork: lsnOrEmpty,
    end: lsnOrEmpty,
    timeline: z.string().regex(/^\d*$/),
    reason: z.string(),
  })
  .refine((r) => r.divergentBytes === 0 || r.savedTo.startsWith('/'), { message: 'divergent WAL reported without the directory it was saved to', path: ['savedTo'] });

export function parsePostgresRejoin(result: CommandResult): Rejoin {
  const parsed = rejoinSchema.safeParse(parseJsonLine('rejoin', result));
  if (!parsed.success) throw shapeError('rejoin', parsed.error);
  const r = parsed.data;
  const detail: string[] = [];
  switch (r.method) {
    case 'already-replica':
      detail.push('already a streaming standby of the new primary: nothing done');
      break;
    case 'repointed':
      detail.push(`its WAL ends at ${r.end}, at or before the fork: re-pointed to the new primary in place, nothing diverged`);
      break;
    case 'rewound':
      detail.push(`it wrote ${r.divergentBytes} bytes of WAL (timeline ${r.timeline}, ${r.fork} → ${r.end}) the new primary never had: rewound with pg_rewind`);
      break;
    case 'needs-restore':
      detail.push(`it cannot follow in place (${r.reason || 'pg_rewind impossible'}): left stopped and fenced; restore it from the new primary`);
      if (r.divergentBytes > 0) detail.push(`${r.divergentBytes} bytes of its WAL past the fork ${r.fork} (timeline ${r.timeline}) were never on the new primary`);
      break;
  }
  if (r.savedTo !== '') detail.push(`its WAL past the fork, a pg_waldump listing of it and divergence.txt are saved in ${r.savedTo} on the old primary's host`);
  return {
    method: r.method,
    divergent: { amount: r.divergentBytes, ...(r.savedTo !== '' && { savedTo: r.savedTo }) },
    detail,
  };
}
