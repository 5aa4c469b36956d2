/**
 * The PostgreSQL engine against real servers over real SSH: two lab hosts, each
 * seeing its own files at the same data directory path (like a primary and its
 * clone). One ordered scenario: prepare → restore → replicate → fence → promote.
 */
import { postgresSettings, type PostgresDatabase } from '../../functions/core/engines/postgres/postgres-settings.ts';
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseSecrets, EngineTarget, RestoreTarget } from '../../functions/core/engines/database-engine.ts';
import { postgresEngine } from '../../functions/core/engines/postgres/postgres.engine.ts';
import type { Host } from '../../functions/core/model.ts';
import { runChecked } from '../../functions/adapters/ssh/run-checked.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import type { Lab, LabHost } from '../../infra/local/lab/lab.ts';
import { POSTGRES_BIN_DIR } from '../../infra/local/lab/nodes/postgres.lab-node.ts';
import { IT_MOUNT_POINT, IT_POSTGRES_PORT, IT_PRIMARY, IT_TWIN, startItLab } from './it-lab.fixture.ts';
import { eventually } from './eventually.ts';

const REPLICA_NAME = 'twin_main';
const SECRETS: DatabaseSecrets = {
  replicationPassword: `repl-'q' "d" $x ${process.pid}`,
  appPassword: `app-'q' "d" $y ${process.pid}`,
};

function databaseFor(superuser: string): PostgresDatabase {
  return {
    name: 'main',
    engine: 'postgres',
    host: 'db',
    port: IT_POSTGRES_PORT,
    replication: { mode: 'sync', maxLag: 16 * 1024 * 1024 },
    postgres: {
      dataDir: `${IT_MOUNT_POINT}/pg/main`,
      binDir: POSTGRES_BIN_DIR,
      socketDir: `${IT_MOUNT_POINT}/run`,
      superuser,
      database: 'app',
      appUser: 'app',
      replicationUser: 'twinstack_replicator',
      listenOn: 'host-address',
    },
  };
}

/** Run `fn` on a fresh app connection to `host` (TCP, scram). */
async function withApp<T>(host: Host, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: host.address,
    port: IT_POSTGRES_PORT,
    database: 'app',
    user: 'app',
    password: SECRETS.appPassword,
    connectionTimeoutMillis: 5_000,
    statement_timeout: 10_000,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}


describe('postgresEngine over real SSH', () => {
  let lab: Lab;
  let shell: Ssh2RemoteShell;
  let primary: LabHost;
  let twin: LabHost;
  let database: PostgresDatabase;
  let onPrimary: EngineTarget;
  let onTwin: RestoreTarget;

  const status = async (target: EngineTarget) => postgresEngine.parseStatus(await runChecked(shell, target.host, postgresEngine.status(target)));
  const prepare = () =>
    runChecked(shell, primary.host, postgresEngine.preparePrimary({ ...onPrimary, replicaName: REPLICA_NAME, replicaAddress: twin.host.address }, SECRETS));
  const scalar = async (target: EngineTarget, sql: string): Promise<string> => {
    const pgSettings = postgresSettings(target.database);
    const result = await runChecked(shell, target.host, {
      description: 'psql check',
      argv: [`${pgSettings.binDir}/psql`, '-h', pgSettings.socketDir, '-p', String(target.database.port), '-U', pgSettings.superuser, '-d', 'postgres', '-XAtq', '-c', sql],
      timeoutMs: 20_000,
    });
    return result.stdout.trim();
  };

  beforeAll(async () => {
    lab = await startItLab();
    primary = lab.host(IT_PRIMARY.name);
    twin = lab.host(IT_TWIN.name);
    database = databaseFor(lab.user.name);
    await lab.initPrimary(IT_PRIMARY.name, database);
    shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
    onPrimary = { database, host: primary.host };
    onTwin = { database, host: twin.host, primaryHost: primary.host, replicaName: REPLICA_NAME };
  });

  afterAll(async () => {
    await shell?.close();
    await lab?.destroy({ removeData: true });
  });

  it('prepares the primary: roles, database, settings; it stays a writable primary', async () => {
    // Act
    await prepare();

    // Assess
    const observed = await status(onPrimary);
    expect(observed).toMatchObject({ role: 'primary', writable: true, fenced: false });
    expect(await scalar(onPrimary, "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('app', 'twinstack_replicator')")).toBe('app,twinstack_replicator');
    expect(await scalar(onPrimary, 'SHOW synchronous_standby_names')).toBe(`FIRST 1 ("${REPLICA_NAME}")`);
    expect(await withApp(primary.host, async (c) => (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u)).toBe('app');
  });

  it('prepares the primary a second time without changing anything', async () => {
    // Prepare
    const hbaPath = primary.realPath(`${database.postgres.dataDir}/pg_hba.conf`);
    const hbaBefore = readFileSync(hbaPath, 'utf8');
    const startedBefore = await scalar(onPrimary, 'SELECT pg_postmaster_start_time()');
    const rolesBefore = await scalar(onPrimary, 'SELECT count(*) FROM pg_roles');

    // Act
    const again = await prepare();

    // Assess
    expect(readFileSync(hbaPath, 'utf8')).toBe(hbaBefore);
    expect(await scalar(onPrimary, 'SELECT pg_postmaster_start_time()')).toBe(startedBefore);
    expect(await scalar(onPrimary, 'SELECT count(*) FROM pg_roles')).toBe(rolesBefore);
    expect(again.stdout).not.toMatch(/pg_hba\.conf added/);
  });

  it('restores the twin from a base backup and streams from the primary, synchronously', async () => {
    // Act
    await runChecked(shell, twin.host, postgresEngine.restoreReplica(onTwin, SECRETS));
    await runChecked(shell, twin.host, postgresEngine.startReplication(onTwin, SECRETS));

    // Assess
    // A walsender counts as synchronous once the standby has reported a flush position: poll for both.
    const attached = await eventually('the primary sees the twin streaming synchronously', async () => {
      const s = await status(onPrimary);
      const replica = s.replicas?.find((r) => r.name === REPLICA_NAME);
      return replica?.streaming === true && replica.synchronous ? replica : undefined;
    });
    expect(attached).toMatchObject({ streaming: true, synchronous: true });
    const replicaStatus = await status(onTwin);
    expect(replicaStatus).toMatchObject({ role: 'replica', writable: false, streaming: true, fenced: false });
    // The twin's files are its own: the primary's data directory is another directory.
    expect(existsSync(twin.realPath(`${database.postgres.dataDir}/standby.signal`))).toBe(true);
    expect(existsSync(primary.realPath(`${database.postgres.dataDir}/standby.signal`))).toBe(false);
  });

  it('starting replication again is a no-op while the twin streams', async () => {
    // Prepare
    const pidBefore = await scalar(onTwin, 'SELECT pid FROM pg_stat_wal_receiver');

    // Act
    const again = await runChecked(shell, twin.host, postgresEngine.startReplication(onTwin, SECRETS));

    // Assess
    expect(again.stdout).toMatch(/nothing to do/);
    expect(await scalar(onTwin, 'SELECT pid FROM pg_stat_wal_receiver')).toBe(pidBefore);
  });

  it('keeps secrets out of the servers\' environment (readable in /proc/<pid>/environ for their whole life)', async () => {
    // Prepare: both postmasters (the twin's was started by the restore, which had PGPASSWORD) and the long-lived WAL processes
    const postmasters = [primary, twin].map((h) => Number(readFileSync(h.realPath(`${database.postgres.dataDir}/postmaster.pid`), 'utf8').split('\n')[0]));
    const walProcesses = [
      await scalar(onPrimary, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walsender'"),
      await scalar(onTwin, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walreceiver'"),
    ].map(Number);

    // Act
    const environments = [...postmasters, ...walProcesses].map((pid) => readFileSync(`/proc/${pid}/environ`, 'utf8'));

    // Assess
    expect(postmasters.every((pid) => Number.isInteger(pid) && pid > 1)).toBe(true);
    for (const environment of environments) {
      expect(environment).not.toContain(SECRETS.replicationPassword);
      expect(environment).not.toContain(SECRETS.appPassword);
      expect(environment).not.toMatch(/TWINSTACK_(REPLICATION|APP)_PASSWORD|PGPASSWORD/);
    }
  });

  it('refuses to promote a primary twinstack did not promote (a standalone clone): nothing changes', async () => {
    // Act
    const outcome = runChecked(shell, primary.host, postgresEngine.promote(onPrimary));

    // Assess
    await expect(outcome).rejects.toThrow(/exit code 5/);
    expect(await status(onPrimary)).toMatchObject({ role: 'primary', writable: true });
    expect((await status(onPrimary)).promotedByTwinstack ?? false).toBe(false);
  });

  it('replicates rows written on the primary to the twin', async () => {
    // Prepare
    const ids = [1, 2, 3, 4, 5];

    // Act
    await withApp(primary.host, async (c) => {
      await c.query('CREATE TABLE items (id int PRIMARY KEY, note text NOT NULL)');
      for (const id of ids) await c.query('INSERT INTO items (id, note) VALUES ($1, $2)', [id, `row ${id}`]);
    });

    // Assess
    const onReplica = await eventually('rows on the twin', () =>
      withApp(twin.host, async (c) => {
        const rows = (await c.query<{ id: number }>('SELECT id FROM items ORDER BY id')).rows.map((r) => r.id);
        return rows.length === ids.length ? rows : undefined;
      }),
    );
    expect(onReplica).toEqual(ids);
    await expect(withApp(twin.host, (c) => c.query("INSERT INTO items VALUES (99, 'no')"))).rejects.toThrow(/read-only/);
  });

  it('fences the primary: stopped, marked, reported as fenced', async () => {
    // Act
    const fenced = await runChecked(shell, primary.host, postgresEngine.fence(onPrimary));

    // Assess
    expect(JSON.parse(fenced.stdout.trim())).toMatchObject({ fenced: true, wasRunning: true });
    expect(await status(onPrimary)).toMatchObject({ role: 'stopped', writable: false, fenced: true });
    expect(existsSync(primary.realPath(`${database.postgres.dataDir}/standby.signal`))).toBe(true);
    expect(existsSync(primary.realPath(`${database.postgres.dataDir}/twinstack.fenced`))).toBe(true);
    await expect(withApp(primary.host, (c) => c.query('SELECT 1'))).rejects.toThrow();
  });

  it('promotes the twin to a writable primary that keeps the replicated rows', async () => {
    // Act
    const promoted = await runChecked(shell, twin.host, postgresEngine.promote(onTwin));

    // Assess
    expect(JSON.parse(promoted.stdout.trim())).toMatchObject({ promoted: true, alreadyPrimary: false });
    expect(await status(onTwin)).toMatchObject({ role: 'primary', writable: true, fenced: false, promotedByTwinstack: true });
    const rows = await withApp(twin.host, async (c) => {
      await c.query("INSERT INTO items (id, note) VALUES (6, 'after failover')");
      return (await c.query<{ id: number }>('SELECT id FROM items ORDER BY id')).rows.map((r) => r.id);
    });
    expect(rows).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a second promote is a no-op: same timeline, still writable', async () => {
    // Prepare
    const timelineBefore = await scalar(onTwin, 'SELECT timeline_id FROM pg_control_checkpoint()');
    const startedBefore = await scalar(onTwin, 'SELECT pg_postmaster_start_time()');

    // Act
    const again = await runChecked(shell, twin.host, postgresEngine.promote(onTwin));

    // Assess
    expect(JSON.parse(again.stdout.trim())).toMatchObject({ promoted: false, alreadyPrimary: true });
    expect(await scalar(onTwin, 'SELECT timeline_id FROM pg_control_checkpoint()')).toBe(timelineBefore);
    expect(await scalar(onTwin, 'SELECT pg_postmaster_start_time()')).toBe(startedBefore);
    expect(await status(onTwin)).toMatchObject({ role: 'primary', writable: true });
  });
});
