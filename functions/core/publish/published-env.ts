/**
 * The env vars apps of a stack get (`.env.twinstack`, and Parameter Store), named
 * as Cloud 66 users already know them. One definition of the naming rule, used by
 * PublishEnvVars and by `validate` (which refuses two databases publishing one name).
 *
 * Per database, with P its engine's prefix (`POSTGRESQL`, `MYSQL`, `REDIS`, `MONGODB`):
 *   P_ADDRESS               host:port of this stack's copy
 *   P_URL                   URL with the app user's credentials
 *   P_SLAVE_ADDRESSES_INT   host:port of its replicas (the other stack's copy while this
 *                           stack is active; empty on the standby stack)
 * suffixed `_<NAME>` (the database name upper-cased, `-` → `_`) when the group has two
 * or more databases of that engine. Plus `DATABASE_URL` = the URL of the group's first
 * SQL database, and TWINSTACK_GROUP, TWINSTACK_STACK, TWINSTACK_ROLE (active|standby)
 * and TWINSTACK_FAILOVER_STATUS (online|offline).
 *
 * Invariant: no two databases of a group publish the same name (envNameCollisions is
 * empty for every valid config), so nothing is silently overwritten.
 */
import type { DatabaseConnection } from '../engines/database-engine.ts';

export interface EnvDatabase {
  readonly name: string;
  /** The engine's env var prefix. */
  readonly prefix: string;
  /** Apps reach it through SQL (candidate for DATABASE_URL). */
  readonly sql: boolean;
}

export interface PublishedDatabase extends EnvDatabase {
  /** This stack's copy. */
  readonly connection: DatabaseConnection;
  /** host:port of its replicas as apps of this stack should see them (empty on a standby stack). */
  readonly replicaAddresses: readonly string[];
}

export interface StackEnvInput {
  readonly group: string;
  readonly stack: string;
  readonly active: boolean;
  /** In config order (the first SQL database publishes DATABASE_URL). */
  readonly databases: readonly PublishedDatabase[];
}

function suffixOf(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/** The env var names of each database, in config order: `{ ADDRESS, URL, SLAVE_ADDRESSES_INT }` per database. */
export function databaseEnvNames(databases: readonly EnvDatabase[]): { address: string; url: string; replicas: string }[] {
  const perPrefix = new Map<string, number>();
  for (const db of databases) perPrefix.set(db.prefix, (perPrefix.get(db.prefix) ?? 0) + 1);
  return databases.map((db) => {
    const suffix = (perPrefix.get(db.prefix) ?? 0) > 1 ? `_${suffixOf(db.name)}` : '';
    return { address: `${db.prefix}_ADDRESS${suffix}`, url: `${db.prefix}_URL${suffix}`, replicas: `${db.prefix}_SLAVE_ADDRESSES_INT${suffix}` };
  });
}

/** Every env var name two or more databases would publish, with who publishes it. Empty: no collision. */
export function envNameCollisions(databases: readonly EnvDatabase[]): { name: string; databases: string[] }[] {
  const owners = new Map<string, string[]>();
  databaseEnvNames(databases).forEach((names, i) => {
    for (const name of Object.values(names)) owners.set(name, [...(owners.get(name) ?? []), databases[i]?.name ?? '?']);
  });
  return [...owners.entries()].filter(([, who]) => who.length > 1).map(([name, who]) => ({ name, databases: who }));
}

/** The env of one stack. */
export function stackEnv(input: StackEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  const names = databaseEnvNames(input.databases);
  input.databases.forEach((db, i) => {
    const n = names[i];
    if (!n) return;
    env[n.address] = db.connection.address;
    env[n.url] = db.connection.url;
    env[n.replicas] = db.replicaAddresses.join(',');
  });
  const firstSql = input.databases.find((db) => db.sql);
  if (firstSql) env['DATABASE_URL'] = firstSql.connection.url;
  return {
    ...env,
    TWINSTACK_GROUP: input.group,
    TWINSTACK_STACK: input.stack,
    TWINSTACK_ROLE: input.active ? 'active' : 'standby',
    TWINSTACK_FAILOVER_STATUS: input.active ? 'online' : 'offline',
  };
}
