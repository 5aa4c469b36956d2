/**
 * Parses what the MySQL-family scripts print: the status line (one JSON object
 * holding the server's variables as JSON_OBJECT built them, and the replica status
 * and replica list as the client's batch tables), and the JSON lines of promote,
 * fence, startReplication, demote, undoDemote and rejoin.
 *
 * Invariants: only well-formed output is accepted (zod; GTID text parsed by
 * gtid-set.ts); anything else is an UnexpectedOutputError, never a guess. A
 * stopped or unknown server is never writable. `synchronous` is claimed for an
 * attached replica only while the primary reports semi-sync ON right now with at
 * least as many acknowledging clients as attached replicas (semi-sync falls back
 * to async silently after its timeout: then every replica is reported async).
 */
import { z } from 'zod';
import type { CommandResult } from '../../command.ts';
import { UnexpectedOutputError } from '../../errors.ts';
import type { AttachedReplica, DatabaseStatus, Demotion, Rejoin } from '../database-engine.ts';
import {
  countMysqlGtidSet,
  formatMariadbGtid,
  formatMysqlGtidSet,
  isGtidPosition,
  mariadbErrantGtids,
  mysqlErrantGtids,
  parseMariadbGtidList,
  parseMysqlGtidSet,
  unionMysqlGtidSets,
} from './gtid-set.ts';
import type { MysqlDialect } from './mysql-settings.ts';
import { parseJsonLine } from '../json-line.ts';

/** Server facts compatibilityProblems judges, kept beside the neutral status. */
export interface MysqlFacts {
  readonly dialect: MysqlDialect;
  /** `10.11`, `8.0`: physical backups need the same series. */
  readonly series: string;
  readonly serverId: number;
  readonly logBin: boolean;
  /** MariaDB gtid_strict_mode / MySQL gtid_mode=ON and enforce_gtid_consistency=ON. */
  readonly gtidEnforced: boolean;
  readonly logReplicaUpdates: boolean;
  /** Semi-sync on the primary right now (not just enabled: the status, which drops to OFF after a timeout). */
  readonly semiSyncActive: boolean;
  readonly semiSyncClients: number;
}

export type MysqlDatabaseStatus = DatabaseStatus & { readonly mysql?: MysqlFacts };

/** 0/1, "0"/"1", "ON"/"OFF" as JSON_OBJECT and status variables give them. */
const flag = z.union([z.number(), z.string(), z.boolean()]).transform((v) => v === 1 || v === true || v === '1' || String(v).toUpperCase() === 'ON');
const optionalFlag = flag.nullish().transform((v) => v ?? false);
const count = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((v, ctx) => {
    const n = Number(v ?? 0);
    if (!Number.isSafeInteger(n) || n < 0) {
      ctx.addIssue({ code: 'custom', message: 'not a count' });
      return z.NEVER;
    }
    return n;
  });

const commonVars = {
  version: z.string().min(1),
  serverId: z.number().int().nonnegative(),
  readOnly: flag,
  innodbReadOnly: flag,
  logBin: flag,
  logReplicaUpdates: flag,
  binlogFormat: z.string(),
  semiSyncSourceStatus: optionalFlag,
  semiSyncSourceClients: count,
};

function isGtidList(text: string): boolean {
  try {
    parseMariadbGtidList(text);
    return true;
  } catch {
    return false;
  }
}

const mariadbVars = z.object({
  ...commonVars,
  gtidStrictMode: flag,
  gtidCurrentPos: z.string().refine((t) => isGtidPosition('mariadb', t), 'not a MariaDB GTID position'),
  gtidBinlogState: z.string().refine(isGtidList, 'not a MariaDB GTID list'),
  gtidSlavePos: z.string().refine((t) => isGtidPosition('mariadb', t), 'not a MariaDB GTID position'),
});

const mysqlVars = z.object({
  ...commonVars,
  serverUuid: z.string(),
  superReadOnly: flag,
  gtidMode: z.string(),
  enforceGtidConsistency: z.union([z.string(), z.number()]),
  gtidExecuted: z.string().refine((t) => isGtidPosition('mysql', t), 'not a MySQL GTID set'),
});

const statusLine = z.object({
  running: z.boolean(),
  answered: z.boolean().optional(),
  fenced: z.boolean(),
  promoted: z.boolean(),
  // Absent in outputs recorded before switchovers existed.
  demoted: z.boolean().optional(),
  dataBytes: z.number().int().nonnegative().nullish(),
  vars: z.unknown().optional(),
  replicaStatus: z.string().optional(),
  replicaHosts: z.string().optional(),
});



function shaped<T>(what: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UnexpectedOutputError(`${what} has an unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Undo the client's batch-mode escapes (`\t`, `\n`, `\0`, `\\`). */
function unescapeBatch(value: string): string {
  return value.replace(/\\([tn0\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === '0' ? '\0' : '\\'));
}

/** A batch table (header line, then rows, tab-separated) as records; empty text is no rows. */
export function parseBatchTable(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines.length === 0) return [];
  const header = lines[0]!.split('\t');
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    if (cells.length !== header.length) throw new UnexpectedOutputError(`table row has ${cells.length} cells, its header ${header.length}: ${JSON.stringify(line.slice(0, 200))}`);
    return Object.fromEntries(header.map((name, i) => [name, unescapeBatch(cells[i] ?? '')]));
  });
}

function required(row: Record<string, string>, ...names: string[]): string {
  for (const name of names) if (row[name] !== undefined) return row[name];
  throw new UnexpectedOutputError(`replica status lacks ${names.join('/')}`);
}

/** `10.11.19-MariaDB-0+deb12u1-log` → mariadb; `8.0.36` (no MariaDB) → mysql. */
export function dialectOfVersion(version: string): MysqlDialect {
  return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
}

/** `10.11`, `8.0`. */
export function seriesOfVersion(version: string): string {
  return /^(\d+\.\d+)/.exec(version)?.[1] ?? version;
}

function replicasOf(hostsText: string, facts: MysqlFacts): AttachedReplica[] {
  const rows = parseBatchTable(hostsText);
  // Semi-sync names no replica: with every attached replica acknowledging, each is synchronous; otherwise none is claimed.
  const allAcknowledge = facts.semiSyncActive && rows.length > 0 && facts.semiSyncClients >= rows.length;
  return rows
    .map((row) => {
      const host = required(row, 'Host');
      const port = required(row, 'Port');
      if (!/^\d{1,5}$/.test(port)) throw new UnexpectedOutputError(`replica port ${JSON.stringify(port)} is not a port`);
      return { name: `${host}:${port}`, streaming: true, synchronous: allAcknowledge };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The status line of `dialect`'s status script as an engine-neutral status (plus its MysqlFacts). */
export function parseMysqlStatus(dialect: MysqlDialect, result: CommandResult): MysqlDatabaseStatus {
  const s = shaped('status JSON', statusLine, parseJsonLine('status', result));
  // `demoted` is named only when set (a stopped demoted server), and always for a running primary.
  const markers = { fenced: s.fenced, promotedByTwinstack: s.promoted, ...(s.demoted === true && { demoted: true }) };
  if (!s.running) return { role: 'stopped', writable: false, ...markers };
  if (s.answered !== true || s.vars === undefined) return { role: 'unknown', writable: false, ...markers };

  const replicaRows = parseBatchTable(s.replicaStatus ?? '');
  if (replicaRows.length > 1) throw new UnexpectedOutputError(`${replicaRows.length} replication channels: twinstack manages exactly one`);
  const replica = replicaRows[0];

  let facts: MysqlFacts;
  let position: string;
  let receivedPosition: string | undefined;
  let errant: string[] = [];
  let writable: boolean;
  if (dialect === 'mariadb') {
    const v = shaped('MariaDB status variables', mariadbVars, s.vars);
    facts = {
      dialect: dialectOfVersion(v.version),
      series: seriesOfVersion(v.version),
      serverId: v.serverId,
      logBin: v.logBin,
      gtidEnforced: v.gtidStrictMode,
      logReplicaUpdates: v.logReplicaUpdates,
      semiSyncActive: v.semiSyncSourceStatus,
      semiSyncClients: v.semiSyncSourceClients,
    };
    position = v.gtidCurrentPos;
    writable = !v.readOnly && !v.innodbReadOnly;
    if (replica) {
      const io = required(replica, 'Gtid_IO_Pos');
      if (!isGtidPosition('mariadb', io)) throw new UnexpectedOutputError(`Gtid_IO_Pos ${JSON.stringify(io)} is not a GTID position`);
      receivedPosition = io;
      errant = mariadbErrantGtids(v.gtidBinlogState, v.gtidSlavePos, v.serverId);
    }
  } else {
    const v = shaped('MySQL status variables', mysqlVars, s.vars);
    facts = {
      dialect: dialectOfVersion(v.version),
      series: seriesOfVersion(v.version),
      serverId: v.serverId,
      logBin: v.logBin,
      gtidEnforced: v.gtidMode.toUpperCase() === 'ON' && String(v.enforceGtidConsistency).toUpperCase() === 'ON',
      logReplicaUpdates: v.logReplicaUpdates,
      semiSyncActive: v.semiSyncSourceStatus,
      semiSyncClients: v.semiSyncSourceClients,
    };
    position = formatMysqlGtidSet(parseMysqlGtidSet(v.gtidExecuted));
    writable = !v.readOnly && !v.superReadOnly && !v.innodbReadOnly;
    if (replica) {
      const retrieved = required(replica, 'Retrieved_Gtid_Set');
      receivedPosition = formatMysqlGtidSet(unionMysqlGtidSets(parseMysqlGtidSet(v.gtidExecuted), parseMysqlGtidSet(retrieved)));
      errant = mysqlErrantGtids(v.gtidExecuted, v.serverUuid);
    }
  }

  const common = {
    ...markers,
    position,
    version: (s.vars as { version: string }).version,
    ...(s.dataBytes != null && { dataBytes: s.dataBytes }),
    mysql: facts,
  };
  if (!replica) {
    return { role: 'primary', writable, ...common, demoted: s.demoted === true, replicas: replicasOf(s.replicaHosts ?? '', facts) };
  }
  const io = required(replica, 'Slave_IO_Running', 'Replica_IO_Running');
  const sqlThread = required(replica, 'Slave_SQL_Running', 'Replica_SQL_Running');
  const seconds = required(replica, 'Seconds_Behind_Master', 'Seconds_Behind_Source');
  const host = required(replica, 'Master_Host', 'Source_Host');
  const port = required(replica, 'Master_Port', 'Source_Port');
  const errors = [required(replica, 'Last_IO_Error'), required(replica, 'Last_SQL_Error')].filter((e) => e.trim() !== '');
  return {
    role: 'replica',
    // A replica is read-only by twinstack's settings; report the server's own answer all the same.
    writable,
    ...common,
    ...(receivedPosition !== undefined && { receivedPosition }),
    upstream: `${host}:${port}`,
    streaming: io === 'Yes' && sqlThread === 'Yes',
    ...(/^\d+$/.test(seconds) && { secondsBehind: Number(seconds) }),
    ...(errors.length > 0 && { replicationError: errors.join('; ') }),
    errantTransactions: errant,
  };
}

/** What the promote script prints. */
export interface PromoteOutcome {
  readonly promoted: boolean;
  readonly alreadyPrimary: boolean;
}

export function parseMysqlPromote(result: CommandResult): PromoteOutcome {
  return shaped('promote output', z.object({ promoted: z.boolean(), alreadyPrimary: z.boolean() }), parseJsonLine('promote', result));
}

export interface FenceOutcome {
  readonly fenced: true;
  readonly wasRunning: boolean;
  /** Sessions killed before the shutdown. */
  readonly killed: number;
}

export function parseMysqlFence(result: CommandResult): FenceOutcome {
  return shaped('fence output', z.object({ fenced: z.literal(true), wasRunning: z.boolean(), killed: z.number().int().nonnegative() }), parseJsonLine('fence', result));
}

/** What startReplication prints: the exact caught-up check (MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET). */
export interface StartReplicationOutcome {
  readonly replicating: true;
  readonly started: boolean;
  /** Everything the primary had committed when the script asked is applied here. */
  readonly caughtUp: boolean;
  /** The primary's position it waited for ('' when the primary could not be asked). */
  readonly primaryPosition: string;
}

export function parseMysqlStartReplication(result: CommandResult): StartReplicationOutcome {
  return shaped(
    'startReplication output',
    z.object({ replicating: z.literal(true), started: z.boolean(), caughtUp: z.boolean(), primaryPosition: z.string() }),
    parseJsonLine('startReplication', result),
  );
}

/** What the demote script prints: the final position (MariaDB: per domain the later of `@@gtid_binlog_pos` and `@@gtid_slave_pos`; MySQL `@@gtid_executed`) read after writes were refused. */
export function parseMysqlDemotion(dialect: MysqlDialect, result: CommandResult): Demotion & { readonly killed: number } {
  const d = shaped(
    'demote output',
    z.object({
      demoted: z.literal(true),
      wasWritable: z.boolean(),
      killed: z.number().int().nonnegative(),
      position: z.string().refine((t) => isGtidPosition(dialect, t), `not a ${dialect} GTID position`),
    }),
    parseJsonLine('demote', result),
  );
  const position = dialect === 'mysql' ? formatMysqlGtidSet(parseMysqlGtidSet(d.position)) : d.position;
  return { position, wasWritable: d.wasWritable, killed: d.killed };
}

/** What undoDemote prints (`undone: false`: it was writable already, nothing changed). */
export function parseMysqlUndoDemote(result: CommandResult): { readonly undone: boolean; readonly writable: true } {
  return shaped('undoDemote output', z.object({ undone: z.boolean(), writable: z.literal(true) }), parseJsonLine('undoDemote', result));
}

/**
 * What the rejoin script prints. Errant transactions (MariaDB: one GTID each, found in the
 * binary logs; MySQL: the GTID set `GTID_SUBTRACT` gave) are counted here, one by one, in the
 * engine's lag unit; `needs-restore` without any, or another method with some, is malformed.
 */
export function parseMysqlRejoin(dialect: MysqlDialect, result: CommandResult): Rejoin {
  const r = shaped(
    'rejoin output',
    z.object({ method: z.enum(['already-replica', 'repointed', 'needs-restore']), errant: z.string(), savedTo: z.string() }),
    parseJsonLine('rejoin', result),
  );
  if (r.method !== 'needs-restore') {
    if (r.errant !== '' || r.savedTo !== '') throw new UnexpectedOutputError(`rejoin ${r.method} reported errant transactions ${JSON.stringify(r.errant.slice(0, 200))}`);
    return {
      method: r.method,
      divergent: { amount: 0 },
      detail: [r.method === 'repointed' ? 'no divergent transactions: re-pointed at the new primary in place, read-only, replicating' : 'already replicating from the new primary'],
    };
  }
  let transactions: string[];
  let amount: number;
  if (dialect === 'mysql') {
    const set = parseMysqlGtidSet(r.errant);
    amount = countMysqlGtidSet(set);
    transactions = [...set.keys()].map((uuid) => formatMysqlGtidSet(new Map([[uuid, set.get(uuid)!]])));
  } else {
    transactions = parseMariadbGtidList(r.errant).map(formatMariadbGtid);
    if (new Set(transactions).size !== transactions.length) throw new UnexpectedOutputError(`rejoin listed a GTID twice: ${JSON.stringify(r.errant.slice(0, 200))}`);
    amount = transactions.length;
  }
  if (amount === 0 || !r.savedTo.startsWith('/')) throw new UnexpectedOutputError(`rejoin needs-restore without errant transactions or a saved copy: ${JSON.stringify(r)}`);
  return {
    method: 'needs-restore',
    divergent: { amount, savedTo: r.savedTo, transactions },
    detail: [
      `${amount} transaction(s) the old primary committed after the fork were never on the new primary (${transactions.join(', ')})`,
      `saved aside in ${r.savedTo} on the old primary's host: errant-events.sql (decoded events), the binary logs holding them, errant-gtids.txt`,
      'it is fenced and stopped: restore it from the new primary (restoreReplica), then replay what must be kept by hand',
    ],
  };
}
