/**
 * The drill's demo app: one per stack, the way a compose service would run.
 *
 * It reads DATABASE_URL from the env file the replicate/failover workflows
 * publish (`<deploy.directory>/.env.twinstack`), re-reading it when the file
 * changes, and serves:
 *   GET  /health      200 while the process runs and its database answers
 *   POST /writes/:id  inserts one numbered row; 201 only after COMMIT returned
 *
 * Usage: tsx examples/demo-app/server.ts --listen 127.0.1.1:8080 --published-env /path/.env.twinstack
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { parseArgs, parseEnv } from 'node:util';
import pg from 'pg';

const { values } = parseArgs({ options: { listen: { type: 'string' }, 'published-env': { type: 'string' } } });
const listen = values.listen ?? '127.0.0.1:8080';
const envFile = values['published-env'];
if (!envFile) throw new Error('--published-env is required');
const [address, portText] = listen.split(':');
const port = Number(portText);

let pool: pg.Pool | undefined;
let loadedVersion = '';

/** (Re)connect when the published env file appears or changes; never log its content. */
function currentPool(): pg.Pool | undefined {
  let version: string;
  try {
    const stat = statSync(envFile!);
    version = `${stat.mtimeMs}:${stat.size}`;
  } catch {
    return pool;
  }
  if (version !== loadedVersion) {
    const env = parseEnv(readFileSync(envFile!, 'utf8'));
    const url = env.DATABASE_URL;
    if (url) {
      const old = pool;
      pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 1000, query_timeout: 3000 });
      pool.on('error', () => undefined); // a dead server surfaces on the next query
      void old?.end().catch(() => undefined);
      loadedVersion = version;
    }
  }
  return pool;
}

let tableReady = false;
async function ensureTable(db: pg.Pool): Promise<void> {
  if (tableReady) return;
  await db.query('CREATE TABLE IF NOT EXISTS drill_writes (id bigint PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())');
  tableReady = true;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify(body));
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const db = currentPool();
  if (req.method === 'GET' && req.url === '/health') {
    if (!db) return reply(res, 503, { healthy: false, reason: 'no DATABASE_URL published yet' });
    try {
      await db.query('SELECT 1');
      return reply(res, 200, { healthy: true });
    } catch (error) {
      process.stdout.write(`health: ${(error as Error).message}\n`);
      return reply(res, 503, { healthy: false, reason: (error as Error).message });
    }
  }
  const write = req.method === 'POST' ? /^\/writes\/(\d{1,15})$/.exec(req.url ?? '') : null;
  if (write) {
    if (!db) return reply(res, 503, { error: 'no database yet' });
    try {
      await ensureTable(db);
      await db.query('INSERT INTO drill_writes (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [write[1]]);
      return reply(res, 201, { id: Number(write[1]) });
    } catch (error) {
      return reply(res, 503, { error: (error as Error).message });
    }
  }
  return reply(res, 404, { error: 'not found' });
}

const server = createServer((req, res) => {
  route(req, res).catch((error: unknown) => reply(res, 500, { error: String(error) }));
});
server.listen(port, address, () => process.stdout.write(`demo app listening on ${listen}\n`));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close();
    void pool?.end().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
