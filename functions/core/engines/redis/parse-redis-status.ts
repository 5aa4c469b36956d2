/**
 * Parses the one JSON line the Redis status script prints (its `INFO server
 * replication persistence memory` as a flat object, three config values, the
 * markers) into an engine-neutral DatabaseStatus.
 *
 * Invariants: only a well-formed line is accepted (known state, known role, decimal
 * offsets, the fields each role must have); anything else is an UnexpectedOutputError,
 * never a guess. A stopped or unknown server, a replica, and a fenced server are never
 * writable. Redis has no synchronous replication (WAIT does not make it strongly
 * consistent, by its own documentation): every attached replica is `synchronous: false`.
 *
 * Positions are replication offsets (bytes of the replication stream) as decimal
 * strings: a primary's `master_repl_offset`, a replica's `slave_repl_offset` (what it
 * has processed) and `slave_read_repl_offset` (what it has received; Redis 7). Offsets
 * compare only within one replication history (`master_replid`): a twin restored from
 * this primary shares it, and a promotion keeps counting from where it was (the
 * promoted server's new replid starts at its offset, the old one becomes its
 * `master_replid2`), so offsets of an old and a new primary compare across the fork.
 *
 * A promoted primary's `forkPosition` is `<offset>@<replid2>`: the last offset of the
 * history it shares with its old primary (`second_repl_offset - 1`: Redis accepts a
 * partial resync from the old history up to `second_repl_offset`), and which history
 * that is. `offsetDiff` compares its offset like any position; a rejoin checks the
 * replid (a server whose `master_replid` is another history shares nothing).
 */
import { z } from 'zod';
import type { CommandResult } from '../../command.ts';
import { UnexpectedOutputError } from '../../errors.ts';
import type { AttachedReplica, DatabaseStatus, Demotion, Rejoin } from '../database-engine.ts';
import { parseJsonLine } from '../json-line.ts';
import { DEMOTE_MIN_REPLICAS } from './redis-settings.ts';

const OFFSET = /^\d{1,19}$/;
/** A position: an offset, optionally `@<replication id>` (a fork position). */
const POSITION = /^(\d{1,19})(?:@([0-9a-f]{40}))?$/;
const REPLID = /^[0-9a-f]{40}$/;
/** `master_replid2` of a server that was never promoted. */
const NO_REPLID = '0'.repeat(40);
const INTEGER = /^-?\d{1,19}$/;

const offset = z.string().regex(OFFSET, 'not a replication offset');
const integer = z.string().regex(INTEGER, 'not an integer');

/** The INFO fields the parser relies on (others are kept but ignored). */
const infoSchema = z.looseObject({
  redis_version: z.string().regex(/^\d+\.\d+\.\d+/, 'not a Redis version'),
  role: z.enum(['master', 'slave']),
  master_repl_offset: offset,
  connected_slaves: integer,
  loading: z.enum(['0', '1']),
  used_memory_dataset: integer.optional(),
  min_slaves_good_slaves: integer.optional(),
  master_host: z.string().optional(),
  master_port: integer.optional(),
  master_link_status: z.enum(['up', 'down']).optional(),
  master_sync_in_progress: z.enum(['0', '1']).optional(),
  slave_repl_offset: offset.optional(),
  slave_read_repl_offset: offset.optional(),
  slave_read_only: z.enum(['0', '1']).optional(),
  master_link_down_since_seconds: integer.optional(),
  master_replid: z.string().regex(REPLID, 'not a replication id').optional(),
  master_replid2: z.string().regex(REPLID, 'not a replication id').optional(),
  second_repl_offset: integer.optional(),
});

const runningSchema = z.object({
  state: z.literal('running'),
  fenced: z.boolean(),
  promotedByTwinstack: z.boolean(),
  config: z.object({ 'min-replicas-to-write': integer, 'min-replicas-max-lag': integer, 'replica-read-only': z.enum(['yes', 'no']) }),
  linkError: z.string(),
  info: z.record(z.string(), z.string()),
});

const notRunningSchema = z.object({
  state: z.enum(['stopped', 'unknown']),
  fenced: z.boolean(),
  promotedByTwinstack: z.boolean(),
  detail: z.string().optional(),
});

const statusSchema = z.discriminatedUnion('state', [runningSchema, notRunningSchema]);

/** `slave0:ip=127.0.32.1,port=16379,state=online,offset=1234,lag=0` → its fields. */
const SLAVE_LINE = /^ip=([^,]+),port=(\d{1,5}),state=([a-z_]+),offset=(\d{1,19}),lag=(-?\d{1,19})$/;

/** The `slaveN` entries of INFO replication, in N order. */
function replicasOf(info: Record<string, string>, masterOffset: string): AttachedReplica[] {
  return Object.keys(info)
    .filter((key) => /^slave\d+$/.test(key))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))
    .map((key) => {
      const match = SLAVE_LINE.exec(info[key] ?? '');
      if (!match) throw new UnexpectedOutputError(`INFO replication ${key} not understood: ${JSON.stringify((info[key] ?? '').slice(0, 200))}`);
      const [, ip, port, state, replicaOffset] = match;
      return {
        name: `${ip}:${port}`,
        // `online`: the full sync is over and the stream flows; wait_bgsave/send_bulk are still syncing.
        streaming: state === 'online',
        synchronous: false,
        lag: Math.max(0, offsetDiff(masterOffset, replicaOffset ?? '0')),
      };
    });
}

/** A position's offset and, for a fork position, the replication id it belongs to. */
export function parsePosition(position: string): { readonly offset: string; readonly replid?: string } {
  const match = POSITION.exec(position);
  if (!match?.[1]) throw new UnexpectedOutputError(`not a replication offset: ${JSON.stringify(position)}`);
  return { offset: match[1], ...(match[2] !== undefined && { replid: match[2] }) };
}

/** `to - from` in bytes of the replication stream (exact for offsets below 2^53). */
export function offsetDiff(to: string, from: string): number {
  const [a, b] = [parsePosition(to), parsePosition(from)];
  if (a.replid !== undefined && b.replid !== undefined && a.replid !== b.replid) {
    throw new UnexpectedOutputError(`positions of two unrelated replication histories do not compare: ${JSON.stringify(to)}, ${JSON.stringify(from)}`);
  }
  return Number(BigInt(a.offset) - BigInt(b.offset));
}

/** The fork position of a promoted primary from its INFO (absent: never promoted). */
function forkPositionOf(replid2: string | undefined, secondOffset: string | undefined): string | undefined {
  if (replid2 === undefined || replid2 === NO_REPLID || secondOffset === undefined || Number(secondOffset) < 1) return undefined;
  return `${BigInt(secondOffset) - 1n}@${replid2}`;
}

/** `role:master` … lines of a raw INFO reply → a flat object (what the status script's awk builds). */
export function parseInfoText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const match = /^([a-z0-9_]+):(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) out[match[1]] = match[2];
  }
  return out;
}



function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

export function parseRedisStatus(result: CommandResult): DatabaseStatus {
  const parsed = statusSchema.safeParse(parseJsonLine('status', result));
  if (!parsed.success) throw new UnexpectedOutputError(`status JSON has an unexpected shape: ${issuesOf(parsed.error)}`);
  const s = parsed.data;
  if (s.state !== 'running') return { role: s.state, writable: false, fenced: s.fenced, promotedByTwinstack: s.promotedByTwinstack };
  const infoParsed = infoSchema.safeParse(s.info);
  if (!infoParsed.success) throw new UnexpectedOutputError(`status INFO not understood: ${issuesOf(infoParsed.error)}`);
  const info = infoParsed.data;
  const common = {
    fenced: s.fenced,
    promotedByTwinstack: s.promotedByTwinstack,
    version: info.redis_version,
    // used_memory_dataset: the dataset's size in memory (what a full sync serialises; the RDB is usually smaller).
    ...(info.used_memory_dataset !== undefined && { dataBytes: Number(info.used_memory_dataset) }),
  };
  if (info.role === 'master') {
    const minReplicas = Number(s.config['min-replicas-to-write']);
    const goodReplicas = Number(info.min_slaves_good_slaves ?? info.connected_slaves);
    // Writes are refused (NOREPLICAS) while fewer good replicas than min-replicas-to-write are attached.
    const acceptsWrites = minReplicas === 0 || goodReplicas >= minReplicas;
    const forkPosition = forkPositionOf(info.master_replid2, info.second_repl_offset);
    return {
      role: 'primary',
      writable: acceptsWrites && !s.fenced && info.loading === '0',
      position: info.master_repl_offset,
      replicas: replicasOf(s.info, info.master_repl_offset),
      ...(forkPosition !== undefined && { forkPosition }),
      demoted: s.config['min-replicas-to-write'] === String(DEMOTE_MIN_REPLICAS),
      ...common,
    };
  }
  if (info.master_host === undefined || info.master_port === undefined || info.master_link_status === undefined || info.slave_repl_offset === undefined) {
    throw new UnexpectedOutputError('status INFO of a replica lacks master_host, master_port, master_link_status or slave_repl_offset');
  }
  const streaming = info.master_link_status === 'up' && info.master_sync_in_progress !== '1';
  return {
    role: 'replica',
    writable: false,
    position: info.slave_repl_offset,
    receivedPosition: info.slave_read_repl_offset ?? info.slave_repl_offset,
    upstream: `${info.master_host}:${info.master_port}`,
    streaming,
    // Redis does not estimate a replica's delay in seconds; with the link down, it has
    // received nothing for master_link_down_since_seconds (its lag in time is at most that
    // plus what it was behind before). With the link up, offsets are the measure.
    ...(!streaming && info.master_link_down_since_seconds !== undefined && Number(info.master_link_down_since_seconds) >= 0 && { secondsBehind: Number(info.master_link_down_since_seconds) }),
    ...(!streaming && s.linkError !== '' && { replicationError: s.linkError }),
    ...(!streaming && s.linkError === '' && info.master_sync_in_progress === '1' && { replicationError: 'full sync in progress' }),
    ...common,
  };
}

/** What the promote script prints. */
export interface PromoteOutcome {
  readonly promoted: boolean;
  readonly alreadyPrimary: boolean;
}

const promoteSchema = z.object({ promoted: z.boolean(), alreadyPrimary: z.boolean() });

/** Parses the promote script's JSON line (exit 0 only). */
export function parseRedisPromote(result: CommandResult): PromoteOutcome {
  const parsed = promoteSchema.safeParse(parseJsonLine('promote', result));
  if (!parsed.success) throw new UnexpectedOutputError(`promote output not understood: ${issuesOf(parsed.error)}`);
  return parsed.data;
}

/** What the fence script prints. */
export interface FenceOutcome {
  readonly fenced: true;
  readonly wasRunning: boolean;
}

const fenceSchema = z.object({ fenced: z.literal(true), wasRunning: z.boolean() });

export function parseRedisFence(result: CommandResult): FenceOutcome {
  const parsed = fenceSchema.safeParse(parseJsonLine('fence', result));
  if (!parsed.success) throw new UnexpectedOutputError(`fence output not understood: ${issuesOf(parsed.error)}`);
  return parsed.data;
}

const demotionSchema = z.object({ position: offset, wasWritable: z.boolean() });

/** Parses the demote script's JSON line (exit 0 only). */
export function parseRedisDemotion(result: CommandResult): Demotion {
  const parsed = demotionSchema.safeParse(parseJsonLine('demote', result));
  if (!parsed.success) throw new UnexpectedOutputError(`demote output not understood: ${issuesOf(parsed.error)}`);
  return parsed.data;
}

/** What the undo-demote script prints. */
export interface UndoDemoteOutcome {
  /** The demotion was lifted by this call (false: it was not demoted, a repeated undo). */
  readonly undone: boolean;
  /** It accepts writes now (false in sync mode while no replica acknowledges). */
  readonly writable: boolean;
}

const undoSchema = z.object({ undone: z.boolean(), writable: z.boolean() });

export function parseRedisUndoDemote(result: CommandResult): UndoDemoteOutcome {
  const parsed = undoSchema.safeParse(parseJsonLine('undo demote', result));
  if (!parsed.success) throw new UnexpectedOutputError(`undo demote output not understood: ${issuesOf(parsed.error)}`);
  return parsed.data;
}

const rejoinSchema = z.object({
  method: z.enum(['already-replica', 'repointed', 'needs-restore']),
  divergentBytes: z.number().int().nonnegative(),
  savedTo: z.string(),
  savedKeys: z.number().int().nonnegative(),
  lineage: z.enum(['same', 'unrelated']),
});

/** Parses the rejoin script's JSON line (exit 0 only) into the engine-neutral Rejoin. */
export function parseRedisRejoin(result: CommandResult): Rejoin {
  const parsed = rejoinSchema.safeParse(parseJsonLine('rejoin', result));
  if (!parsed.success) throw new UnexpectedOutputError(`rejoin output not understood: ${issuesOf(parsed.error)}`);
  const r = parsed.data;
  if (r.divergentBytes > 0 && r.savedTo === '') throw new UnexpectedOutputError('rejoin reports divergent bytes but no file they were saved to');
  const detail: string[] = [];
  if (r.lineage === 'unrelated') {
    detail.push(
      `its replication history is not the one the new primary forked from: all ${r.divergentBytes} bytes of its stream count as divergent; its ${r.savedKeys} keys were saved to ${r.savedTo || '(nothing to save)'} and it still refuses writes. Fix: restore it from the new primary (the replicate steps, in the other direction)`,
    );
  } else if (r.divergentBytes > 0) {
    detail.push(
      `it held ${r.divergentBytes} bytes of replication stream the new primary never received (writes after the fork; PINGs and expiries count too); its whole dataset (${r.savedKeys} keys) was saved to ${r.savedTo} before a full sync from the new primary replaced it`,
    );
  } else {
    detail.push('nothing diverged: it continues from the new primary by a partial resync');
  }
  return {
    method: r.method,
    divergent: { amount: r.divergentBytes, ...(r.savedTo !== '' && { savedTo: r.savedTo }) },
    detail,
  };
}
