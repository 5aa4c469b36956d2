/**
 * The drill's demo app: one per stack, the way a compose service would run.
 *
 * It reads every database URL (`POSTGRESQL_URL`, `MYSQL_URL`, `REDIS_URL`, with
 * their `_<NAME>` variants) from the env file the replicate/failover workflows
 * publish (`<deploy.directory>/.env.twinstack`), re-reading it when the file
 * changes, and serves:
 *   GET  /health      200 while the process runs and every database answers
 *   POST /writes/:id  writes one numbered record to EVERY database (stores.ts); 201 only
 *                     once each of them acknowledged it
 *
 * As a compose project (Dockerfile, docker-compose.yml) it runs bundled into one JS
 * file (esbuild, `bundle.ts`) on a base image that holds only the node binary; the
 * container gets the published env through `env_file` and also sees the deploy
 * directory read-only, so it follows a re-published env file without a restart.
 *
 * Usage: node server.js --listen 127.0.1.1:8080 [--published-env /path/.env.twinstack]
 *        (without --published-env, or while that file is missing, the process environment is used)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { parseArgs, parseEnv } from 'node:util';
import { storesFrom, type Store } from './stores.ts';

const { values } = parseArgs({ options: { listen: { type: 'string' }, 'published-env': { type: 'string' } } });
const listen = values.listen ?? '127.0.0.1:8080';
const envFile = values['published-env'];
const [address, portText] = listen.split(':');
const port = Number(portText);

let stores: Store[] = [];
let failedWrites = 0;
let loadedVersion = '';

/** (Re)connect when the published env file appears or changes; never log its content. */
function currentStores(): Store[] {
  let version: string;
  let env: () => Record<string, string | undefined>;
  try {
    if (!envFile) throw new Error('no env file');
    const stat = statSync(envFile);
    version = `${stat.mtimeMs}:${stat.size}`;
    env = () => parseEnv(readFileSync(envFile, 'utf8'));
  } catch {
    // No published file (yet): the environment the process was started with (compose `env_file`).
    version = 'process.env';
    env = () => process.env;
  }
  if (version !== loadedVersion) {
    const next = storesFrom(env());
    if (next.length > 0) {
      const old = stores;
      stores = next;
      for (const store of old) void store.close().catch(() => undefined);
      loadedVersion = version;
    }
  }
  return stores;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify(body));
}

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const dbs = currentStores();
  if (req.method === 'GET' && req.url === '/health') {
    if (dbs.length === 0) return reply(res, 503, { healthy: false, reason: 'no database URL published yet' });
    try {
      await Promise.all(dbs.map((db) => db.ping()));
      return reply(res, 200, { healthy: true, databases: dbs.map((db) => db.name) });
    } catch (error) {
      process.stdout.write(`health: ${(error as Error).message}\n`);
      return reply(res, 503, { healthy: false, reason: (error as Error).message });
    }
  }
  const write = req.method === 'POST' ? /^\/writes\/(\d{1,15})$/.exec(req.url ?? '') : null;
  if (write) {
    if (dbs.length === 0) return reply(res, 503, { error: 'no database yet' });
    const id = Number(write[1]);
    const outcomes = await Promise.allSettled(dbs.map((db) => db.write(id)));
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`${dbs[i]?.name}: ${String((o.reason as Error)?.message ?? o.reason)}`] : []));
    if (failed.length === 0) return reply(res, 201, { id });
    // Bounded log: the first failures and then every hundredth, never the env's values.
    failedWrites += 1;
    if (failedWrites <= 5 || failedWrites % 100 === 0) process.stdout.write(`write ${id} failed (${failedWrites} so far): ${failed.join('; ')}\n`);
    return reply(res, 503, { error: failed.join('; ') });
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
    void Promise.allSettled(stores.map((db) => db.close())).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
