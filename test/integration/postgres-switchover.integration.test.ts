/**
 * PostgreSQL switchover and rejoin against real servers over real SSH (issue #10): two
 * lab hosts of their own (root, addresses and mount point apart from every other test).
 * One ordered scenario:
 * (a) switchover primary → twin with zero loss (demote, exact catch-up token, promote,
 *     rejoin `repointed`), then back twin → primary;
 * (b) a demotion undone: writes come back, nothing was promoted;
 * (c) a failover with divergence: the twin is promoted while the old primary still takes
 *     writes, the old primary crashes and is fenced, rejoin `rewound` saves its divergent
 *     WAL aside and makes it stream from the new primary;
 * (d) inside (c): rejoin refuses the old primary while it is a writable, un-fenced primary.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandResult } from '../../functions/core/command.ts';
import type { DatabaseSecrets, DatabaseStatus, EngineTarget, RejoinTarget } from '../../functions/core/engines/database-engine.ts';
import { postgresSettings, type PostgresDatabase } from '../../functions/core/engines/postgres/postgres-settings.ts';
import { postgresEngine } from '../../functions/core/engines/postgres/postgres.engine.ts';
import type { Host } from '../../functions/core/model.ts';
import { runChecked } from '../../functions/adapters/ssh/run-checked.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import { createLab, type Lab, type LabHost } from '../../infra/local/lab/lab.ts';
import { assertLabCanRun, itDatabase } from './it-lab.fixture.ts';
import { eventually } from './eventually.ts';

const LAB_ROOT = '/var/tmp/twinstack-it-pg-switch';
const MOUNT_POINT = '/srv/twinstack-it-pg-switch';
const PRIMARY = { name: 'primary', address: '127.0.13.1' } as const;
const TWIN = { name: 'twin', address: '127.0.14.1' } as const;
const PORT = 15432;
/** The twin's identity as a replica of the primary, and the primary's as a replica of the twin. */
const TWIN_AS_REPLICA = 'twin_main';
const PRIMARY_AS_REPLICA = 'primary_main';
/** Loopback connections leave from 127.0.0.1 whatever lab address they go to. */
const SOURCE_ADDRESS = '127.0.0.1';
const SECRETS: DatabaseSecrets = {
  replicationPassword: `repl-'q' "d" \\b $x ${process.pid}`,
  appPassword: `app-'q' "d" $y ${process.pid}`,
};

describe('PostgreSQL switchover and rejoin over real SSH', () => {
  let lab: Lab;
  let shell: Ssh2RemoteShell;
  let a: LabHost;
  let b: LabHost;
  let database: PostgresDatabase;
  let onA: EngineTarget;
  let onB: EngineTarget;
  /** Durations of the switchover's steps, for the report (never asserted). */
  const timings: Record<string, number> = {};

  const run = (target: EngineTarget, command: Parameters<Ssh2RemoteShell['exec']>[1]) => runChecked(shell, target.host, command);
  /** Run and return the result whatever the exit code (for refusals). */
  const attempt = (target: EngineTarget, command: Parameters<Ssh2RemoteShell['exec']>[1]): Promise<CommandResult> => shell.exec(target.host, command);
  const status = async (target: EngineTarget) => postgresEngine.parseStatus(await run(target, postgresEngine.status(target)));
  const prepare = (primary: EngineTarget, replicaName: string) => run(primary, postgresEngine.preparePrimary({ ...primary, replicaName, replicaAddress: SOURCE_ADDRESS }, SECRETS));
  const rejoinTarget = (old: EngineTarget, primary: EngineTarget, primaryStatus: DatabaseStatus, replicaName: string): RejoinTarget => ({
    ...old,
    primaryHost: primary.host,
    replicaName,
    primaryStatus,
  });
  const scalar = async (target: EngineTarget, sql: string): Promise<string> => {
    const settings = postgresSettings(target.database);
    const result = await run(target, {
      description: 'psql check',
      argv: [`${settings.binDir}/psql`, '-h', settings.socketDir, '-p', String(PORT), '-U', settings.superuser, '-d', 'postgres', '-XAtq', '-c', sql],
      timeoutMs: 20_000,
    });
    return result.stdout.trim();
  };
  const dataPath = (h: LabHost, name = '') => h.realPath(`${database.postgres.dataDir}${name}`);

  async function withApp<T>(h: Host, fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ host: h.address, port: PORT, database: 'app', user: 'app', password: SECRETS.appPassword, connectionTimeoutMillis: 5_000, statement_timeout: 10_000, query_timeout: 15_000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }
  const insert = (h: Host, ids: readonly number[], note: string) =>
    withApp(h, async (c) => {
      for (const id of ids) await c.query('INSERT INTO items (id, note) VALUES ($1, $2)', [id, note]);
    });
  const idsOn = (h: Host) => withApp(h, async (c) => (await c.query<{ id: number }>('SELECT id FROM items ORDER BY id')).rows.map((r) => r.id));
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = Math.round(performance.now() - started);
    }
  };

  /** Switch over from `from` (the primary) to `to` (its streaming replica); returns the demotion. */
  async function switchover(from: EngineTarget, to: EngineTarget, fromAsReplica: string, label: string) {
    const demotion = postgresEngine.parseDemotion(await timed(`${label}: demote`, () => run(from, postgresEngine.demote(from))));
    // The catch-up token: the replica has everything exactly when positionDiff(token, its position) <= 0.
    const caughtUp = await timed(`${label}: replica reaches the token`, () =>
      eventually('the replica reaches the demotion token', async () => {
        const s = await status(to);
        return s.position !== undefined && postgresEngine.positionDiff(demotion.position, s.position) <= 0 ? s : undefined;
      }),
    );
    await timed(`${label}: promote`, () => run(to, postgresEngine.promote(to)));
    const promoted = await status(to);
    await prepare(to, fromAsReplica);
    const rejoin = postgresEngine.parseRejoin(await timed(`${label}: rejoin`, () => run(from, postgresEngine.rejoin(rejoinTarget(from, to, promoted, fromAsReplica), SECRETS))));
    return { demotion, caughtUp, promoted, rejoin };
  }

  beforeAll(async () => {
    assertLabCanRun();
    lab = await createLab({ labRoot: LAB_ROOT, mountPoint: MOUNT_POINT, hosts: [PRIMARY, TWIN], install: false });
    a = lab.host(PRIMARY.name);
    b = lab.host(TWIN.name);
    database = itDatabase('postgres', { user: lab.user.name, port: PORT, mountPoint: MOUNT_POINT, mode: 'sync' }) as PostgresDatabase;
    shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
    onA = { database, host: a.host };
    onB = { database, host: b.host };
    await lab.initPrimary(PRIMARY.name, database);
    await lab.prepareTwin(TWIN.name, database);
    await prepare(onA, TWIN_AS_REPLICA);
    const restore = { ...onB, primaryHost: a.host, replicaName: TWIN_AS_REPLICA };
    await run(onB, postgresEngine.restoreReplica(restore, SECRETS));
    await run(onB, postgresEngine.startReplication(restore, SECRETS));
    await eventually('the twin streams synchronously', async () => ((await status(onA)).replicas ?? []).find((r) => r.name === TWIN_AS_REPLICA && r.streaming && r.synchronous), 30_000, 250);
    await withApp(a.host, (c) => c.query('CREATE TABLE items (id int PRIMARY KEY, note text NOT NULL)'));
  }, 240_000);

  afterAll(async () => {
    console.log(`switchover timings (ms): ${JSON.stringify(timings)}`);
    await shell?.close();
    await lab?.destroy({ removeData: true });
  });

  it('(a) switches over primary → twin with zero loss: demoted, exact token, promoted, old primary re-pointed', async () => {
    // Prepare
    await insert(a.host, range(1, 50), 'before the switchover');

    // Act
    const { demotion, caughtUp, promoted, rejoin } = await switchover(onA, onB, PRIMARY_AS_REPLICA, 'a→b');

    // Assess: the token is exactly the replica's replay and receive position (a clean shutdown ships it all)
    expect(demotion.wasWritable).toBe(true);
    expect(postgresEngine.positionDiff(demotion.position, caughtUp.position ?? '')).toBe(0);
    expect(caughtUp.receivedPosition).toBe(demotion.position);
    // The promotion forked exactly at the token, so the old primary holds nothing beyond it
    expect(promoted).toMatchObject({ role: 'primary', writable: true, forkPosition: demotion.position });
    expect(rejoin).toMatchObject({ method: 'repointed', divergent: { amount: 0 } });
    expect(rejoin.divergent.savedTo).toBeUndefined();
    const old = await status(onA);
    expect(old).toMatchObject({ role: 'replica', writable: false, streaming: true, upstream: `${TWIN.address}:${PORT}`, fenced: false, demoted: false, promotedByTwinstack: false });
    // A new write on the new primary (synchronous: the rejoined old primary acknowledges it) reaches the old one; nothing was lost
    await insert(b.host, [51], 'after the switchover');
    expect(await eventually('row 51 on the old primary', async () => ((await idsOn(a.host)).includes(51) ? idsOn(a.host) : undefined))).toEqual(range(1, 51));
    expect(((await status(onB)).replicas ?? []).find((r) => r.name === PRIMARY_AS_REPLICA)).toMatchObject({ streaming: true, synchronous: true });
    await expect(insert(a.host, [999], 'must fail')).rejects.toThrow(/read-only/);
  });

  it('preparing the new primary again (roles reversed) changes nothing: no pg_hba.conf line added, no restart', async () => {
    // Prepare
    const hbaBefore = readFileSync(dataPath(b, '/pg_hba.conf'), 'utf8');
    const startedBefore = await scalar(onB, 'SELECT pg_postmaster_start_time()');

    // Act
    const again = await prepare(onB, PRIMARY_AS_REPLICA);

    // Assess
    expect(again.stdout).not.toMatch(/pg_hba\.conf added/);
    expect(readFileSync(dataPath(b, '/pg_hba.conf'), 'utf8')).toBe(hbaBefore);
    expect(await scalar(onB, 'SELECT pg_postmaster_start_time()')).toBe(startedBefore);
    expect(hbaBefore).toContain(`host postgres twinstack_replicator ${SOURCE_ADDRESS}/32 scram-sha-256`);
  });

  it('a repeated rejoin is a no-op: already a replica, same walreceiver', async () => {
    // Prepare
    const receiverBefore = await scalar(onA, 'SELECT pid FROM pg_stat_wal_receiver');

    // Act
    const again = postgresEngine.parseRejoin(await run(onA, postgresEngine.rejoin(rejoinTarget(onA, onB, await status(onB), PRIMARY_AS_REPLICA), SECRETS)));

    // Assess
    expect(again).toMatchObject({ method: 'already-replica', divergent: { amount: 0 } });
    expect(await scalar(onA, 'SELECT pid FROM pg_stat_wal_receiver')).toBe(receiverBefore);
  });

  it('(a) switches back twin → primary the same way; a repeated demote reports the same position', async () => {
    // Prepare
    await insert(b.host, range(52, 60), 'on the twin');

    // Act
    const demotion = postgresEngine.parseDemotion(await run(onB, postgresEngine.demote(onB)));
    const repeated = postgresEngine.parseDemotion(await run(onB, postgresEngine.demote(onB)));
    const stoppedTwin = await status(onB);
    const caughtUp = await eventually('the old primary reaches the token', async () => {
      const s = await status(onA);
      return s.position !== undefined && postgresEngine.positionDiff(demotion.position, s.position) <= 0 ? s : undefined;
    });
    await run(onA, postgresEngine.promote(onA));
    const promoted = await status(onA);
    await prepare(onA, TWIN_AS_REPLICA);
    const rejoin = postgresEngine.parseRejoin(await run(onB, postgresEngine.rejoin(rejoinTarget(onB, onA, promoted, TWIN_AS_REPLICA), SECRETS)));

    // Assess
    expect(repeated).toEqual({ position: demotion.position, wasWritable: false });
    expect(stoppedTwin).toMatchObject({ role: 'stopped', writable: false, demoted: true });
    expect(caughtUp.position).toBe(demotion.position);
    expect(promoted).toMatchObject({ role: 'primary', writable: true, forkPosition: demotion.position, promotedByTwinstack: true });
    expect(rejoin).toMatchObject({ method: 'repointed', divergent: { amount: 0 } });
    expect(await status(onB)).toMatchObject({ role: 'replica', streaming: true, upstream: `${PRIMARY.address}:${PORT}`, demoted: false, fenced: false, promotedByTwinstack: false });
    await insert(a.host, [61], 'after switching back');
    expect(await eventually('row 61 on the twin', async () => ((await idsOn(b.host)).includes(61) ? idsOn(b.host) : undefined))).toEqual(range(1, 61));
  });

  it('(b) undoDemote gives writes back to a demoted primary; nothing is promoted, the twin follows again', async () => {
    // Prepare
    const demotion = postgresEngine.parseDemotion(await run(onA, postgresEngine.demote(onA)));
    await expect(insert(a.host, [62], 'refused')).rejects.toThrow();
    const refusedOnReplica = await attempt(onB, postgresEngine.undoDemote(onB));

    // Act
    const undone = await run(onA, postgresEngine.undoDemote(onA));
    const repeated = await run(onA, postgresEngine.undoDemote(onA));

    // Assess
    expect(refusedOnReplica.exitCode).toBe(5);
    expect(JSON.parse(undone.stdout.trim())).toEqual({ undone: true, writable: true });
    expect(JSON.parse(repeated.stdout.trim())).toEqual({ undone: false, writable: true });
    expect(await status(onA)).toMatchObject({ role: 'primary', writable: true, demoted: false, fenced: false });
    expect(existsSync(dataPath(a, '/standby.signal'))).toBe(false);
    expect(await status(onB)).toMatchObject({ role: 'replica', writable: false });
    await insert(a.host, [62], 'after the undo');
    expect(await eventually('row 62 on the twin', async () => ((await idsOn(b.host)).includes(62) ? idsOn(b.host) : undefined))).toEqual(range(1, 62));
    expect(postgresEngine.positionDiff((await status(onA)).position ?? '', demotion.position)).toBeGreaterThan(0);
  });

  it('(c, d) failover with divergence: rejoin refuses the still-writable old primary, then rewinds it once fenced', async () => {
    // Prepare: asynchronous, so the old primary keeps committing after the twin's promotion (the divergence)
    await run(onA, postgresEngine.setSynchronousReplicas(onA, []));
    await insert(a.host, range(63, 70), 'replicated before the failover');
    await eventually('row 70 on the twin', async () => ((await idsOn(b.host)).includes(70) ? true : undefined));
    await run(onB, postgresEngine.promote(onB));
    const promoted = await status(onB);
    await insert(a.host, range(1001, 1020), 'divergent: written on the old primary after the promotion');
    await insert(b.host, [71], 'on the new primary');
    const startedBefore = await scalar(onA, 'SELECT pg_postmaster_start_time()');

    // Act (d): the old primary is writable, neither fenced nor demoted
    const refused = await attempt(onA, postgresEngine.rejoin(rejoinTarget(onA, onB, promoted, PRIMARY_AS_REPLICA), SECRETS));

    // Assess (d): refused, nothing changed
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toMatch(/neither fenced nor demoted/);
    expect(await scalar(onA, 'SELECT pg_postmaster_start_time()')).toBe(startedBefore);
    expect(await status(onA)).toMatchObject({ role: 'primary', writable: true, fenced: false });
    expect(existsSync(dataPath(a, '/standby.signal'))).toBe(false);
    expect(readdirSync(dirname(dataPath(a))).filter((n) => n.includes('.divergent-'))).toEqual([]);

    // Act (c): the old primary crashes (no clean shutdown) and is fenced; then it rejoins
    await lab.killDatabase(PRIMARY.name, database);
    await run(onA, postgresEngine.fence(onA));
    await prepare(onB, PRIMARY_AS_REPLICA);
    const rejoin = postgresEngine.parseRejoin(await timed('failover: rejoin (rewind)', () => run(onA, postgresEngine.rejoin(rejoinTarget(onA, onB, promoted, PRIMARY_AS_REPLICA), SECRETS))));

    // Assess (c): rewound; the divergent WAL counted and saved aside before anything was discarded
    expect(rejoin.method).toBe('rewound');
    expect(rejoin.divergent.amount).toBeGreaterThan(0);
    const saved = a.realPath(rejoin.divergent.savedTo ?? '/missing');
    expect(rejoin.divergent.savedTo).toMatch(new RegExp(`^${database.postgres.dataDir}\\.divergent-\\d{8}T\\d{6}Z$`));
    const savedFiles = readdirSync(saved);
    expect(savedFiles.filter((n) => /^[0-9A-F]{24}$/.test(n)).length).toBeGreaterThan(0);
    expect(readFileSync(`${saved}/pg_waldump.txt`, 'utf8')).toMatch(/rmgr: Heap .*INSERT/);
    // pg_rewind's reading of the histories agrees with the fork the new primary's status reports
    expect(promoted.forkPosition).toBeDefined();
    expect(readFileSync(`${saved}/divergence.txt`, 'utf8')).toContain(`fork ${promoted.forkPosition}\n`);
    expect(readFileSync(`${saved}/divergence.txt`, 'utf8')).toContain(`divergent bytes ${rejoin.divergent.amount}\n`);
    // The 20 divergent commits are in the saved listing
    expect(readFileSync(`${saved}/pg_waldump.txt`, 'utf8').match(/desc: COMMIT/g)?.length).toBeGreaterThanOrEqual(20);
    // The old primary now streams from the new one: it has the new primary's rows, not its own divergent ones
    expect(await eventually('the old primary streams from the new one', async () => {
      const s = await status(onA);
      return s.role === 'replica' && s.streaming === true ? s : undefined;
    }, 30_000, 250)).toMatchObject({ upstream: `${TWIN.address}:${PORT}`, fenced: false, demoted: false, promotedByTwinstack: false });
    await insert(b.host, [72], 'after the rejoin');
    const ids = await eventually('row 72 on the old primary', async () => ((await idsOn(a.host)).includes(72) ? idsOn(a.host) : undefined));
    expect(ids).toEqual(range(1, 72));
    expect(readdirSync(dirname(dataPath(a))).filter((n) => n.includes('.divergent-'))).toHaveLength(1);

    // Act (c, retries): the same rejoin again once it streams, and again after a cut between the
    // rewind and the end (stopped, still a fenced standby: what a timeout mid-step leaves)
    const again = postgresEngine.parseRejoin(await run(onA, postgresEngine.rejoin(rejoinTarget(onA, onB, promoted, PRIMARY_AS_REPLICA), SECRETS)));
    const pg = database.postgres;
    await run(onA, { description: 'stop the rejoined standby', argv: ['sh', '-c', 'touch "$2/twinstack.fenced" && "$1/pg_ctl" -D "$2" stop -m fast -w -t 30', 'sh', pg.binDir, pg.dataDir], timeoutMs: 60_000 });
    const afterCut = postgresEngine.parseRejoin(await run(onA, postgresEngine.rejoin(rejoinTarget(onA, onB, promoted, PRIMARY_AS_REPLICA), SECRETS)));

    // Assess (c, retries): the divergence the rewind discarded is reported again, never 0, and not saved twice
    expect(again).toMatchObject({ method: 'already-replica', divergent: { amount: rejoin.divergent.amount, savedTo: rejoin.divergent.savedTo } });
    expect(afterCut).toMatchObject({ method: 'rewound', divergent: { amount: rejoin.divergent.amount, savedTo: rejoin.divergent.savedTo } });
    expect(await status(onA)).toMatchObject({ role: 'replica', streaming: true, upstream: `${TWIN.address}:${PORT}`, fenced: false });
    expect(readdirSync(dirname(dataPath(a))).filter((n) => n.includes('.divergent-'))).toHaveLength(1);
  });
});
