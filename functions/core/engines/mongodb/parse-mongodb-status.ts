/**
 * Parses the status script's JSON line (the replies of `hello`, `replSetGetStatus`,
 * `replSetGetConfig`, `getDefaultRWConcern`, `buildInfo`, `listDatabases`, in
 * canonical Extended JSON) into an engine-neutral DatabaseStatus.
 *
 * NOT YET CHECKED AGAINST A LIVE SERVER: the shapes follow MongoDB 6/7's documented
 * outputs (the fixtures in test/unit/core/engines/mongodb/fixtures name their pages).
 *
 * Role (the member's own view):
 * - `hello.isWritablePrimary` → primary; `hello.secondary` → replica, streaming when
 *   SECONDARY with a sync source;
 * - RECOVERING, ROLLBACK, STARTUP2 (a member of the set that is not a usable copy
 *   yet, or repairing) → replica, never streaming, with the state as its
 *   replicationError, so no catch-up check passes and promote refuses it;
 * - an arbiter (holds no data), STARTUP/REMOVED/no config, or a server that did not
 *   answer → unknown; a standalone (no replica set) → primary (it takes writes), and
 *   `mongodb.standalone` makes compatibilityProblems refuse it.
 *
 * Replicas (primary only): every other data-bearing member; `streaming` = SECONDARY
 * and healthy; `synchronous` ONLY when the config proves every majority-acknowledged
 * write reaches it: it votes, the default write concern is `w: "majority"`, and the
 * writable voting members other than it are fewer than the write majority (so no
 * majority can form without it). Apps that override the write concern (`w: 1`) are
 * not covered by that proof (README.md).
 *
 * Invariants: anything not well-formed is an UnexpectedOutputError, never a guess; a
 * stopped or unknown server is never writable.
 */
import { z } from 'zod';
import type { CommandResult } from '../../command.ts';
import { UnexpectedOutputError } from '../../errors.ts';
import type { AttachedReplica, DatabaseStatus, Demotion, Rejoin } from '../database-engine.ts';
import { decodeExtendedJson } from './canonical-ejson.ts';
import { formatOptime, isOptimePosition, optimeDiff } from './optime.ts';
import { parseJsonLine as readJsonLine } from '../json-line.ts';

const timestamp = z.object({ t: z.int().min(0), i: z.int().min(0) });
const optime = z.object({ ts: timestamp, t: z.number().optional() });
const count = z.number().finite();

/** A command's error reply (`ok: 0`). */
const errorReply = z.object({ ok: z.literal(0), errmsg: z.string().optional(), code: count.optional(), codeName: z.string().optional() });

const hello = z.object({
  ok: z.literal(1),
  isWritablePrimary: z.boolean().optional(),
  secondary: z.boolean().optional(),
  arbiterOnly: z.boolean().optional(),
  isreplicaset: z.boolean().optional(),
  setName: z.string().optional(),
  primary: z.string().optional(),
  me: z.string().optional(),
  lastWrite: z.object({ opTime: optime }).optional(),
});

const statusMember = z.object({
  _id: count,
  name: z.string(),
  health: count,
  state: count,
  stateStr: z.string(),
  optime: optime.optional(),
  optimeDate: count.optional(),
  syncSourceHost: z.string().optional(),
  infoMessage: z.string().optional(),
  lastHeartbeatMessage: z.string().optional(),
  self: z.boolean().optional(),
});

const replSetGetStatus = z.object({
  ok: z.literal(1),
  set: z.string(),
  myState: count,
  members: z.array(statusMember),
  optimes: z.object({ lastCommittedOpTime: optime.optional(), lastAppliedOpTime: optime.optional() }).optional(),
  syncSourceHost: z.string().optional(),
  writeMajorityCount: count.optional(),
  writableVotingMembersCount: count.optional(),
});

const configMember = z.object({
  _id: count,
  host: z.string(),
  arbiterOnly: z.boolean().optional(),
  priority: count.optional(),
  votes: count.optional(),
  hidden: z.boolean().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

const replSetGetConfig = z.object({ ok: z.literal(1), config: z.object({ _id: z.string(), version: count, members: z.array(configMember) }) });

const statusSchema = z.object({
  twinstack: z.object({
    running: z.boolean(),
    fenced: z.boolean(),
    promoted: z.boolean().optional(),
    demoted: z.boolean().optional(),
    promotedFrom: z.string().optional(),
    authenticated: z.boolean().optional(),
    detail: z.string().optional(),
  }),
  hello: z.union([hello, errorReply]).optional(),
  replSetGetStatus: z.union([replSetGetStatus, errorReply]).optional(),
  replSetGetConfig: z.union([replSetGetConfig, errorReply]).optional(),
  getDefaultRWConcern: z
    .union([z.object({ ok: z.literal(1), defaultWriteConcern: z.object({ w: z.union([z.string(), count]).optional() }).optional(), defaultWriteConcernSource: z.string().optional() }), errorReply])
    .optional(),
  buildInfo: z.object({ ok: count.optional(), version: z.string().optional() }).optional(),
  listDatabases: z.object({ ok: count.optional(), totalSize: count.optional() }).optional(),
});

type RawStatus = z.infer<typeof statusSchema>;
type Ok<T> = Exclude<T, z.infer<typeof errorReply> | undefined>;

/** MongoDB's own facts the engine (and only the engine) reads again, e.g. in compatibilityProblems. */
export interface MongodbFacts {
  /** The replica set this server is a member of (hello.setName), when it is one. */
  readonly setName?: string;
  /** Running without `--replSet`: cannot have a twin member. */
  readonly standalone: boolean;
  /** replSetGetStatus `stateStr` of this member, when known. */
  readonly state?: string;
}

export type MongodbStatus = DatabaseStatus & { readonly mongodb: MongodbFacts };

/** The replicas-set error code of a server started without `--replSet`. */
const NO_REPLICATION_ENABLED = 76;
/** States of a member that is in the set but not a usable copy (never streaming, never promoted). */
const NOT_READY_STATES = new Set(['RECOVERING', 'ROLLBACK', 'STARTUP2']);

function ok<T extends { ok: number } | undefined>(reply: T): Ok<T> | undefined {
  return reply !== undefined && reply.ok === 1 ? (reply as Ok<T>) : undefined;
}


/** Decodes the last JSON line of stdout (Extended JSON) and checks it against `schema`. */
export function parseJsonLine<T>(result: CommandResult, schema: z.ZodType<T>, what: string): T {
  const json = readJsonLine(what, result, decodeExtendedJson);
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new UnexpectedOutputError(`${what} JSON has an unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The members a write majority can be formed of, from the status (4.4+) or the config. */
function writeMajority(status: Ok<RawStatus['replSetGetStatus']>, config: Ok<RawStatus['replSetGetConfig']> | undefined) {
  const writableVoters = (config?.config.members ?? []).filter((m) => (m.votes ?? 1) > 0 && m.arbiterOnly !== true).length;
  return {
    writableVoting: status?.writableVotingMembersCount ?? writableVoters,
    majority: status?.writeMajorityCount ?? Math.floor(writableVoters / 2) + 1,
  };
}

function replicasOf(raw: RawStatus, position: string | undefined): AttachedReplica[] {
  const status = ok(raw.replSetGetStatus);
  if (status === undefined) return [];
  const config = ok(raw.replSetGetConfig);
  const defaultW = ok(raw.getDefaultRWConcern)?.defaultWriteConcern?.w;
  const { writableVoting, majority } = writeMajority(status, config);
  return status.members
    .filter((m) => m.self !== true && m.stateStr !== 'ARBITER' && config?.config.members.find((c) => c.host === m.name)?.arbiterOnly !== true)
    .map((m) => {
      const member = config?.config.members.find((c) => c.host === m.name);
      const streaming = m.stateStr === 'SECONDARY' && m.health === 1;
      const votes = member?.votes ?? 0;
      // Without it no write majority can form: writable voters other than it < write majority.
      const synchronous = streaming && member !== undefined && votes > 0 && defaultW === 'majority' && writableVoting - 1 < majority;
      const lag = position !== undefined && m.optime !== undefined ? Math.max(0, optimeDiff(position, formatOptime(m.optime.ts))) : undefined;
      return { name: m.name, streaming, synchronous, ...(lag !== undefined && { lag }) };
    });
}

export function parseMongodbStatus(result: CommandResult): MongodbStatus {
  const raw = parseJsonLine(result, statusSchema, 'status');
  const marks = { fenced: raw.twinstack.fenced, ...(raw.twinstack.promoted !== undefined && { promotedByTwinstack: raw.twinstack.promoted }) };
  if (!raw.twinstack.running) return { role: 'stopped', writable: false, ...marks, mongodb: { standalone: false } };
  const h = ok(raw.hello);
  if (h === undefined) return { role: 'unknown', writable: false, ...marks, mongodb: { standalone: false } };

  const status = ok(raw.replSetGetStatus);
  const statusError = raw.replSetGetStatus?.ok === 0 ? raw.replSetGetStatus : undefined;
  const standalone = h.setName === undefined && h.isreplicaset !== true && (statusError === undefined || statusError.code === NO_REPLICATION_ENABLED);
  const self = status?.members.find((m) => m.self === true);
  const state = self?.stateStr;
  const ownTs = status?.optimes?.lastAppliedOpTime?.ts ?? self?.optime?.ts ?? h.lastWrite?.opTime.ts;
  const position = ownTs === undefined ? undefined : formatOptime(ownTs);
  const common = {
    ...marks,
    ...(position !== undefined && { position }),
    ...(raw.buildInfo?.version !== undefined && { version: raw.buildInfo.version }),
    ...(raw.listDatabases?.totalSize !== undefined && { dataBytes: raw.listDatabases.totalSize }),
    mongodb: { standalone, ...(h.setName !== undefined && { setName: h.setName }), ...(state !== undefined && { state }) },
  };

  if (h.isWritablePrimary === true) {
    // The promote script's marker says from which optime it took over: the fork of the old primary's history.
    const fork = /from (\d{1,10}\.\d{1,10})$/.exec(raw.twinstack.promotedFrom ?? '')?.[1];
    return {
      role: 'primary',
      writable: true,
      ...common,
      ...(!standalone && { replicas: replicasOf(raw, position) }),
      ...(raw.twinstack.promoted === true && fork !== undefined && { forkPosition: fork }),
      demoted: false,
    };
  }
  if (h.arbiterOnly === true || state === 'ARBITER') return { role: 'unknown', writable: false, ...common };
  if (h.secondary === true || (state !== undefined && NOT_READY_STATES.has(state))) {
    const notReady = state !== undefined && NOT_READY_STATES.has(state);
    const syncSource = status?.syncSourceHost ?? self?.syncSourceHost ?? '';
    const primary = status?.members.find((m) => m.stateStr === 'PRIMARY' && m.health === 1);
    const behind = primary?.optimeDate !== undefined && self?.optimeDate !== undefined ? Math.max(0, Math.round((primary.optimeDate - self.optimeDate) / 1000)) : undefined;
    const why = notReady
      ? `member is ${state}`
      : status !== undefined && syncSource === ''
        ? (self?.infoMessage ?? (primary === undefined ? 'no primary visible (majority lost?)' : 'no sync source'))
        : undefined;
    return {
      role: 'replica',
      writable: false,
      ...common,
      // A switchover's demoted primary is a secondary (no member can be elected): still reported demoted.
      ...(raw.twinstack.demoted === true && { demoted: true }),
      ...(status !== undefined && { streaming: !notReady && state === 'SECONDARY' && syncSource !== '' }),
      ...(syncSource !== '' && { upstream: syncSource }),
      ...(behind !== undefined && { secondsBehind: behind }),
      ...(why !== undefined && why !== '' && { replicationError: why }),
    };
  }
  return { role: 'unknown', writable: false, ...common };
}

/** What the promote script prints (exit 0). */
export interface MongodbPromoteOutcome {
  readonly promoted: boolean;
  readonly alreadyPrimary: boolean;
  /** A forced reconfiguration was run (the only way without the old majority). */
  readonly forced: boolean;
  readonly removedMembers: readonly string[];
  /** This member's last applied optime: writes of the old set after it are lost. */
  readonly twinLastApplied?: string;
  /** The newest optime this member knew to be majority-committed in the old set. */
  readonly twinLastCommitted?: string | null;
}

const promoteSchema = z.object({
  promoted: z.boolean(),
  alreadyPrimary: z.boolean(),
  forced: z.boolean(),
  removedMembers: z.array(z.string()),
  keptMembers: z.array(z.string()).optional(),
  twinLastApplied: z.string().optional(),
  twinLastCommitted: z.string().nullable().optional(),
});

export function parseMongodbPromote(result: CommandResult): MongodbPromoteOutcome {
  const p = parseJsonLine(result, promoteSchema, 'promote');
  return {
    promoted: p.promoted,
    alreadyPrimary: p.alreadyPrimary,
    forced: p.forced,
    removedMembers: p.removedMembers,
    ...(p.twinLastApplied !== undefined && { twinLastApplied: p.twinLastApplied }),
    ...(p.twinLastCommitted !== undefined && { twinLastCommitted: p.twinLastCommitted }),
  };
}

/**
 * What a forced promotion can lose, in words for the decision's reasons: force was
 * used, and which majority-committed writes of the old set are not in the new one.
 */
export function describeForcedPromotion(outcome: MongodbPromoteOutcome): string {
  if (!outcome.forced) return outcome.alreadyPrimary ? 'already our promoted primary: no reconfiguration' : 'promoted without a new forced reconfiguration (the kept config was already in place)';
  const removed = outcome.removedMembers.length > 0 ? outcome.removedMembers.join(', ') : 'none';
  return (
    `promoted with a FORCED replica-set reconfiguration (replSetReconfig force: true), removing ${removed}: ` +
    `every write the old set accepted after optime ${outcome.twinLastApplied ?? 'unknown'} is not in the new set — including writes acknowledged with w: "majority" ` +
    `when the twin did not vote — and a removed member that returns rolls them back (its rollback files under <dbPath>/rollback) when it rejoins`
  );
}

/** A reconfig error the scripts print as `{"reconfigError": {…}, "force": …}` (exit 4). */
const reconfigFailure = z.object({ reconfigError: errorReply, force: z.boolean() });

/** Known replSetReconfig errors and what to do about them. */
const RECONFIG_FIXES: Readonly<Record<string, string>> = {
  NotWritablePrimary: 'run it on the primary (or use force only when the majority is gone)',
  NodeNotFound: 'a majority of the new config did not answer (quorum check): bring the members up or check the network and keyFile',
  NewReplicaSetConfigurationIncompatible: 'the change is not allowed in one step (e.g. more than one voting member changed): change one voting member at a time',
  InvalidReplicaSetConfig: 'the config is invalid (e.g. votes 0 with priority > 0, duplicate host): fix the member entry',
  ConfigurationInProgress: 'another reconfiguration is still being committed: re-run in a few seconds',
  CurrentConfigNotCommittedYet: 'the previous config is not majority-committed yet: re-run once the members caught up',
  NoReplicationEnabled: 'the server is not a replica-set member (standalone): restart it with replication.replSetName',
};

/** The reason (with the fix) of a failed reconfiguration, from a script's stdout or stderr; undefined when none is there. */
export function explainReconfigFailure(result: CommandResult): string | undefined {
  for (const line of `${result.stdout}\n${result.stderr}`.split('\n').reverse()) {
    if (!line.trim().startsWith('{"reconfigError"')) continue;
    let json: unknown;
    try {
      json = decodeExtendedJson(JSON.parse(line));
    } catch {
      continue;
    }
    const parsed = reconfigFailure.safeParse(json);
    if (!parsed.success) continue;
    const e = parsed.data.reconfigError;
    const fix = (e.codeName !== undefined && RECONFIG_FIXES[e.codeName]) || 'see the mongod log';
    return `${parsed.data.force ? 'forced ' : ''}replSetReconfig failed: ${e.codeName ?? 'error'} (${e.code ?? '?'}): ${e.errmsg ?? ''} — ${fix}`;
  }
  return undefined;
}

const demotionSchema = z.object({ position: z.string().refine(isOptimePosition, 'not an optime <t>.<i>'), wasWritable: z.boolean(), reconfig: z.string().optional() });

/** Parses the demote script's JSON line (exit 0 only). */
export function parseMongodbDemotion(result: CommandResult): Demotion {
  const d = parseJsonLine(result, demotionSchema, 'demote');
  return { position: d.position, wasWritable: d.wasWritable };
}

const undoSchema = z.object({ undone: z.boolean(), writable: z.boolean() });

/** Parses the undo-demote script's JSON line (exit 0 only). */
export function parseMongodbUndoDemote(result: CommandResult): { readonly undone: boolean; readonly writable: boolean } {
  return parseJsonLine(result, undoSchema, 'undo demote');
}

const rejoinSchema = z.object({
  method: z.enum(['already-replica', 'repointed', 'rewound', 'needs-restore']),
  position: z.string().refine(isOptimePosition, 'not an optime <t>.<i>').nullable(),
  fork: z.string().refine(isOptimePosition, 'not an optime <t>.<i>'),
  state: z.string(),
  why: z.string(),
  rollbackDir: z.string(),
  rollbackFiles: z.int().nonnegative(),
});

/**
 * Parses the rejoin script's JSON line (exit 0 only). Divergence, in seconds of oplog:
 * how far the old member's last applied optime was beyond the new primary's fork.
 * MongoDB's rollback saved the documents it undid under `<dbPath>/rollback/`.
 */
export function parseMongodbRejoin(result: CommandResult): Rejoin {
  const r = parseJsonLine(result, rejoinSchema, 'rejoin');
  const amount = r.position === null ? 0 : Math.max(0, optimeDiff(r.position, r.fork));
  const saved = r.rollbackFiles > 0;
  const detail: string[] = [];
  if (r.position === null) detail.push('its last applied optime was unknown: the divergence could not be measured; check ' + r.rollbackDir);
  if (amount > 0 || saved) {
    detail.push(
      `it held ${amount} s of oplog beyond the fork at ${r.fork} (its last applied optime ${r.position ?? 'unknown'}); MongoDB rolled that history back and saved the documents it undid in ${r.rollbackFiles} file(s) under ${r.rollbackDir} (read them with bsondump before deleting them)`,
    );
  }
  if (r.method === 'needs-restore') {
    detail.push(`MongoDB could not roll it back (member ${r.state}: ${r.why}). Fix: restore it from the new primary (the replicate steps, in the other direction); copy its dbPath aside first if its writes matter`);
  }
  if (detail.length === 0) detail.push('nothing diverged: it follows the new primary');
  return { method: r.method, divergent: { amount, ...(saved && { savedTo: r.rollbackDir }) }, detail };
}
