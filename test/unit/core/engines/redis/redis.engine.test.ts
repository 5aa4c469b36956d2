/** The Redis engine's commands are data: fixed scripts, validated positional arguments, secrets only in secretEnv. */
import { describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../../../../functions/core/command.ts';
import type { DatabaseSecrets, DatabaseStatus } from '../../../../../functions/core/engines/database-engine.ts';
import { InvalidInputError } from '../../../../../functions/core/errors.ts';
import type { Database, Host } from '../../../../../functions/core/model.ts';
import { redisEngine } from '../../../../../functions/core/engines/redis/redis.engine.ts';
import { redisPlugin } from '../../../../../functions/core/engines/redis/redis.plugin.ts';
import {
  DEMOTE_SCRIPT,
  FENCE_SCRIPT,
  PREPARE_PRIMARY_SCRIPT,
  REJOIN_SCRIPT,
  UNDO_DEMOTE_SCRIPT,
  PROMOTE_SCRIPT,
  RESTORE_REPLICA_SCRIPT,
  SET_SYNCHRONOUS_REPLICAS_SCRIPT,
  START_REPLICATION_SCRIPT,
  STATUS_SCRIPT,
} from '../../../../../functions/core/engines/redis/redis-scripts.ts';
import { redisSettingsSchema, type RedisSettings } from '../../../../../functions/core/engines/redis/redis-settings.ts';

const SECRETS: DatabaseSecrets = { replicationPassword: `repl-'q' "d" $x`, appPassword: 'app p@ss/:word' };

function database(overrides: Partial<RedisSettings> = {}, mode: 'async' | 'sync' = 'async'): Database {
  return {
    name: 'cache',
    engine: 'redis',
    host: 'db',
    port: 6379,
    replication: { mode, maxLag: 1 << 20 },
    redis: { ...redisSettingsSchema.parse({}), ...overrides },
  } as unknown as Database;
}

const host = (address = '10.0.1.5', name = 'db'): Host => ({ name, address, sshPort: 22, user: 'ubuntu', hostKey: `SHA256:${'A'.repeat(43)}` });
const primaryHost = host('10.0.1.5', 'db');
const twinHost = host('10.1.1.5', 'db');
const REPLID = 'c'.repeat(40);
/** The twin as observed after its promotion: the fork where it left the old primary's history. */
const promotedTwin: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '5000', forkPosition: `4200@${REPLID}`, promotedByTwinstack: true };
const rejoinTarget = (db: Database = database(), primaryStatus: DatabaseStatus = promotedTwin) => ({
  database: db,
  host: primaryHost,
  primaryHost: twinHost,
  replicaName: '10.0.1.5:6379',
  primaryStatus,
});

function allCommands(db: Database = database()): { name: string; command: () => RemoteCommand; script: string }[] {
  const onPrimary = { database: db, host: primaryHost };
  const onTwin = { database: db, host: twinHost, primaryHost, replicaName: '10.1.1.5:6379' };
  return [
    { name: 'preparePrimary', command: () => redisEngine.preparePrimary({ ...onPrimary, replicaName: '10.1.1.5:6379', replicaAddress: '10.1.1.5' }, SECRETS), script: PREPARE_PRIMARY_SCRIPT },
    { name: 'restoreReplica', command: () => redisEngine.restoreReplica(onTwin, SECRETS), script: RESTORE_REPLICA_SCRIPT },
    { name: 'startReplication', command: () => redisEngine.startReplication(onTwin, SECRETS), script: START_REPLICATION_SCRIPT },
    { name: 'status', command: () => redisEngine.status(onPrimary), script: STATUS_SCRIPT },
    { name: 'fence', command: () => redisEngine.fence(onPrimary), script: FENCE_SCRIPT },
    { name: 'promote', command: () => redisEngine.promote(onTwin), script: PROMOTE_SCRIPT },
    { name: 'setSynchronousReplicas', command: () => redisEngine.setSynchronousReplicas(onPrimary, ['10.1.1.5:6379']), script: SET_SYNCHRONOUS_REPLICAS_SCRIPT },
    { name: 'demote', command: () => redisEngine.demote(onPrimary), script: DEMOTE_SCRIPT },
    { name: 'undoDemote', command: () => redisEngine.undoDemote(onPrimary), script: UNDO_DEMOTE_SCRIPT },
    { name: 'rejoin', command: () => redisEngine.rejoin(rejoinTarget(db), SECRETS), script: REJOIN_SCRIPT },
  ];
}

const visibleText = (c: RemoteCommand): string => [c.description, ...c.argv, c.stdin ?? '', ...Object.values(c.env ?? {})].join('\n');

describe('redisEngine commands', () => {
  it.each(allCommands())('$name runs its fixed script with the node arguments first', ({ command, script }) => {
    // Act
    const c = command();

    // Assess
    expect(c.argv.slice(0, 4)).toEqual(['sh', '-c', script, 'sh']);
    expect(c.argv.slice(4, 10)).toEqual(['/usr/bin', '127.0.0.1', '6379', '/var/lib/redis', '/etc/redis/redis.conf', 'twinstack_admin']);
    expect(c.timeoutMs).toBeGreaterThan(0);
    expect(c.description).toMatch(/redis cache/);
  });

  it.each(allCommands())('$name keeps every secret out of argv, stdin, env and description', ({ command }) => {
    // Act
    const c = command();

    // Assess
    const text = visibleText(c);
    for (const secret of [SECRETS.replicationPassword, SECRETS.appPassword]) expect(text).not.toContain(secret);
    for (const value of Object.values(c.secretEnv ?? {})) expect(c.redact).toContain(value);
  });

  it.each(allCommands())('$name script never gives redis-cli a password on its command line', ({ script }) => {
    // Assess
    expect(script).not.toMatch(/redis-cli"?[^\n]*\s-a\s/);
    expect(script).not.toMatch(/--pass\b/);
    expect(script).not.toMatch(/echo[^\n]*(PASSWORD|REPL_PW|ADMIN_PW)/);
  });

  it.each([
    { name: 'preparePrimary', secretEnv: { TWINSTACK_REPLICATION_PASSWORD: SECRETS.replicationPassword, TWINSTACK_APP_PASSWORD: SECRETS.appPassword } },
    { name: 'restoreReplica', secretEnv: { REDISCLI_AUTH: SECRETS.replicationPassword, TWINSTACK_APP_PASSWORD: SECRETS.appPassword } },
    { name: 'status', secretEnv: undefined },
    { name: 'fence', secretEnv: undefined },
    { name: 'promote', secretEnv: undefined },
    { name: 'demote', secretEnv: undefined },
    { name: 'undoDemote', secretEnv: undefined },
    { name: 'rejoin', secretEnv: { TWINSTACK_REPLICATION_PASSWORD: SECRETS.replicationPassword } },
  ])('$name delivers exactly the secrets it needs in secretEnv', ({ name, secretEnv }) => {
    // Act
    const c = allCommands().find((e) => e.name === name)!.command();

    // Assess
    expect(c.secretEnv).toStrictEqual(secretEnv);
  });

  it('builds the same command twice from the same input (re-runs are the same command)', () => {
    for (const { command } of allCommands()) expect(command()).toStrictEqual(command());
  });

  it('reaches the server at the host address for listenOn host-address', () => {
    // Act
    const c = redisEngine.status({ database: database({ listenOn: 'host-address' }), host: host('127.0.31.1') });

    // Assess
    expect(c.argv[5]).toBe('127.0.31.1');
  });

  it('restores with the twin announcing itself as <address>:<port>, its replica name', () => {
    // Act
    const c = redisEngine.restoreReplica({ database: database(), host: twinHost, primaryHost, replicaName: '10.1.1.5:6379' }, SECRETS);

    // Assess
    expect(c.argv.slice(10, 15)).toEqual(['10.0.1.5', 'twinstack_replicator', 'app', '10.1.1.5', '6379']);
    expect(redisEngine.replicaName(database(), 'shop-eu-twin', twinHost)).toBe('10.1.1.5:6379');
  });

  it.each([
    { mode: 'async' as const, minReplicas: '0' },
    { mode: 'sync' as const, minReplicas: '1' },
  ])('prepares a $mode primary with min-replicas-to-write $minReplicas', ({ mode, minReplicas }) => {
    // Act
    const c = redisEngine.preparePrimary({ database: database({}, mode), host: primaryHost, replicaName: '10.1.1.5:6379', replicaAddress: '10.1.1.5' }, SECRETS);

    // Assess
    expect(c.argv.slice(10)).toEqual(['twinstack_replicator', 'app', minReplicas, '10']);
  });

  it('sets synchronous replicas as min-replicas-to-write 1, and none as 0', () => {
    const target = { database: database(), host: primaryHost };
    expect(redisEngine.setSynchronousReplicas(target, ['10.1.1.5:6379']).argv.slice(10)).toEqual(['1', '10']);
    expect(redisEngine.setSynchronousReplicas(target, []).argv.slice(10)).toEqual(['0', '10']);
  });

  it.each([
    { name: 'a data dir with a space', db: database({ dataDir: '/var/lib/re dis' }) },
    { name: 'a data dir one level deep', db: database({ dataDir: '/redis' }) },
    { name: 'a config file with ..', db: database({ configFile: '/etc/../redis.conf' }) },
    { name: 'an app user with a quote', db: database({ appUser: "app'" }) },
  ])('refuses $name', ({ db }) => {
    expect(() => redisEngine.restoreReplica({ database: db, host: twinHost, primaryHost, replicaName: 'x' }, SECRETS)).toThrow(InvalidInputError);
  });

  it.each([
    { mode: 'async' as const, minReplicas: '0' },
    { mode: 'sync' as const, minReplicas: '1' },
  ])('rejoins a $mode old primary from the fork the new primary reported, as <address>:<port>', ({ mode, minReplicas }) => {
    // Act
    const c = redisEngine.rejoin(rejoinTarget(database({}, mode)), SECRETS);

    // Assess
    expect(c.argv.slice(10)).toEqual(['10.1.1.5', '4200', REPLID, 'twinstack_replicator', '10.0.1.5', '6379', minReplicas, '240']);
    expect(c.description).toMatch(/rejoin redis cache on db as replica 10\.0\.1\.5:6379 of db \(fork at offset 4200\)/);
    expect(c.timeoutMs).toBeGreaterThan(2 * 240 * 1000);
  });

  it.each([
    { name: 'a new primary that is a replica', status: { ...promotedTwin, role: 'replica' as const }, error: /primaryStatus\.role is replica, not primary/ },
    { name: 'a new primary without a fork (never promoted)', status: { role: 'primary' as const, writable: true, fenced: false, position: '5' }, error: /primaryStatus\.forkPosition is missing/ },
    { name: 'a fork without its replication id', status: { ...promotedTwin, forkPosition: '4200' }, error: /primaryStatus\.forkPosition "4200" is not <offset>@<replication id>/ },
    { name: 'a fork that is not a position', status: { ...promotedTwin, forkPosition: `4200@${REPLID}; reboot` }, error: /primaryStatus\.forkPosition .* is not <offset>@<replication id>/ },
  ])('refuses to rejoin from $name, before building a command', ({ status, error }) => {
    expect(() => redisEngine.rejoin(rejoinTarget(database(), status), SECRETS)).toThrow(error);
  });

  it('refuses to rejoin to a hostile new primary address', () => {
    expect(() => redisEngine.rejoin({ ...rejoinTarget(), primaryHost: host('10.1.1.5; reboot') }, SECRETS)).toThrow(InvalidInputError);
  });

  it('refuses a database of another engine', () => {
    const pg = { ...database(), engine: 'postgres' } as unknown as Database;
    expect(() => redisEngine.status({ database: pg, host: primaryHost })).toThrow(InvalidInputError);
  });

  it('publishes the address and a redis:// URL with the app user and its encoded password', () => {
    expect(redisEngine.connection({ database: database(), host: primaryHost }, SECRETS)).toEqual({
      address: '10.0.1.5:6379',
      url: `redis://app:${encodeURIComponent(SECRETS.appPassword)}@10.0.1.5:6379/0`,
    });
  });
});

describe('redisEngine.compatibilityProblems', () => {
  const primary: DatabaseStatus = { role: 'primary', writable: true, fenced: false, version: '7.0.15', position: '10' };
  const twin: DatabaseStatus = { role: 'primary', writable: true, fenced: false, version: '7.0.11', position: '0' };

  it.each([
    { name: 'same major', p: primary, t: twin, problems: [] },
    { name: 'major mismatch', p: primary, t: { ...twin, version: '6.2.14' }, problems: [/major versions differ/] },
    { name: 'a primary that is a replica', p: { ...primary, role: 'replica' as const, upstream: '10.9.9.9:6379' }, t: twin, problems: [/itself a replica/] },
    { name: 'a fenced primary', p: { ...primary, fenced: true }, t: twin, problems: [/fenced/] },
    { name: 'a twin twinstack promoted', p: primary, t: { ...twin, promotedByTwinstack: true }, problems: [/discard the writes/] },
  ])('$name', ({ p, t, problems }) => {
    // Act
    const found = redisEngine.compatibilityProblems(p, t);

    // Assess
    expect(found).toHaveLength(problems.length);
    problems.forEach((pattern, i) => expect(found[i]).toMatch(pattern));
  });
});

describe('redisPlugin', () => {
  it('declares redis on 6379, bytes of replication offset, settings with defaults', () => {
    expect(redisPlugin).toMatchObject({ name: 'redis', settingsKey: 'redis', defaultPort: 6379, lagUnit: 'bytes', defaultMaxLag: '1MiB', tested: 'live' });
    expect(redisPlugin.settingsSchema.parse({})).toEqual({
      dataDir: '/var/lib/redis',
      configFile: '/etc/redis/redis.conf',
      binDir: '/usr/bin',
      appUser: 'app',
      replicationUser: 'twinstack_replicator',
      adminUser: 'twinstack_admin',
      listenOn: 'all',
      syncMaxLagSeconds: 10,
    });
    expect(Object.keys(redisPlugin.fieldHints)).toEqual(expect.arrayContaining(['dataDir', 'configFile', 'appUser', 'syncMaxLagSeconds']));
  });

  it('refuses unknown settings and unsafe paths', () => {
    expect(redisPlugin.settingsSchema.safeParse({ requirepass: 'x' }).success).toBe(false);
    expect(redisPlugin.settingsSchema.safeParse({ dataDir: 'relative/dir' }).success).toBe(false);
  });
});
