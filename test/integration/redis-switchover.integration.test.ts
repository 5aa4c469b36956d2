/**
 * Redis switchover and rejoin against real redis-server over real SSH: two lab hosts
 * (a primary and its twin). One ordered scenario:
 *   (a) switchover primary → twin while an app writes: demote, catch up to the token,
 *       promote, rejoin the old primary (partial resync, nothing diverged), and back;
 *       replication PINGs every second: the demoted primary's stream must not grow;
 *   (b) undoDemote gives writes back (and refuses a replica);
 *   (d) rejoin refuses a writable, un-fenced primary and changes nothing;
 *   (c) failover with divergence: the twin is promoted while the old primary still
 *       takes writes, the old one is fenced and rejoined: the divergent bytes are
 *       counted, its data is saved aside, and it replicates from the new primary.
 *
 * Its own lab root, mount point and addresses (other engines' tests may run at the
 * same time).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult, RemoteCommand } from '../../functions/core/command.ts';
import type { DatabaseSecrets, DatabaseStatus, EngineTarget, RejoinTarget } from '../../functions/core/engines/database-engine.ts';
import { parseRedisUndoDemote } from '../../functions/core/engines/redis/parse-redis-status.ts';
import { redisEngine } from '../../functions/core/engines/redis/redis.engine.ts';
import { SILENT_PING_PERIOD_SECONDS } from '../../functions/core/engines/redis/redis-scripts.ts';
import { redisSettings, redisSettingsSchema } from '../../functions/core/engines/redis/redis-settings.ts';
import type { Database, Host } from '../../functions/core/model.ts';
import { runChecked } from '../../functions/adapters/ssh/run-checked.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import type { LabNodeHost } from '../../infra/local/lab/lab-database-node.ts';
import { createLab, type Lab, type LabHost } from '../../infra/local/lab/lab.ts';
import { redisLabNode, REDIS_SERVER } from '../../infra/local/lab/nodes/redis.lab-node.ts';
import { assertLabCanRun } from './it-lab.fixture.ts';
import { eventually } from './eventually.ts';
import { redisAdminCli, withRedisApp } from './fixtures/redis-it.fixture.ts';

const LAB_ROOT = '/var/tmp/twinstack-it-redis-switch';
const MOUNT_POINT = '/srv/twinstack-it-redis-switch';
const PRIMARY = { name: 'primary', address: '127.0.37.1' } as const;
const TWIN = { name: 'twin', address: '127.0.38.1' } as const;
const PORT = 16379;
/** Bounds of the concurrent app writer: it stops at the first refusal, or at these. */
const WRITER_MAX_WRITES = 200_000;
const WRITER_MAX_MS = 20_000;
/**
 * Both servers send a replication PING every second (Redis's default is 10 s), so a
 * demoted primary whose PINGs were not silenced would grow its stream by 14 bytes a
 * second; the switchover watches the demoted primary over this many periods.
 */
const PING_PERIOD_SECONDS = 1;
const PING_PERIODS_WATCHED = 3;

const SECRETS: DatabaseSecrets = {
  replicationPassword: `repl-'q' "d" $x ${process.pid}`,
  appPassword: `app-'q' "d" $y @:/ ${process.pid}`,
};

function redisDatabase(): Database {
  const config = redisLabNode.databaseConfig({ name: 'cache', host: 'db', port: PORT, mode: 'async', mountPoint: MOUNT_POINT, user: 'twinstack' });
  return {
    name: 'cache',
    engine: 'redis',
    host: 'db',
    port: PORT,
    replication: { mode: 'async', maxLag: 1024 * 1024 },
    redis: redisSettingsSchema.parse(config['redis']),
  } as unknown as Database;
}

type App = ReturnType<typeof createClient>;

describe('redis switchover and rejoin over real SSH', () => {
  let lab: Lab;
  let shell: Ssh2RemoteShell;
  let primary: LabHost;
  let twin: LabHost;
  const database = redisDatabase();
  let onPrimary: EngineTarget;
  let onTwin: EngineTarget;

  const exec = (host: Host, command: RemoteCommand): Promise<CommandResult> => shell.exec(host, command);
  const status = async (target: EngineTarget) => redisEngine.parseStatus(await runChecked(shell, target.host, redisEngine.status(target)));
  const urlOf = (target: EngineTarget) => redisEngine.connection(target, SECRETS).url;
  const idsOn = (target: EngineTarget) => redisLabNode.readWrittenIds(urlOf(target));
  const prepareAsPrimary = (target: EngineTarget, replica: EngineTarget) =>
    runChecked(shell, target.host, redisEngine.preparePrimary({ ...target, replicaName: redisEngine.replicaName(database, 'twin', replica.host), replicaAddress: replica.host.address }, SECRETS));
  const demote = async (target: EngineTarget) => redisEngine.parseDemotion(await runChecked(shell, target.host, redisEngine.demote(target)));
  const promote = (target: EngineTarget) => runChecked(shell, target.host, redisEngine.promote(target));
  const rejoinTarget = (oldPrimary: EngineTarget, newPrimary: EngineTarget, primaryStatus: DatabaseStatus): RejoinTarget => ({
    ...oldPrimary,
    primaryHost: newPrimary.host,
    replicaName: redisEngine.replicaName(database, 'twin', oldPrimary.host),
    primaryStatus,
  });
  const rejoin = async (oldPrimary: EngineTarget, newPrimary: EngineTarget) =>
    redisEngine.parseRejoin(await runChecked(shell, oldPrimary.host, redisEngine.rejoin(rejoinTarget(oldPrimary, newPrimary, await status(newPrimary)), SECRETS)));

  /** The log of the server on `host` (its log file, read from the lab host). */
  const logOf = (host: LabHost): string => readFileSync(host.realPath(`${redisSettings(database).dataDir}/redis.log`), 'utf8');

  function withApp<T>(target: EngineTarget, fn: (client: App) => Promise<T>): Promise<T> {
    return withRedisApp(urlOf(target), fn);
  }

  /** redis-cli as twinstack's admin on the host (its host-local credential), over SSH. */
  const adminCli = (target: EngineTarget, ...args: string[]): Promise<string> => redisAdminCli(shell, target, PORT, ...args);

  /**
   * An app adding ids `from, from+1, …` to drill_writes until the server refuses one
   * (or the bounds): the ids it was told were written, and the refusal it got.
   */
  function startWriter(target: EngineTarget, from: number): { readonly done: Promise<{ readonly acknowledged: number[]; readonly refusal: string }> } {
    const done = withApp(target, async (c) => {
      const acknowledged: number[] = [];
      const deadline = Date.now() + WRITER_MAX_MS;
      for (let id = from; id < from + WRITER_MAX_WRITES && Date.now() < deadline; id++) {
        try {
          await c.sAdd('drill_writes', String(id));
          acknowledged.push(id);
        } catch (error) {
          return { acknowledged, refusal: error instanceof Error ? error.message : String(error) };
        }
      }
      return { acknowledged, refusal: '' };
    });
    return { done };
  }

  const pingPeriodOf = async (target: EngineTarget) => (await adminCli(target, 'CONFIG', 'GET', 'repl-ping-replica-period')).split('\n')[1];

  /**
   * Demote `from`, let `to` reach the token, promote `to`: what an app writing meanwhile
   * saw, and where the demoted primary's stream stood after several PING periods with its
   * replica still attached (a PING there, racing the promotion, would be "divergence").
   */
  async function switchover(from: EngineTarget, to: EngineTarget, firstId: number) {
    const writer = startWriter(from, firstId);
    // Let the writer run a moment, so the demotion lands in the middle of its writes.
    await eventually('the app writes', async () => ((await idsOn(to)).some((id) => id >= firstId) ? true : undefined));
    const demotion = await demote(from);
    const written = await writer.done;
    const caughtUp = await eventually('the replica reaches the final position', async () => {
      const s = await status(to);
      return s.position !== undefined && redisEngine.positionDiff(demotion.position, s.position) <= 0 ? s : undefined;
    });
    await sleep(PING_PERIODS_WATCHED * PING_PERIOD_SECONDS * 1000);
    const demotedLater = await status(from);
    const demotedPingPeriod = await pingPeriodOf(from);
    await promote(to);
    return { demotion, written, caughtUp, demotedLater, demotedPingPeriod };
  }

  beforeAll(async () => {
    assertLabCanRun();
    if (!existsSync(REDIS_SERVER)) throw new Error('the Redis integration tests need redis-server: run as root `apt-get install -y redis-server`');
    redisLabNode.stopAllUnder(LAB_ROOT);
    lab = await createLab({ labRoot: LAB_ROOT, mountPoint: MOUNT_POINT, hosts: [PRIMARY, TWIN], install: false });
    primary = lab.host(PRIMARY.name);
    twin = lab.host(TWIN.name);
    const nodeHost = (h: LabHost): LabNodeHost => ({ host: h.host, namespacePid: h.sshdPid, user: lab.user, mountPoint: MOUNT_POINT, realPath: (path) => h.realPath(path) });
    await redisLabNode.initPrimary(nodeHost(primary), database);
    await redisLabNode.prepareTwin(nodeHost(twin), database);
    shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
    onPrimary = { database, host: primary.host };
    onTwin = { database, host: twin.host };
    await prepareAsPrimary(onPrimary, onTwin);
    for (const target of [onPrimary, onTwin]) expect(await adminCli(target, 'CONFIG', 'SET', 'repl-ping-replica-period', String(PING_PERIOD_SECONDS))).toBe('OK');
    await withApp(onPrimary, async (c) => {
      for (let i = 1; i <= 100; i++) await c.sAdd('drill_writes', String(i));
    });
    await runChecked(shell, twin.host, redisEngine.restoreReplica({ ...onTwin, primaryHost: primary.host, replicaName: redisEngine.replicaName(database, 'twin', twin.host) }, SECRETS));
  }, 180_000);

  afterAll(async () => {
    await shell?.close();
    redisLabNode.stopAllUnder(LAB_ROOT);
    await lab?.destroy({ removeData: true });
  });

  it('(a) switches over to the twin while an app writes: refused after the demote, the twin at the token, nothing lost', async () => {
    // Act
    const { demotion, written, caughtUp, demotedLater, demotedPingPeriod } = await switchover(onPrimary, onTwin, 1_000);
    const again = await demote(onPrimary).catch((error: unknown) => error);

    // Assess: the app was told "written" for some ids, then refused with NOREPLICAS.
    expect(demotion.wasWritable).toBe(true);
    expect(written.acknowledged.length).toBeGreaterThan(0);
    expect(written.refusal).toMatch(/NOREPLICAS/);
    await expect(withApp(onPrimary, (c) => c.set('after-demote', '1'))).rejects.toThrow(/NOREPLICAS/);
    expect(await adminCli(onPrimary, 'SET', 'after-demote', '1')).toMatch(/NOREPLICAS/);
    // The twin reached the token; the demoted primary's stream did not grow over several PING periods.
    expect(redisEngine.positionDiff(caughtUp.position!, demotion.position)).toBeGreaterThanOrEqual(0);
    expect(redisEngine.positionDiff(demotedLater.position!, demotion.position)).toBe(0);
    expect(demotedPingPeriod).toBe(String(SILENT_PING_PERIOD_SECONDS));
    const oldPrimary = await status(onPrimary);
    expect(oldPrimary).toMatchObject({ role: 'primary', writable: false, demoted: true, fenced: false });
    // The repeated demote reports the same position, and the primary was no longer writable.
    expect(again).toEqual({ position: demotion.position, wasWritable: false });
    const promoted = await status(onTwin);
    expect(promoted).toMatchObject({ role: 'primary', writable: true, promotedByTwinstack: true, demoted: false });
    expect(promoted.forkPosition).toMatch(/^\d+@[0-9a-f]{40}$/);
    // The fork is exactly where the old primary stopped: nothing diverged.
    expect(redisEngine.positionDiff(oldPrimary.position!, promoted.forkPosition!)).toBe(0);
    const onNewPrimary = await idsOn(onTwin);
    expect(written.acknowledged.filter((id) => !onNewPrimary.includes(id))).toEqual([]);
    expect(onNewPrimary.filter((id) => id <= 100)).toHaveLength(100);
  });

  it('(a) rejoins the old primary as a replica of the new one: partial resync, no divergence, and again as a no-op', async () => {
    // Prepare: the new primary has the replication user (ACL users are not replicated).
    await prepareAsPrimary(onTwin, onPrimary);
    await withApp(onTwin, (c) => c.sAdd('drill_writes', '5000'));

    const logFrom = logOf(primary).length;

    // Act
    const rejoined = await rejoin(onPrimary, onTwin);
    const again = await rejoin(onPrimary, onTwin);

    // Assess
    expect(logOf(primary).slice(logFrom)).toContain('Successful partial resynchronization with master');
    expect(logOf(primary).slice(logFrom)).not.toContain('Full resync from master');
    expect(rejoined).toMatchObject({ method: 'repointed', divergent: { amount: 0 } });
    expect(rejoined.divergent.savedTo).toBeUndefined();
    expect(again).toMatchObject({ method: 'already-replica', divergent: { amount: 0 } });
    const replica = await status(onPrimary);
    expect(replica).toMatchObject({ role: 'replica', writable: false, streaming: true, upstream: `${TWIN.address}:${PORT}`, fenced: false });
    await eventually('the new primary sees its replica online under its name', async () =>
      (await status(onTwin)).replicas?.some((r) => r.name === `${PRIMARY.address}:${PORT}` && r.streaming) ? true : undefined,
    );
    await eventually('the rejoined replica has every id', async () => ((await idsOn(onPrimary)).join() === (await idsOn(onTwin)).join() ? true : undefined));
    expect(await idsOn(onPrimary)).toContain(5000);
    expect(readFileSync(primary.realPath(redisSettings(database).configFile), 'utf8')).toMatch(/^replicaof 127\.0\.38\.1 16379$/m);
    // The PING period the demote silenced is given back (and persisted) by the rejoin.
    expect(await pingPeriodOf(onPrimary)).toBe(String(PING_PERIOD_SECONDS));
    expect(readFileSync(primary.realPath(redisSettings(database).configFile), 'utf8')).toMatch(/^repl-ping-replica-period 1$/m);
    expect(statSync(primary.realPath(redisSettings(database).configFile)).mode & 0o777).toBe(0o600);
  });

  it('(a) switches back to the original primary the same way, nothing lost', async () => {
    // Act
    const { demotion, written, demotedLater } = await switchover(onTwin, onPrimary, 10_000);
    await prepareAsPrimary(onPrimary, onTwin);
    const rejoined = await rejoin(onTwin, onPrimary);

    // Assess
    expect(written.refusal).toMatch(/NOREPLICAS/);
    expect(redisEngine.positionDiff(demotedLater.position!, demotion.position)).toBe(0);
    expect(await pingPeriodOf(onTwin)).toBe(String(PING_PERIOD_SECONDS));
    expect(rejoined).toMatchObject({ method: 'repointed', divergent: { amount: 0 } });
    const onOriginal = await idsOn(onPrimary);
    expect(written.acknowledged.filter((id) => !onOriginal.includes(id))).toEqual([]);
    expect(await status(onPrimary)).toMatchObject({ role: 'primary', writable: true, demoted: false });
    expect(await status(onTwin)).toMatchObject({ role: 'replica', streaming: true, upstream: `${PRIMARY.address}:${PORT}` });
    await eventually('the twin has every id', async () => ((await idsOn(onTwin)).join() === onOriginal.join() ? true : undefined));
  });

  it('(b) undoDemote gives writes back to a demoted primary, again as a no-op, and refuses a replica', async () => {
    // Prepare
    await demote(onPrimary);
    await expect(withApp(onPrimary, (c) => c.sAdd('drill_writes', '20000'))).rejects.toThrow(/NOREPLICAS/);
    expect(await pingPeriodOf(onPrimary)).toBe(String(SILENT_PING_PERIOD_SECONDS));

    // Act
    const undone = parseRedisUndoDemote(await runChecked(shell, primary.host, redisEngine.undoDemote(onPrimary)));
    const again = parseRedisUndoDemote(await runChecked(shell, primary.host, redisEngine.undoDemote(onPrimary)));
    const onReplica = await exec(twin.host, redisEngine.undoDemote(onTwin));

    // Assess
    expect(undone).toEqual({ undone: true, writable: true });
    expect(again).toEqual({ undone: false, writable: true });
    expect(await status(onPrimary)).toMatchObject({ role: 'primary', writable: true, demoted: false });
    await withApp(onPrimary, (c) => c.sAdd('drill_writes', '20001'));
    expect(await adminCli(onPrimary, 'CONFIG', 'GET', 'min-replicas-to-write')).toBe('min-replicas-to-write\n0');
    expect(await pingPeriodOf(onPrimary)).toBe(String(PING_PERIOD_SECONDS));
    expect(onReplica.exitCode).toBe(3);
    expect(onReplica.stderr).toMatch(/a replica, not a primary: refusing to make it writable/);
    expect(await status(onTwin)).toMatchObject({ role: 'replica', writable: false });
  });

  it('(d) rejoin refuses a writable, un-fenced, un-demoted primary and changes nothing', async () => {
    // Prepare: the twin's status as if it were a promoted primary (the refusal must come first).
    const before = await status(onPrimary);
    const configBefore = readFileSync(primary.realPath(redisSettings(database).configFile), 'utf8');
    const pretend: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0', forkPosition: `0@${'a'.repeat(40)}` };

    // Act
    const refused = await exec(primary.host, redisEngine.rejoin(rejoinTarget(onPrimary, onTwin, pretend), SECRETS));

    // Assess
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(/neither fenced nor demoted.*Fix: fence it.*nothing was changed/s);
    expect(refused.stderr).not.toContain(SECRETS.replicationPassword);
    const after = await status(onPrimary);
    expect(after).toMatchObject({ role: 'primary', writable: true, demoted: false, fenced: false });
    expect(after.replicas?.map((r) => r.name)).toEqual(before.replicas?.map((r) => r.name));
    expect(readFileSync(primary.realPath(redisSettings(database).configFile), 'utf8')).toBe(configBefore);
    expect(await status(onTwin)).toMatchObject({ role: 'replica', streaming: true, upstream: `${PRIMARY.address}:${PORT}` });
  });

  it('(c) failover with divergence: the fenced old primary is rejoined, its divergent bytes counted and its data saved aside', async () => {
    // Prepare: the twin is promoted while the old primary still takes writes.
    await eventually('twin caught up', async () => {
      const [p, t] = [await status(onPrimary), await status(onTwin)];
      return redisEngine.positionDiff(p.position!, t.position!) <= 0 ? true : undefined;
    });
    await promote(onTwin);
    await withApp(onPrimary, async (c) => {
      for (let i = 1; i <= 50; i++) await c.set(`diverged:${i}`, `written after the fork ${i}`);
      await c.sAdd('drill_writes', '30000');
    });
    await runChecked(shell, primary.host, redisEngine.fence(onPrimary));
    await prepareAsPrimary(onTwin, onPrimary);
    await withApp(onTwin, (c) => c.sAdd('drill_writes', '30001'));
    const [oldPrimary, newPrimary] = [await status(onPrimary), await status(onTwin)];
    const expectedDivergence = redisEngine.positionDiff(oldPrimary.position!, newPrimary.forkPosition!);
    const logFrom = logOf(primary).length;

    // Act
    const rejoined = redisEngine.parseRejoin(await runChecked(shell, primary.host, redisEngine.rejoin(rejoinTarget(onPrimary, onTwin, newPrimary), SECRETS)));
    const again = await rejoin(onPrimary, onTwin);

    // Assess: the count is the old primary's stream beyond the fork, and it was saved.
    expect(expectedDivergence).toBeGreaterThan(0);
    expect(logOf(primary).slice(logFrom)).toContain('Full resync from master');
    expect(rejoined.method).toBe('repointed');
    expect(rejoined.divergent.amount).toBe(expectedDivergence);
    expect(rejoined.divergent.savedTo).toMatch(new RegExp(`^${redisSettings(database).dataDir}/twinstack-diverged-\\d{8}T\\d{6}Z-[0-9a-f]{40}-${oldPrimary.position}\\.rdb$`));
    expect(rejoined.detail.join(' ')).toMatch(/bytes of replication stream the new primary never received/);
    const saved = primary.realPath(rejoined.divergent.savedTo!);
    expect(statSync(saved).mode & 0o777).toBe(0o600);
    expect(readFileSync(saved).includes('diverged:1')).toBe(true);
    expect(again).toMatchObject({ method: 'already-replica', divergent: { amount: expectedDivergence, savedTo: rejoined.divergent.savedTo } });
    // It now replicates from the new primary: its divergent writes are gone, the new ones are there.
    expect(await status(onPrimary)).toMatchObject({ role: 'replica', streaming: true, upstream: `${TWIN.address}:${PORT}`, fenced: false, writable: false });
    await eventually('the old primary holds the new primary data', async () => ((await idsOn(onPrimary)).join() === (await idsOn(onTwin)).join() ? true : undefined));
    expect(await idsOn(onPrimary)).toContain(30001);
    expect(await idsOn(onPrimary)).not.toContain(30000);
    expect(await withApp(onPrimary, (c) => c.exists('diverged:1'))).toBe(0);
  });
});
