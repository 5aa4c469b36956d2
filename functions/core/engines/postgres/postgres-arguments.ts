/**
 * Defensive validation of every value a PostgreSQL command sends to a host.
 *
 * The config schema validated these already; the engine checks again so that a
 * value reaching a script can never carry shell, SQL or conninfo syntax: every
 * accepted value is free of whitespace, quotes, `$`, backslashes and `;`.
 * Values travel as positional parameters (`sh -c '<fixed script>' sh <args…>`),
 * never interpolated into a script. Anything odd throws InvalidInputError.
 */
import { InvalidInputError } from '../../errors.ts';
import type { EngineTarget } from '../database-engine.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** application_name of a replica: also used inside `"…"` in synchronous_standby_names. */
const REPLICA_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9_./-]*$/;

function reject(what: string, value: unknown): never {
  throw new InvalidInputError(`invalid ${what}: ${JSON.stringify(String(value).slice(0, 80))}`);
}

/** A PostgreSQL role or database name that needs no quoting anywhere (letters, digits, `_`). */
export function checkIdentifier(what: string, value: string): string {
  if (!IDENTIFIER.test(value)) reject(what, value);
  return value;
}

export function checkReplicaName(value: string): string {
  if (!REPLICA_NAME.test(value)) reject('replica name', value);
  return value;
}

export function checkIpv4(what: string, value: string): string {
  if (!IPV4.test(value)) reject(what, value);
  return value;
}

/** An IPv4 address or a DNS host name. */
export function checkHostAddress(what: string, value: string): string {
  if (!IPV4.test(value) && !HOSTNAME.test(value)) reject(what, value);
  return value;
}

export function checkPort(value: number): string {
  if (!Number.isInteger(value) || value < 1 || value > 65535) reject('port', value);
  return String(value);
}

/** An absolute path of safe characters, without `.`/`..` segments, not `/` itself. */
export function checkAbsolutePath(what: string, value: string): string {
  if (!ABSOLUTE_PATH.test(value) || value === '/' || value.endsWith('/')) reject(what, value);
  if (value.split('/').some((segment, i) => i > 0 && (segment === '' || segment === '.' || segment === '..'))) reject(what, value);
  return value;
}

/** A data directory that may be emptied: absolute, not `/`, at least two levels deep (`/a/b`). */
export function checkRemovableDataDir(value: string): string {
  checkAbsolutePath('data directory', value);
  if (value.split('/').length < 3) throw new InvalidInputError(`refusing to empty a data directory less than two levels deep: ${value}`);
  return value;
}

/**
 * The positional arguments every PostgreSQL script starts with, in this order:
 * `$1` binDir, `$2` dataDir, `$3` socketDir, `$4` port, `$5` superuser, `$6` listen address.
 * The listen address follows the node convention (model.ts): the host's address
 * for `listenOn: host-address`, else `*`.
 */
export function nodeArguments(target: EngineTarget): readonly string[] {
  const pg = target.database.postgres;
  const listen = pg.listenOn === 'host-address' ? checkHostAddress('host address', target.host.address) : '*';
  return [
    checkAbsolutePath('bin directory', pg.binDir),
    checkAbsolutePath('data directory', pg.dataDir),
    checkAbsolutePath('socket directory', pg.socketDir),
    checkPort(target.database.port),
    checkIdentifier('superuser', pg.superuser),
    listen,
  ];
}

/**
 * The value of synchronous_standby_names for these replicas: `FIRST 1 ("a", "b")`,
 * or `''` (asynchronous) for none. Names are validated, so the quoting is exact.
 */
export function synchronousStandbyNames(replicaNames: readonly string[]): string {
  if (replicaNames.length === 0) return '';
  return `FIRST 1 (${replicaNames.map((n) => `"${checkReplicaName(n)}"`).join(', ')})`;
}
