/**
 * GTID positions of both MySQL-family dialects, parsed and compared exactly.
 *
 * - MariaDB: a position is one GTID per replication domain, `domain-server-seq`
 *   (`0-1-42,1-7-9`). Within a domain, sequence numbers grow by one per event
 *   group whatever server wrote it (gtid_strict_mode), so the transactions `to`
 *   has that `from` lacks in a domain are `to.seq - from.seq`.
 * - MySQL 8: a GTID set, `uuid:1-5:7-9,uuid2:1-3` (whitespace and newlines allowed
 *   after commas): the count is the size of the set difference, interval by interval.
 *
 * Invariant: malformed text throws UnexpectedOutputError; nothing is guessed. The
 * empty string is the empty position (a fresh server).
 */
import { UnexpectedOutputError } from '../../errors.ts';

export type GtidDialect = 'mariadb' | 'mysql';

/** MariaDB: the last GTID of each domain. */
export interface MariadbGtid {
  readonly domain: number;
  readonly server: number;
  readonly seq: number;
}

/** MySQL: closed intervals [start, end] per source uuid (lower case), sorted and merged. */
export type MysqlGtidSet = ReadonlyMap<string, readonly (readonly [number, number])[]>;

const MARIADB_GTID = /^(\d{1,10})-(\d{1,10})-(\d{1,20})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INTERVAL = /^(\d{1,19})(?:-(\d{1,19}))?$/;

function fail(what: string, text: string): never {
  throw new UnexpectedOutputError(`not a ${what}: ${JSON.stringify(text.slice(0, 200))}`);
}

function safeNumber(digits: string, what: string, text: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) fail(what, text);
  return n;
}

function items(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** All GTIDs of a MariaDB list (`gtid_binlog_state` may hold several per domain, one per server). */
export function parseMariadbGtidList(text: string): MariadbGtid[] {
  return items(text).map((item) => {
    const m = MARIADB_GTID.exec(item);
    if (!m) fail('MariaDB GTID position', text);
    return { domain: safeNumber(m[1]!, 'MariaDB GTID position', text), server: safeNumber(m[2]!, 'MariaDB GTID position', text), seq: safeNumber(m[3]!, 'MariaDB GTID position', text) };
  });
}

/** A MariaDB position: one GTID per domain (a repeated domain is malformed). */
export function parseMariadbGtidPos(text: string): ReadonlyMap<number, MariadbGtid> {
  const byDomain = new Map<number, MariadbGtid>();
  for (const gtid of parseMariadbGtidList(text)) {
    if (byDomain.has(gtid.domain)) fail('MariaDB GTID position (one GTID per domain)', text);
    byDomain.set(gtid.domain, gtid);
  }
  return byDomain;
}

export function formatMariadbGtid(g: MariadbGtid): string {
  return `${g.domain}-${g.server}-${g.seq}`;
}

function merge(intervals: (readonly [number, number])[]): [number, number][] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out.at(-1);
    if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

export function parseMysqlGtidSet(text: string): MysqlGtidSet {
  const set = new Map<string, [number, number][]>();
  for (const item of items(text.replace(/\s+/g, ''))) {
    const [uuidRaw, ...ranges] = item.split(':');
    const uuid = (uuidRaw ?? '').toLowerCase();
    if (!UUID.test(uuid) || ranges.length === 0) fail('MySQL GTID set', text);
    const intervals = ranges.map((r): [number, number] => {
      const m = INTERVAL.exec(r);
      if (!m) fail('MySQL GTID set', text);
      const start = safeNumber(m[1]!, 'MySQL GTID set', text);
      const end = m[2] === undefined ? start : safeNumber(m[2], 'MySQL GTID set', text);
      if (start < 1 || end < start) fail('MySQL GTID set', text);
      return [start, end];
    });
    set.set(uuid, merge([...(set.get(uuid) ?? []), ...intervals]));
  }
  return set;
}

export function formatMysqlGtidSet(set: MysqlGtidSet): string {
  return [...set.entries()]
    .filter(([, iv]) => iv.length > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([uuid, iv]) => `${uuid}:${iv.map(([s, e]) => (s === e ? `${s}` : `${s}-${e}`)).join(':')}`)
    .join(',');
}

/** `a ∪ b` for MySQL GTID sets. */
export function unionMysqlGtidSets(a: MysqlGtidSet, b: MysqlGtidSet): MysqlGtidSet {
  const out = new Map<string, [number, number][]>();
  for (const set of [a, b]) for (const [uuid, iv] of set) out.set(uuid, merge([...(out.get(uuid) ?? []), ...iv]));
  return out;
}

/** `a \ b` for MySQL GTID sets. */
export function subtractMysqlGtidSets(a: MysqlGtidSet, b: MysqlGtidSet): MysqlGtidSet {
  const out = new Map<string, [number, number][]>();
  for (const [uuid, intervals] of a) {
    let rest: [number, number][] = intervals.map(([s, e]) => [s, e]);
    for (const [bs, be] of b.get(uuid) ?? []) {
      rest = rest.flatMap(([s, e]): [number, number][] => {
        if (be < s || bs > e) return [[s, e]];
        const parts: [number, number][] = [];
        if (bs > s) parts.push([s, bs - 1]);
        if (be < e) parts.push([be + 1, e]);
        return parts;
      });
    }
    if (rest.length > 0) out.set(uuid, rest);
  }
  return out;
}

export function countMysqlGtidSet(set: MysqlGtidSet): number {
  let n = 0;
  for (const intervals of set.values()) for (const [s, e] of intervals) n += e - s + 1;
  return n;
}

/** The transactions position `to` has that `from` lacks, as a count (never negative). */
export function missingTransactions(dialect: GtidDialect, to: string, from: string): number {
  if (dialect === 'mysql') return countMysqlGtidSet(subtractMysqlGtidSets(parseMysqlGtidSet(to), parseMysqlGtidSet(from)));
  const fromPos = parseMariadbGtidPos(from);
  let n = 0;
  for (const [domain, gtid] of parseMariadbGtidPos(to)) n += Math.max(0, gtid.seq - (fromPos.get(domain)?.seq ?? 0));
  return n;
}

/**
 * How far `from` is behind `to` in transactions: the count `to` has that `from`
 * lacks when positive; otherwise minus the count `from` has that `to` lacks (≤ 0).
 */
export function gtidDiff(dialect: GtidDialect, to: string, from: string): number {
  const behind = missingTransactions(dialect, to, from);
  if (behind > 0) return behind;
  const ahead = missingTransactions(dialect, from, to);
  return ahead === 0 ? 0 : -ahead;
}

/**
 * MariaDB errant GTIDs of a replica: the last GTID per (domain, server) of its
 * binlog (`gtid_binlog_state`) written with its OWN server id and beyond what it
 * applied from its primary in that domain (`gtid_slave_pos`). A replica writes
 * GTIDs with its own id only for a local write: its primary never had them.
 */
export function mariadbErrantGtids(binlogState: string, slavePos: string, ownServerId: number): string[] {
  const applied = parseMariadbGtidPos(slavePos);
  return parseMariadbGtidList(binlogState)
    .filter((g) => g.server === ownServerId && g.seq > (applied.get(g.domain)?.seq ?? 0))
    .map(formatMariadbGtid);
}

/** MySQL errant GTIDs of a replica: what it executed under its own server_uuid (one entry per uuid, `uuid:1-3`). */
export function mysqlErrantGtids(executed: string, ownUuid: string): string[] {
  const own = parseMysqlGtidSet(executed).get(ownUuid.toLowerCase());
  return own ? [formatMysqlGtidSet(new Map([[ownUuid.toLowerCase(), own]]))] : [];
}

/** Well-formed position text of this dialect (the empty position included). */
export function isGtidPosition(dialect: GtidDialect, text: string): boolean {
  try {
    if (dialect === 'mysql') parseMysqlGtidSet(text);
    else parseMariadbGtidPos(text);
    return true;
  } catch {
    return false;
  }
}
