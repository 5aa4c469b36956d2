/**
 * The PostgreSQL-only argument rules (replica names, the node arguments every
 * script starts with); the shared ones are in ../remote-arguments.ts.
 */
import type { EngineTarget } from '../database-engine.ts';
import { checkAbsolutePath, checkHostAddress, checkIdentifier, checkPort, reject } from '../remote-arguments.ts';
import { postgresSettings } from './postgres-settings.ts';

/** application_name of a replica: also used inside `"…"` in synchronous_standby_names. */
const REPLICA_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;
export function checkReplicaName(value: string): string {
  if (!REPLICA_NAME.test(value)) reject('replica name', value);
  return value;
}

/**
 * The positional arguments every PostgreSQL script starts with, in this order:
 * `$1` binDir, `$2` dataDir, `$3` socketDir, `$4` port, `$5` superuser, `$6` listen address.
 * The listen address follows the node convention (model.ts): the host's address
 * for `listenOn: host-address`, else `*`.
 */
export function nodeArguments(target: EngineTarget): readonly string[] {
  const pg = postgresSettings(target.database);
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
