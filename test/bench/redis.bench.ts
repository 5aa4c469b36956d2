/**
 * Benchmark: twinstack's Redis replication setup and promotion against the raw
 * commands, measured in the same run, on the same data, on the same lab (two
 * loopback hosts with sshd in private mount namespaces, redis-server 7.0 run as the
 * lab user). It asserts nothing about time.
 *
 *   npx tsx test/bench/redis.bench.ts [rounds=3] [GiB=1.05]      (as root: it starts sshd)
 *
 * The primary is loaded once with incompressible values (1000-byte random hex, by
 * `redis-cli --pipe`), so the full sync moves about as many bytes as the dataset holds.
 * Each round, on a fresh EMPTY twin server both times:
 * - restore: engine.restoreReplica over SSH (auth pre-check, ACL users, masterauth,
 *   REPLICAOF, CONFIG REWRITE, wait for link up + loaded, progress lines) vs a raw
 *   full sync over SSH (CONFIG SET masteruser/masterauth, REPLICAOF, poll every 0.1 s
 *   until `master_link_status:up` and `loading:0`);
 * - promote: engine.promote over SSH (marker, REPLICAOF NO ONE, min-replicas 0,
 *   CONFIG REWRITE, verify) vs a raw `redis-cli REPLICAOF NO ONE` over SSH, each on
 *   the replica its restore just made.
 *
 * Own lab root, mount point and addresses (127.0.35.1 primary, 127.0.36.1 twin).
 * Everything started is stopped at the end, on failure and on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { RemoteCommand } from '../../functions/core/command.ts';
import type { DatabaseSecrets, EngineTarget, RestoreTarget } from '../../functions/core/engines/database-engine.ts';
import { redisEngine } from '../../functions/core/engines/redis/redis.engine.ts';
import { redisSettingsSchema } from '../../functions/core/engines/redis/redis-settings.ts';
import type { Database } from '../../functions/core/model.ts';
import { runChecked } from '../../functions/adapters/ssh/run-checked.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import type { LabNodeHost } from '../../infra/local/lab/lab-database-node.ts';
import { createLab, type LabHost } from '../../infra/local/lab/lab.ts';
import { redisLabNode } from '../../infra/local/lab/nodes/redis.lab-node.ts';

const LAB_ROOT = '/var/tmp/twinstack-bench-redis';
const MOUNT_POINT = '/srv/twinstack-bench-redis';
const PORT = 16379;
const ROUNDS = Number(process.argv[2] ?? 3);
const GIB = Number(process.argv[3] ?? 1.05);
const VALUE_BYTES = 1000;
const SECRETS: DatabaseSecrets = { replicationPassword: `bench-repl-${process.pid}`, appPassword: `bench-app-${process.pid}` };

const config = redisLabNode.databaseConfig({ name: 'cache', host: 'db', port: PORT, mode: 'async', mountPoint: MOUNT_POINT, user: 'twinstack' });
const database = { name: 'cache', engine: 'redis', host: 'db', port: PORT, replication: { mode: 'async', maxLag: 1 << 20 }, redis: redisSettingsSchema.parse(config['redis']) } as unknown as Database;
const dataDir = `${MOUNT_POINT}/redis/cache`;

/** The raw full sync: what an operator types, polled every 0.1 s until the replica is up and loaded. */
const RAW_SYNC = String.raw`set -eu
export REDISCLI_AUTH=$REPL_PW
T=$1; P=$2; PRIMARY=$3; USER=$4
env -u REDISCLI_AUTH redis-cli -h "$T" -p "$P" CONFIG SET masteruser "$USER" >/dev/null
printf '%s' "$REPL_PW" | env -u REDISCLI_AUTH redis-cli -h "$T" -p "$P" -x CONFIG SET masterauth >/dev/null
env -u REDISCLI_AUTH redis-cli -h "$T" -p "$P" REPLICAOF "$PRIMARY" "$P" >/dev/null
until env -u REDISCLI_AUTH redis-cli -h "$T" -p "$P" INFO replication | tr -d '\r' | grep -q '^master_link_status:up' && env -u REDISCLI_AUTH redis-cli -h "$T" -p "$P" INFO persistence | tr -d '\r' | grep -q '^loading:0'; do sleep 0.1; done
`;

/** Load ~GIB GiB of incompressible 1000-byte values into the primary through redis-cli --pipe. */
async function load(address: string, adminPassword: string): Promise<number> {
  const keys = Math.ceil((GIB * 1024 ** 3) / VALUE_BYTES);
  const child = spawn('redis-cli', ['--no-auth-warning', '--user', 'twinstack_admin', '-h', address, '-p', String(PORT), '--pipe'], {
    env: { PATH: '/usr/bin:/bin', REDISCLI_AUTH: adminPassword },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  for (let i = 0; i < keys; i += 1000) {
    let chunk = '';
    for (let j = i; j < Math.min(keys, i + 1000); j++) {
      const key = `bench:${j}`;
      const value = randomBytes(VALUE_BYTES / 2).toString('hex');
      chunk += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
    }
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await done;
  if (code !== 0 || !/errors: 0/.test(out)) throw new Error(`redis-cli --pipe failed: ${out}`);
  return keys;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  redisLabNode.stopAllUnder(LAB_ROOT);
  const lab = await createLab({ labRoot: LAB_ROOT, mountPoint: MOUNT_POINT, hosts: [{ name: 'primary', address: '127.0.35.1' }, { name: 'twin', address: '127.0.36.1' }] });
  const shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
  try {
    const primary = lab.host('primary');
    const twin = lab.host('twin');
    const nodeHost = (h: LabHost): LabNodeHost => ({ host: h.host, namespacePid: h.sshdPid, user: lab.user, mountPoint: MOUNT_POINT, realPath: (path) => h.realPath(path) });
    const onPrimary: EngineTarget = { database, host: primary.host };
    const onTwin: RestoreTarget = { database, host: twin.host, primaryHost: primary.host, replicaName: redisEngine.replicaName(database, 'twin', twin.host) };
    await redisLabNode.initPrimary(nodeHost(primary), database);
    await runChecked(shell, primary.host, redisEngine.preparePrimary({ ...onPrimary, replicaName: onTwin.replicaName, replicaAddress: twin.host.address }, SECRETS));
    const adminPassword = readFileSync(primary.realPath(`${dataDir}/twinstack.admin-auth`), 'utf8').trim();
    const loadStart = performance.now();
    const keys = await load(primary.host.address, adminPassword);
    const status = redisEngine.parseStatus(await runChecked(shell, primary.host, redisEngine.status(onPrimary)));
    console.log(`loaded ${keys} keys in ${((performance.now() - loadStart) / 1000).toFixed(1)} s: used_memory_dataset ${((status.dataBytes ?? 0) / 1024 ** 3).toFixed(2)} GiB`);

    const rawSync: RemoteCommand = {
      description: 'raw full sync',
      argv: ['sh', '-c', RAW_SYNC, 'sh', twin.host.address, String(PORT), primary.host.address, 'twinstack_replicator'],
      secretEnv: { REPL_PW: SECRETS.replicationPassword },
      redact: [SECRETS.replicationPassword],
      timeoutMs: 1_800_000,
    };
    const rawPromote: RemoteCommand = { description: 'raw promote', argv: ['redis-cli', '-h', twin.host.address, '-p', String(PORT), 'REPLICAOF', 'NO', 'ONE'], timeoutMs: 30_000 };
    const time = async (fn: () => Promise<unknown>): Promise<number> => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    const rows = { engineRestore: [] as number[], rawRestore: [] as number[], enginePromote: [] as number[], rawPromote: [] as number[] };
    let received = '';
    for (let round = 1; round <= ROUNDS; round++) {
      await redisLabNode.prepareTwin(nodeHost(twin), database);
      rows.engineRestore.push(
        await time(async () => {
          const r = await runChecked(shell, twin.host, redisEngine.restoreReplica(onTwin, SECRETS));
          received = r.stdout.split('\n').filter((l) => l.startsWith('twinstack-progress')).at(-1) ?? '';
        }),
      );
      rows.enginePromote.push(await time(() => runChecked(shell, twin.host, redisEngine.promote(onTwin))));
      await redisLabNode.prepareTwin(nodeHost(twin), database);
      rows.rawRestore.push(await time(() => runChecked(shell, twin.host, rawSync)));
      rows.rawPromote.push(await time(() => runChecked(shell, twin.host, rawPromote)));
      console.log(`round ${round}: restore ${(rows.engineRestore.at(-1)! / 1000).toFixed(2)} s vs raw ${(rows.rawRestore.at(-1)! / 1000).toFixed(2)} s; promote ${rows.enginePromote.at(-1)!.toFixed(0)} ms vs raw ${rows.rawPromote.at(-1)!.toFixed(0)} ms`);
    }
    console.log(`last engine progress line: ${received}`);
    const table = [
      { what: 'replication setup (full sync)', twinstack: median(rows.engineRestore), raw: median(rows.rawRestore) },
      { what: 'promotion', twinstack: median(rows.enginePromote), raw: median(rows.rawPromote) },
    ].map((r) => ({ ...r, twinstack: `${r.twinstack.toFixed(0)} ms`, raw: `${r.raw.toFixed(0)} ms`, ratio: (r.twinstack / r.raw).toFixed(2) }));
    console.log(`\nmedian of ${ROUNDS} rounds, ${keys} keys × ${VALUE_BYTES} B (incompressible):`);
    console.table(table);
  } finally {
    await shell.close();
    redisLabNode.stopAllUnder(LAB_ROOT);
    await lab.destroy({ removeData: true });
  }
}

await main();
