/**
 * The demo app's databases: one store per published `<ENGINE>_URL[_<NAME>]` env var
 * (POSTGRESQL, MYSQL, REDIS: the names twinstack publishes). Each store writes one
 * numbered record and reports only once the write is durable as the app can tell:
 * a COMMIT returned (SQL), or — for Redis — the write was acknowledged by every
 * attached replica (`WAIT`), because Redis replication is asynchronous.
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createClient } from 'redis';

export interface Store {
  readonly name: string;
  ping(): Promise<void>;
  write(id: number): Promise<void>;
  close(): Promise<void>;
}

const URL_VARIABLE = /^(POSTGRESQL|MYSQL|REDIS)_URL(_[A-Z0-9_]+)?$/;

/** One store per database URL in the published env. */
export function storesFrom(env: Readonly<Record<string, string | undefined>>): Store[] {
  return Object.entries(env).flatMap(([name, url]) => {
    const engine = URL_VARIABLE.exec(name)?.[1];
    if (!engine || !url) return [];
    if (engine === 'POSTGRESQL') return [postgresStore(name, url)];
    if (engine === 'MYSQL') return [mysqlStore(name, url)];
    return [redisStore(name, url)];
  });
}

function postgresStore(name: string, url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 1000, query_timeout: 3000 });
  pool.on('error', () => undefined); // a dead server surfaces on the next query
  let ready = false;
  return {
    name,
    ping: async () => void (await pool.query('SELECT 1')),
    async write(id) {
      if (!ready) await pool.query('CREATE TABLE IF NOT EXISTS drill_writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())');
      ready = true;
      await pool.query('INSERT INTO drill_writes (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [id]);
    },
    close: () => pool.end(),
  };
}

function mysqlStore(name: string, url: string): Store {
  const pool = mysql.createPool({ uri: url, connectionLimit: 4, connectTimeout: 1000 });
  let ready = false;
  return {
    name,
    ping: async () => void (await pool.query({ sql: 'SELECT 1', timeout: 3000 })),
    async write(id) {
      if (!ready) await pool.query('CREATE TABLE IF NOT EXISTS drill_writes (id BIGINT PRIMARY KEY, written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))');
      ready = true;
      await pool.query({ sql: 'INSERT IGNORE INTO drill_writes (id) VALUES (?)', timeout: 3000, values: [id] });
    },
    close: () => pool.end(),
  };
}

function redisStore(name: string, url: string): Store {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: (retries) => Math.min(100 * (retries + 1), 1000) }, disableOfflineQueue: true });
  client.on('error', () => undefined); // a dead server surfaces on the next command
  const connected = client.connect().catch(() => undefined);
  return {
    name,
    async ping() {
      await connected;
      await client.ping();
    },
    async write(id) {
      await connected;
      await client.sAdd('drill_writes', String(id));
      // With a replica attached (INFO replication: connected_slaves), the write counts only once
      // one acknowledged it (WAIT); ROLE would say the same but is an admin command.
      const replicas = Number(/^connected_slaves:(\d+)/m.exec(await client.info('replication'))?.[1] ?? 0);
      if (replicas > 0 && Number(await client.sendCommand(['WAIT', '1', '1000'])) < 1) throw new Error('no replica acknowledged the write within 1 s');
    },
    close: async () => {
      await client.quit().catch(() => undefined);
    },
  };
}
