/**
 * The MySQL-family-only argument rules (node arguments, server ids, replica
 * names, secrets the scripts can quote); the shared ones are in ../remote-arguments.ts.
 */
import { InvalidInputError } from '../../errors.ts';
import type { EngineTarget } from '../database-engine.ts';
import { checkAbsolutePath, checkHostAddress, checkIdentifier, checkPort, reject } from '../remote-arguments.ts';
import { mysqlSettings, type MysqlDialect } from './mysql-settings.ts';

/** The client tools of each dialect, by role. */
export const DIALECT_TOOLS: Readonly<Record<MysqlDialect, { client: string; admin: string; backup: string; stream: string; binlog: string }>> = {
  mariadb: { client: 'mariadb', admin: 'mariadb-admin', backup: 'mariadb-backup', stream: 'mbstream', binlog: 'mariadb-binlog' },
  mysql: { client: 'mysql', admin: 'mysqladmin', backup: 'xtrabackup', stream: 'xbstream', binlog: 'mysqlbinlog' },
};

/**
 * The positional arguments every script starts with, in this order:
 * `$1` client directory, `$2` server program, `$3` option file, `$4` data directory,
 * `$5` socket, `$6` port, `$7` admin user, `$8` listen address (node convention of
 * mysql-settings.ts: the host's address for `listenOn: host-address`, else 0.0.0.0).
 */
export function nodeArguments(target: EngineTarget): readonly string[] {
  const s = mysqlSettings(target.database);
  const listen = s.listenOn === 'host-address' ? checkHostAddress('host address', target.host.address) : '0.0.0.0';
  return [
    checkAbsolutePath('bin directory', s.binDir),
    checkAbsolutePath('server program', s.serverBin),
    checkAbsolutePath('option file', s.configFile),
    checkAbsolutePath('data directory', s.dataDir),
    checkAbsolutePath('socket', s.socket),
    checkPort(target.database.port),
    checkIdentifier('admin user', s.adminUser),
    listen,
  ];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The server_id of the copy on a host, derived from its address so the primary
 * and its twin never share one: an IPv4 address as its 32-bit number, a host
 * name by FNV-1a; never 0 (0 disables replication).
 */
export function serverIdOf(address: string): number {
  checkHostAddress('host address', address);
  const m = IPV4.exec(address);
  let id: number;
  if (m) {
    id = m.slice(1, 5).reduce((acc, octet) => acc * 256 + Number(octet), 0);
  } else {
    id = 0x811c9dc5;
    for (const ch of address.toLowerCase()) id = Math.imul(id ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  }
  return id === 0 ? 1 : id;
}

/** A replica's identity as its primary lists it: `report_host:report_port`. */
const REPLICA_NAME = /^([^:\s]+):(\d{1,5})$/;
export function checkReplicaName(value: string): string {
  const m = REPLICA_NAME.exec(value);
  if (!m) reject('replica name', value);
  checkHostAddress('replica name host', m[1]!);
  checkPort(Number(m[2]));
  return value;
}

/**
 * A password the scripts can carry: they quote it for SQL and option files, which
 * cannot hold a newline or NUL (generated secrets never do).
 */
export function checkSecret(what: string, value: string): string {
  if (value.length === 0 || /[\n\r\0]/.test(value)) throw new InvalidInputError(`${what} must be non-empty and hold no newline or NUL`);
  return value;
}
