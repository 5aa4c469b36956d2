/**
 * The Redis engine against real redis-server over real SSH: two lab hosts, each
 * seeing its own files at the same paths (like a primary and its clone). One ordered
 * scenario: prepare → refused restore → restore (full sync) → replicate → link
 * failure → fence (survives a restart) → promote → re-promote → refusals → stopped.
 *
 * Its own lab root, mount point, addresses and port (other engines' tests may run at
 * the same time).
 */
import { existsSync } from 'node:fs';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult, RemoteCommand } from '../../functions/core/command.ts';
import type { DatabaseSecrets, EngineTarget, RestoreTarget } from '../../functions/core/engines/database-engine.ts';
import { parseRedisFence, parseRedisPromote } from '../../functions/core/engines/redis/parse-redis-status.ts';
import { redisEngine } from '../../functions/core/engines/redis/redis.engine.ts';
import { redisSettingsSchema } from '../../functions/core/engines/redis/redis-settings.ts';
import type { Database, Host } from '../../functions/core/model.ts';
import { runChecked } from '../../functions/adapters/ssh/run-checked.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import type { LabNodeHost } from '../../infra/local/lab/lab-database-node.ts';
import { createLab, type Lab, type LabHost } from '../../infra/local/lab/lab.ts';
import { redisLabNode, REDIS_SERVER } from '../../infra/local/lab/nodes/redis.lab-node.ts';
import { assertLabCanRun } from './it-lab.fixture.ts';
import { eventually } from './eventually.ts';
import { redisAdminCli, withRedisApp } from './fixtures/redis-it.fixture.ts';

const LAB_ROOT = '/var/tmp/twinstack-it-redis';
const MOUNT_POINT = '/srv/twinstack-it-redis';
const PRIMARY = { name: 'primary', address: '127.0.31.1' } as const;
const TWIN = { name: 'twin', address: '127.0.32.1' } as const;
const PORT = 16379;

const SECRETS: DatabaseSecrets = {
  replicationPassword: `repl-'q' "d" $x ${process.pid}`,
  appPassword: `app-'q' "d" $y @:/ ${process.pid}`,
};
const WRONG_SECRETS: DatabaseSecrets = { ...SECRETS, replicationPassword: `not-the-one-${process.pid}` };

function databaseFor(mode: 'async' | 'sync' = 'async'): Database {
  const config = redisLabNode.databaseConfig({ name: 'cache', host: 'db', port: PORT, mode, mountPoint: MOUNT_POINT, user: 'twinstack' });
  return {
    name: 'cache',
    engine: 'redis',
    host: 'db',
    port: PORT,
    replication: { mode, maxLag: 1024 * 1024 },
    redis: redisSettingsSchema.parse(config['redis']),
  } as unknown as Database;
}


describe('redisEngine over real SSH', () => {
  let lab: Lab;
  let shell: Ssh2RemoteShell;
  let primary: LabHost;
  let twin: LabHost;
  let primaryNode: LabNodeHost;
  let twinNode: LabNodeHost;
  const database = databaseFor();
  let onPrimary: EngineTarget;
  let onTwin: RestoreTarget;

  const exec = (host: Host, command: RemoteCommand): Promise<CommandResult> => shell.exec(host, command);
  const status = async (target: EngineTarget) => redisEngine.parseStatus(await runChecked(shell, target.host, redisEngine.status(target)));
  const prepare = (secrets = SECRETS) =>
    runChecked(shell, primary.host, redisEngine.preparePrimary({ ...onPrimary, replicaName: onTwin.replicaName, replicaAddress: twin.host.address }, secrets));
  const urlOf = (target: EngineTarget) => redisEngine.connection(target, SECRETS).url;

  /** Run `fn` with a fresh app connection (the published URL, as an app would connect). */
  function withApp<T>(target: EngineTarget, fn: (client: ReturnType<typeof createClient>) => Promise<T>): Promise<T> {
    return withRedisApp(urlOf(target), fn);
  }

  /** redis-cli as twinstack's admin on the host (its host-local credential), over SSH. */
  const adminCli = (target: EngineTarget, ...args: string[]): Promise<string> => redisAdminCli(shell, target, PORT, ...args);

  beforeAll(async () => {
    assertLabCanRun();
    if (!existsSync(REDIS_SERVER)) throw new Error('the Redis integration tests need redis-server: run as root `apt-get install -y redis-server`');
    redisLabNode.stopAllUnder(LAB_ROOT);
    lab = await createLab({ labRoot: LAB_ROOT, mountPoint: MOUNT_POINT, hosts: [PRIMARY, TWIN], install: false });
    primary = lab.host(PRIMARY.name);
    twin = lab.host(TWIN.name);
    const nodeHost = (h: LabHost): LabNodeHost => ({ host: h.host, namespacePid: h.sshdPid, user: lab.user, mountPoint: MOUNT_POINT, realPath: (path) => h.realPath(path) });
    primaryNode = nodeHost(primary);
    twinNode = nodeHost(twin);
    await redisLabNode.initPrimary(primaryNode, database);
    await redisLabNode.prepareTwin(twinNode, database);
    shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
    onPrimary = { database, host: primary.host };
    onTwin = { database, host: twin.host, primaryHost: primary.host, replicaName: redisEngine.replicaName(database, 'twin', twin.host) };
  }, 120_000);

  afterAll(async () => {
    await shell?.close();
    redisLabNode.stopAllUnder(LAB_ROOT);
    await lab?.destroy({ removeData: true });
  });

  it('prepares the primary: ACL users, replication settings; it stays a writable primary, twice the same', async () => {
    // Act
    await prepare();
    const again = await prepare();

    // Assess
    expect(again.stdout).toContain('ensured');
    const observed = await status(onPrimary);
    expect(observed).toMatchObject({ role: 'primary', writable: true, fenced: false, promotedByTwinstack: false });
    expect(observed.version).toMatch(/^7\./);
    expect(await adminCli(onPrimary, 'CONFIG', 'GET', 'repl-diskless-sync-delay')).toBe('repl-diskless-sync-delay\n0');
    expect(await withApp(onPrimary, (c) => c.sendCommand(['ACL', 'WHOAMI']))).toBe('app');
  });

  it('the app user writes, and may not run admin commands', async () => {
    // Act
    await withApp(onPrimary, async (c) => {
      for (let i = 1; i <= 200; i++) await c.sAdd('drill_writes', String(i));
      await c.set('greeting', 'hello');
    });

    // Assess
    await expect(withApp(onPrimary, (c) => c.configSet('min-replicas-to-write', '0'))).rejects.toThrow(/NOPERM/);
    expect(await redisLabNode.readWrittenIds(urlOf(onPrimary))).toHaveLength(200);
  });

  it('refuses a restore whose replication credentials the primary rejects, before changing the twin', async () => {
    // Act
    const refused = await exec(twin.host, redisEngine.restoreReplica(onTwin, WRONG_SECRETS));

    // Assess
    expect(refused.exitCode).toBe(7);
    expect(refused.stderr).toMatch(/rejects the replication credentials.*WRONGPASS.*Fix:.*twin was not changed/s);
    expect(refused.stderr).not.toContain(WRONG_SECRETS.replicationPassword);
    expect(await status({ database, host: twin.host })).toMatchObject({ role: 'primary', fenced: false });
  });

  it('restores the twin by a full sync: it streams, caught up, under its announced name', async () => {
    // Act
    const restored = await runChecked(shell, twin.host, redisEngine.restoreReplica(onTwin, SECRETS));

    // Assess
    expect(restored.stdout).toMatch(/replica streaming from 127\.0\.31\.1:16379 at offset \d+/);
    const replica = await status(onTwin);
    // The twin's link is up when the restore returns; the primary moves it to `online` a moment later (seen in CI).
    const onPrimaryNow = await eventually('the primary sees the twin online', async () => {
      const s = await status(onPrimary);
      return s.replicas?.some((r) => r.streaming) ? s : undefined;
    });
    expect(replica).toMatchObject({ role: 'replica', writable: false, streaming: true, upstream: `${PRIMARY.address}:${PORT}`, fenced: false });
    expect(onPrimaryNow.replicas?.map(({ name, streaming, synchronous }) => ({ name, streaming, synchronous }))).toEqual([{ name: `${TWIN.address}:${PORT}`, streaming: true, synchronous: false }]);
    expect(onPrimaryNow.replicas?.[0]?.lag).toBeGreaterThanOrEqual(0);
    await eventually('twin caught up', async () => {
      const [p, t] = [await status(onPrimary), await status(onTwin)];
      return redisEngine.positionDiff(p.position!, t.position!) <= 0 ? true : undefined;
    });
    expect(await redisLabNode.readWrittenIds(redisEngine.connection({ database, host: twin.host }, SECRETS).url)).toHaveLength(200);
  });

  it('restores again without a second full sync (already streaming from this primary)', async () => {
    // Act
    const again = await runChecked(shell, twin.host, redisEngine.restoreReplica(onTwin, SECRETS));
    const started = await runChecked(shell, twin.host, redisEngine.startReplication(onTwin, SECRETS));

    // Assess
    expect(again.stdout).toContain('already a replica');
    expect(started.stdout).toContain('nothing to do');
  });

  it('reports a replica whose link is down because the primary rejects its credentials, and startReplication refuses it', async () => {
    // Prepare: the primary's replication password changes; the replica's connection is cut.
    await prepare(WRONG_SECRETS);
    await adminCli(onPrimary, 'CLIENT', 'KILL', 'TYPE', 'replica');

    // Act
    const down = await eventually('link down with an auth error', async () => {
      const s = await status(onTwin);
      return s.streaming === false && s.replicationError ? s : undefined;
    });
    const start = await exec(twin.host, redisEngine.startReplication(onTwin, SECRETS));

    // Assess
    expect(down).toMatchObject({ role: 'replica', streaming: false });
    expect(down.replicationError).toMatch(/WRONGPASS/);
    expect(start.exitCode).toBe(7);
    expect(start.stderr).toMatch(/rejects the twin's replication credentials/);

    // Restore the right password: the link comes back by itself.
    await prepare();
    await eventually('link up again', async () => ((await status(onTwin)).streaming ? true : undefined));
  });

  it('fences the primary: nobody writes, clients are cut off, and a restart stays fenced', async () => {
    // Prepare: an app connection open before the fence.
    const before = createClient({ url: urlOf(onPrimary), socket: { connectTimeout: 5_000, reconnectStrategy: false } });
    before.on('error', () => undefined);
    await before.connect();
    await before.ping();

    // Act
    const fenced = parseRedisFence(await runChecked(shell, primary.host, redisEngine.fence(onPrimary)));
    const again = parseRedisFence(await runChecked(shell, primary.host, redisEngine.fence(onPrimary)));

    // Assess
    expect(fenced).toEqual({ fenced: true, wasRunning: true });
    expect(again.fenced).toBe(true);
    await expect(before.ping()).rejects.toThrow();
    if (before.isOpen) before.destroy();
    await expect(withApp(onPrimary, (c) => c.set('after-fence', '1'))).rejects.toThrow(/NOREPLICAS/);
    expect(await adminCli(onPrimary, 'SET', 'after-fence', '1')).toMatch(/NOREPLICAS/);
    expect(await adminCli(onPrimary, 'EVAL', "return redis.call('set', 'after-fence', '1')", '0')).toMatch(/NOREPLICAS/);
    expect(await status(onPrimary)).toMatchObject({ role: 'primary', writable: false, fenced: true });

    // A crash and restart: still fenced.
    await redisLabNode.kill(primaryNode, database);
    await redisLabNode.start(primaryNode, database);
    expect(await status(onPrimary)).toMatchObject({ role: 'primary', writable: false, fenced: true });
    await expect(withApp(onPrimary, (c) => c.set('after-restart', '1'))).rejects.toThrow(/NOREPLICAS/);
  });

  it('promotes the twin: writable, marked, and a restart keeps it a primary', async () => {
    // Act
    const outcome = parseRedisPromote(await runChecked(shell, twin.host, redisEngine.promote(onTwin)));

    // Assess
    expect(outcome).toEqual({ promoted: true, alreadyPrimary: false });
    expect(await status(onTwin)).toMatchObject({ role: 'primary', writable: true, fenced: false, promotedByTwinstack: true });
    await withApp(onTwin, (c) => c.sAdd('drill_writes', '201'));
    await redisLabNode.kill(twinNode, database);
    await redisLabNode.start(twinNode, database);
    expect(await status(onTwin)).toMatchObject({ role: 'primary', writable: true, promotedByTwinstack: true });
  });

  it('promotes again as a no-op', async () => {
    // Act
    const outcome = parseRedisPromote(await runChecked(shell, twin.host, redisEngine.promote(onTwin)));

    // Assess
    expect(outcome).toEqual({ promoted: false, alreadyPrimary: true });
  });

  it('refuses to promote a primary twinstack did not promote (the fenced old primary)', async () => {
    // Act
    const refused = await exec(primary.host, redisEngine.promote(onPrimary));

    // Assess
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toMatch(/did not promote/);
    expect(await status(onPrimary)).toMatchObject({ fenced: true, writable: false });
  });

  it('sync mode: the primary refuses writes while no replica acknowledges, and accepts them with one', async () => {
    // Act: the promoted twin is alone.
    await runChecked(shell, twin.host, redisEngine.setSynchronousReplicas(onTwin, [`${PRIMARY.address}:${PORT}`]));

    // Assess
    expect(await status(onTwin)).toMatchObject({ role: 'primary', writable: false });
    await expect(withApp(onTwin, (c) => c.set('k', 'v'))).rejects.toThrow(/NOREPLICAS/);
    await runChecked(shell, twin.host, redisEngine.setSynchronousReplicas(onTwin, []));
    expect(await status(onTwin)).toMatchObject({ role: 'primary', writable: true });
  });

  it('reports a stopped server (exit 0, one JSON line)', async () => {
    // Prepare
    await redisLabNode.kill(twinNode, database);

    // Act
    const result = await runChecked(shell, twin.host, redisEngine.status(onTwin));

    // Assess
    expect(result.exitCode).toBe(0);
    expect(redisEngine.parseStatus(result)).toEqual({ role: 'stopped', writable: false, fenced: false, promotedByTwinstack: true });
  });
});
