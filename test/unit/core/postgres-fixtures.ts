/** Builders for the PostgreSQL engine tests: a primary host, a twin host and one database. */
import type { Host } from '../../../functions/core/model.ts';
import type { PostgresDatabase } from '../../../functions/core/engines/postgres/postgres-settings.ts';
import type { DatabaseSecrets, EngineTarget, RejoinTarget, RestoreTarget } from '../../../functions/core/engines/database-engine.ts';

export function host(overrides: Partial<Host> = {}): Host {
  return { name: 'db', address: '127.0.1.1', sshPort: 2222, user: 'twin', hostKey: 'SHA256:abc', ...overrides };
}

export function database(overrides: Partial<PostgresDatabase> = {}, postgres: Partial<PostgresDatabase['postgres']> = {}): PostgresDatabase {
  return {
    name: 'main',
    engine: 'postgres',
    host: 'db',
    port: 5432,
    replication: { mode: 'async', maxLag: 16 * 1024 * 1024 },
    ...overrides,
    postgres: {
      dataDir: '/var/lib/twinstack/main',
      binDir: '/usr/lib/postgresql/15/bin',
      socketDir: '/var/run/twinstack',
      superuser: 'postgres',
      database: 'shop',
      appUser: 'shop_app',
      replicationUser: 'replicator',
      listenOn: 'all',
      ...postgres,
    },
  };
}

export const SECRETS: DatabaseSecrets = { replicationPassword: "r3pl'ic $(rm -rf /) \"pw", appPassword: 'app p@ss/w:rd&x=1' };

export function target(db: PostgresDatabase = database(), h: Host = host()): EngineTarget {
  return { database: db, host: h };
}

export function restoreTarget(db: PostgresDatabase = database(), overrides: Partial<RestoreTarget> = {}): RestoreTarget {
  return { database: db, host: host({ address: '127.0.2.1' }), primaryHost: host(), replicaName: 'twin_main', ...overrides };
}

/** The old primary (127.0.1.1) rejoining the promoted twin (127.0.2.1). */
export function rejoinTarget(db: PostgresDatabase = database(), overrides: Partial<RejoinTarget> = {}): RejoinTarget {
  return {
    database: db,
    host: host(),
    primaryHost: host({ address: '127.0.2.1' }),
    replicaName: 'primary_main',
    primaryStatus: { role: 'primary', writable: true, fenced: false, position: '0/5000000', forkPosition: '0/30000A0' },
    ...overrides,
  };
}
