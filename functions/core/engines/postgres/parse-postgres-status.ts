/**
 * Parses the one JSON line the status script prints into an engine-neutral
 * DatabaseStatus.
 *
 * Invariants: only a well-formed line is accepted (known role, LSNs in `X/Y`
 * form, finite byte counts); anything else is an UnexpectedOutputError, never a
 * guess. A stopped or unknown server is never writable.
 */
import { z } from 'zod';
import type { CommandResult } from '../../command.ts';
import { UnexpectedOutputError } from '../../errors.ts';
import type { DatabaseStatus } from '../database-engine.ts';
import { isLsn } from './lsn.ts';
import { lastJsonLine, parseJsonLine } from '../json-line.ts';

const lsn = z.string().refine(isLsn, 'not an LSN');
const bytes = z.number().finite();

const replicaSchema = z.object({
  name: z.string(),
  state: z.string(),
  syncState: z.string(),
  replayLagBytes: bytes,
});

const statusSchema = z.object({
  role: z.enum(['primary', 'replica', 'stopped', 'unknown']),
  writable: z.boolean(),
  fenced: z.boolean(),
  /** The twinstack.promoted marker; absent from older scripts (then unknown: not reported). */
  promotedByTwinstack: z.boolean().optional(),
  /** The twinstack.demoted marker; absent from older scripts. */
  demoted: z.boolean().optional(),
  /** Primary only: the switch LSN of its current timeline (its newest timeline history file). */
  forkPosition: lsn.nullish(),
  position: lsn.nullish(),
  receivedPosition: lsn.nullish(),
  upstream: z.string().nullish(),
  version: z.string().nullish(),
  dataBytes: bytes.nullish(),
  streaming: z.boolean().nullish(),
  replicas: z.array(replicaSchema).nullish(),
  detail: z.string().optional(),
});


export function parsePostgresStatus(result: CommandResult): DatabaseStatus {
  const json = parseJsonLine('status', result);
  const parsed = statusSchema.safeParse(json);
  if (!parsed.success) throw new UnexpectedOutputError(`status JSON has an unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const s = parsed.data;
  const running = s.role === 'primary' || s.role === 'replica';
  return {
    role: s.role,
    writable: running && s.writable,
    fenced: s.fenced,
    ...(s.promotedByTwinstack !== undefined && { promotedByTwinstack: s.promotedByTwinstack }),
    // A demoted PostgreSQL primary is stopped: the marker is reported whatever the role.
    ...(s.demoted !== undefined && { demoted: s.demoted }),
    ...(s.role === 'primary' && s.forkPosition != null && { forkPosition: s.forkPosition }),
    ...(s.position != null && { position: s.position }),
    ...(s.role === 'replica' && s.receivedPosition != null && { receivedPosition: s.receivedPosition }),
    ...(s.role === 'replica' && s.upstream != null && { upstream: s.upstream }),
    ...(s.role === 'replica' && s.streaming != null && { streaming: s.streaming }),
    ...(running && s.version != null && { version: s.version }),
    ...(running && s.dataBytes != null && { dataBytes: s.dataBytes }),
    // pg_stat_replication in neutral words: streaming = state 'streaming', synchronous = sync_state 'sync'.
    ...(s.role === 'primary' && {
      replicas: (s.replicas ?? []).map((r) => ({ name: r.name, streaming: r.state === 'streaming', synchronous: r.syncState === 'sync', lag: Math.max(0, r.replayLagBytes) })),
    }),
  };
}

/** What the promote script prints. */
export interface PromoteOutcome {
  readonly promoted: boolean;
  readonly alreadyPrimary: boolean;
}

const promoteSchema = z.object({ promoted: z.boolean(), alreadyPrimary: z.boolean() });

/** Parses the promote script's JSON line (exit 0 only). */
export function parsePostgresPromote(result: CommandResult): PromoteOutcome {
  const line = result.exitCode === 0 ? lastJsonLine(result.stdout) : undefined;
  const parsed = line === undefined ? undefined : promoteSchema.safeParse(safeJson(line));
  if (!parsed?.success) throw new UnexpectedOutputError(`promote output not understood (exit ${result.exitCode}): ${JSON.stringify(result.stdout.slice(0, 200))}`);
  return parsed.data;
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
