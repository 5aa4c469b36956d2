/** The MongoDB engine's commands are data: fixed scripts, validated positional arguments, secrets only in secretEnv. */
import { execFileSync } from 'node:child_process';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../../../../functions/core/command.ts';
import type { DatabaseSecrets, DatabaseStatus } from '../../../../../functions/core/engines/database-engine.ts';
import { formatLag } from '../../../../../functions/core/engines/lag-unit.ts';
import { InvalidInputError } from '../../../../../functions/core/errors.ts';
import type { Database, Host } from '../../../../../functions/core/model.ts';
import { keyFileContent, mongodbEngine } from '../../../../../functions/core/engines/mongodb/mongodb.engine.ts';
import { mongodbPlugin } from '../../../../../functions/core/engines/mongodb/mongodb.plugin.ts';
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
} from '../../../../../functions/core/engines/mongodb/mongodb-scripts.ts';
import { mongodbSettingsSchema, type MongodbSettings } from '../../../../../functions/core/engines/mongodb/mongodb-settings.ts';
import { optimeDiff } from '../../../../../functions/core/engines/mongodb/optime.ts';

const SECRETS: DatabaseSecrets = { replicationPassword: `repl-'q' "d" $x`, appPassword: 'app p@ss/:word' };
const KEY = keyFileContent(SECRETS.replicationPassword);

function database(overrides: Partial<MongodbSettings> = {}, mode: 'async' | 'sync' = 'async'): Database {
  return {
    name: 'main',
    engine: 'mongodb',
    host: 'db',
    port: 27017,
    replication: { mode, maxLag: 10 },
    mongodb: { ...mongodbSettingsSchema.parse({}), ...overrides },
  } as unknown as Database;
}

const host = (address: string, name = 'db'): Host => ({ name, address, sshPort: 22, user: 'ubuntu', hostKey: `SHA256:${'A'.repeat(43)}` });
const primaryHost = host('10.0.1.5');
const twinHost = host('10.1.1.5');
const TWIN_MEMBER = '10.1.1.5:27017';
const OLD_MEMBER = '10.0.1.5:27017';
/** The twin as observed after its promotion: its promotion marker names the optime it took over from. */
const promotedTwin: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '1700000100.1', forkPosition: '1699999990.4', promotedByTwinstack: true };
const rejoinTarget = (db: Database = database(), primaryStatus: DatabaseStatus = promotedTwin) => ({ database: db, host: primaryHost, primaryHost: twinHost, replicaName: OLD_MEMBER, primaryStatus });

function allCommands(db: Database = database()): { name: string; command: () => RemoteCommand; script: string }[] {
  const onPrimary = { database: db, host: primaryHost };
  const onTwin = { database: db, host: twinHost, primaryHost, replicaName: TWIN_MEMBER };
  return [
    { name: 'preparePrimary', command: () => mongodbEngine.preparePrimary({ ...onPrimary, replicaName: TWIN_MEMBER, replicaAddress: '10.1.1.5' }, SECRETS), script: PREPARE_PRIMARY_SCRIPT },
    { name: 'restoreReplica', command: () => mongodbEngine.restoreReplica(onTwin, SECRETS), script: RESTORE_REPLICA_SCRIPT },
    { name: 'startReplication', command: () => mongodbEngine.startReplication(onTwin, SECRETS), script: START_REPLICATION_SCRIPT },
    { name: 'status', command: () => mongodbEngine.status(onPrimary), script: STATUS_SCRIPT },
    { name: 'fence', command: () => mongodbEngine.fence(onPrimary), script: FENCE_SCRIPT },
    { name: 'promote', command: () => mongodbEngine.promote(onTwin), script: PROMOTE_SCRIPT },
    { name: 'setSynchronousReplicas', command: () => mongodbEngine.setSynchronousReplicas(onPrimary, [TWIN_MEMBER]), script: SET_SYNCHRONOUS_REPLICAS_SCRIPT },
    { name: 'demote', command: () => mongodbEngine.demote(onPrimary), script: DEMOTE_SCRIPT },
    { name: 'undoDemote', command: () => mongodbEngine.undoDemote(onPrimary), script: UNDO_DEMOTE_SCRIPT },
    { name: 'rejoin', command: () => mongodbEngine.rejoin(rejoinTarget(db), SECRETS), script: REJOIN_SCRIPT },
  ];
}

const visibleText = (c: RemoteCommand): string => [c.description, ...c.argv, c.stdin ?? '', ...Object.values(c.env ?? {})].join('\n');
const SCRIPTS = {
  PREPARE_PRIMARY_SCRIPT,
  RESTORE_REPLICA_SCRIPT,
  START_REPLICATION_SCRIPT,
  STATUS_SCRIPT,
  FENCE_SCRIPT,
  PROMOTE_SCRIPT,
  SET_SYNCHRONOUS_REPLICAS_SCRIPT,
  DEMOTE_SCRIPT,
  UNDO_DEMOTE_SCRIPT,
  REJOIN_SCRIPT,
};

/** The constant JavaScript blocks of a script (between the quoted here-document markers). */
function javascriptOf(script: string): string[] {
  return [...script.matchAll(/<<'TWINSTACK_JS'\n([\s\S]*?)TWINSTACK_JS\n/g)].map((m) => m[1] ?? '');
}

describe('mongodbEngine commands', () => {
  it.each(allCommands())('$name runs its fixed script with the node arguments first', ({ command, script }) => {
    // Act
    const c = command();

    // Assess
    expect(c.argv.slice(0, 4)).toEqual(['sh', '-c', script, 'sh']);
    expect(c.argv.slice(4, 13)).toEqual(['/usr/bin/mongosh', '/usr/bin/mongod', '/var/lib/mongodb', '127.0.0.1', '27017', 'rs0', '/etc/mongodb/keyfile', 'twinstack_admin', 'all']);
    expect(c.env).toEqual({ LC_ALL: 'C' });
    expect(c.timeoutMs).toBeGreaterThan(0);
  });

  it.each(allCommands())('$name keeps every secret out of argv, env, stdin and description', ({ command }) => {
    // Act
    const c = command();
    const text = visibleText(c);

    // Assess
    for (const secret of [SECRETS.replicationPassword, SECRETS.appPassword, KEY, encodeURIComponent(SECRETS.appPassword)]) expect(text).not.toContain(secret);
    for (const value of Object.values(c.secretEnv ?? {})) expect(c.redact).toContain(value);
  });

  it('sends the admin password, app password and derived keyFile only in secretEnv to preparePrimary', () => {
    // Act
    const c = allCommands()[0]!.command();

    // Assess
    expect(c.secretEnv).toEqual({ TWINSTACK_ADMIN_PASSWORD: SECRETS.replicationPassword, TWINSTACK_APP_PASSWORD: SECRETS.appPassword, TWINSTACK_KEYFILE_CONTENT: KEY });
    expect(c.argv.slice(13)).toEqual(['app', 'app', TWIN_MEMBER, 'async']);
  });

  it.each([
    { name: 'status', index: 3 },
    { name: 'fence', index: 4 },
    { name: 'promote', index: 5 },
    { name: 'setSynchronousReplicas', index: 6 },
    { name: 'demote', index: 7 },
    { name: 'undoDemote', index: 8 },
  ])('$name needs no secret from the control plane (host-local admin credential)', ({ index }) => {
    // Act / Assess
    expect(allCommands()[index]!.command().secretEnv).toBeUndefined();
  });

  it.each(allCommands())('$name is the same command text on a re-run (idempotence starts with a deterministic command)', ({ command }) => {
    // Act / Assess
    expect(command()).toEqual(command());
  });

  it.each([
    { mode: 'async' as const, twinVotes: 0 as const, votes: '0' },
    { mode: 'async' as const, twinVotes: 1 as const, votes: '1' },
    { mode: 'sync' as const, twinVotes: 0 as const, votes: '1' },
  ])('startReplication gives the twin $votes vote(s) in $mode mode with twinVotes $twinVotes', ({ mode, twinVotes, votes }) => {
    // Act
    const c = mongodbEngine.startReplication({ database: database({ twinVotes }, mode), host: twinHost, primaryHost, replicaName: TWIN_MEMBER }, SECRETS);

    // Assess
    expect(c.argv.slice(13)).toEqual(['10.0.1.5:27017', TWIN_MEMBER, votes]);
  });

  it('binds and connects to the host address with listenOn host-address', () => {
    // Act
    const c = mongodbEngine.status({ database: database({ listenOn: 'host-address' }), host: host('127.0.3.1') });

    // Assess
    expect(c.argv[7]).toBe('127.0.3.1');
    expect(c.argv[12]).toBe('127.0.3.1');
  });

  it.each([
    { name: 'a replica set name with a quote', db: database({ replicaSetName: "rs'0" }) },
    { name: 'a dbPath with a space', db: database({ dbPath: '/var/lib/mongo db' }) },
    { name: 'a shallow dbPath for a restore', db: database({ dbPath: '/data' }) },
  ])('refuses $name before building anything', ({ db }) => {
    // Act / Assess
    expect(() => mongodbEngine.restoreReplica({ database: db, host: twinHost, primaryHost, replicaName: TWIN_MEMBER }, SECRETS)).toThrow(InvalidInputError);
  });

  it('refuses a replica name that is not host:port', () => {
    // Act / Assess
    expect(() => mongodbEngine.setSynchronousReplicas({ database: database(), host: primaryHost }, ['10.1.1.5;rm -rf /:1'])).toThrow(InvalidInputError);
  });

  it('rejoins the old member to the new primary from the fork its promotion marker names, with the admin password in secretEnv', () => {
    // Act
    const c = mongodbEngine.rejoin(rejoinTarget(), SECRETS);

    // Assess
    expect(c.argv.slice(13)).toEqual(['10.1.1.5:27017', OLD_MEMBER, '1699999990.4', '600']);
    expect(c.secretEnv).toEqual({ TWINSTACK_ADMIN_PASSWORD: SECRETS.replicationPassword });
    expect(c.timeoutMs).toBeGreaterThan(600_000);
  });

  it.each([
    { name: 'a new primary that is a replica', status: { ...promotedTwin, role: 'replica' as const }, error: /primaryStatus\.role is replica, not primary/ },
    { name: 'a new primary without a fork', status: { role: 'primary' as const, writable: true, fenced: false }, error: /primaryStatus\.forkPosition null is not an optime/ },
    { name: 'a fork that is not an optime', status: { ...promotedTwin, forkPosition: '1699999990.4; reboot' }, error: /primaryStatus\.forkPosition .* is not an optime/ },
  ])('refuses to rejoin from $name, before building a command', ({ status, error }) => {
    expect(() => mongodbEngine.rejoin(rejoinTarget(database(), status), SECRETS)).toThrow(error);
  });

  it('names the twin member <address>:<port>, deterministically', () => {
    // Act / Assess
    expect(mongodbEngine.replicaName(database(), 'shop-eu', twinHost)).toBe(TWIN_MEMBER);
    expect(mongodbEngine.replicaName(database(), 'shop-eu', twinHost)).toBe(mongodbEngine.replicaName(database(), 'other', twinHost));
  });
});

describe('mongodb scripts', () => {
  it.each(Object.entries(SCRIPTS))('%s is valid POSIX sh (sh -n)', (_name, script) => {
    // Act / Assess
    expect(() => execFileSync('sh', ['-n', '-c', script], { stdio: 'pipe' })).not.toThrow();
  });

  it.each(Object.entries(SCRIPTS))('%s has JavaScript that parses', (_name, script) => {
    // Act
    const blocks = javascriptOf(script);

    // Assess
    expect(blocks.length).toBeGreaterThan(0);
    // Compiled, never run: a syntax error in constant mongosh JavaScript fails here, not on a host.
    for (const js of blocks) expect(() => new Script(js)).not.toThrow();
  });

  it.each(Object.entries(SCRIPTS))('%s runs mongosh quietly in canonical Extended JSON, never with -p or a password in a URI', (_name, script) => {
    // Assess
    expect(script).toContain('--quiet --json=canonical --norc');
    expect(script).not.toMatch(/mongosh[^\n]*\s-p\s/);
    expect(script).not.toMatch(/mongodb:\/\/[^/\s'"]*@/);
  });

  it('reads secrets inside mongosh from process.env or the 0600 auth file only', () => {
    // Assess
    const js = javascriptOf(PREPARE_PRIMARY_SCRIPT).join('\n');
    expect(js).toContain('env.TWINSTACK_ADMIN_PASSWORD');
    expect(js).toContain('env.TWINSTACK_APP_PASSWORD');
    expect(javascriptOf(STATUS_SCRIPT).join('\n')).toContain("fs.readFileSync(env.TWINSTACK_AUTH_FILE, 'utf8')");
  });

  it('starts mongod without the secrets in its environment', () => {
    // Assess
    expect(RESTORE_REPLICA_SCRIPT).toContain('env -u TWINSTACK_KEYFILE_CONTENT -u TWINSTACK_ADMIN_PASSWORD -u TWINSTACK_APP_PASSWORD');
  });

  it.each([
    { name: 'preparePrimary adds the twin only when it is not a member yet', script: PREPARE_PRIMARY_SCRIPT, guard: 'is already in the set: left as it is' },
    { name: 'preparePrimary adds the twin as passive', script: PREPARE_PRIMARY_SCRIPT, guard: "priority: 0, votes: 0, tags: { twinstack: 'twin' }" },
    { name: 'startReplication changes votes only when they differ', script: START_REPLICATION_SCRIPT, guard: 'if (member.votes === votes && member.priority === 0)' },
    { name: 'promote does not force again a config that is already the kept one', script: PROMOTE_SCRIPT, guard: 'if (!done) {' },
    { name: 'promote is a no-op on our promoted primary', script: PROMOTE_SCRIPT, guard: 'alreadyPrimary: true' },
    { name: 'fence reconfigures only a config that is not all priority 0', script: FENCE_SCRIPT, guard: 'if (!allPassive(conf))' },
    { name: 'setSynchronousReplicas reconfigures only members whose votes differ', script: SET_SYNCHRONOUS_REPLICAS_SCRIPT, guard: 'if (current.votes !== votes)' },
  ])('$name (re-run guard in the command text)', ({ script, guard }) => {
    // Assess
    expect(script).toContain(guard);
  });

  it('promote proves the dropped members are gone from the twin: heartbeats and a direct hello', () => {
    // Assess
    expect(PROMOTE_SCRIPT).toContain('still answers heartbeats');
    expect(PROMOTE_SCRIPT).toContain("runCommand({ hello: 1 }).ok === 1");
    expect(PROMOTE_SCRIPT).toContain('reconfig(conf, true)');
    expect(PROMOTE_SCRIPT.indexOf('refuse(6')).toBeLessThan(PROMOTE_SCRIPT.indexOf('fs.writeFileSync(env.TWINSTACK_PROMOTED'));
    expect(PROMOTE_SCRIPT.indexOf('fs.writeFileSync(env.TWINSTACK_PROMOTED')).toBeLessThan(PROMOTE_SCRIPT.indexOf('reconfig(conf, true)'));
  });

  it('demote and fence share one step-down (every member priority 0); only the fence kills sessions', () => {
    // Assess
    for (const script of [DEMOTE_SCRIPT, FENCE_SCRIPT]) expect(script).toContain('const down = stepDownPassive();');
    expect(DEMOTE_SCRIPT).not.toContain('killAllSessions');
    expect(DEMOTE_SCRIPT.indexOf('fs.writeFileSync(env.TWINSTACK_DEMOTED')).toBeLessThan(DEMOTE_SCRIPT.indexOf('const down = stepDownPassive();'));
    expect(DEMOTE_SCRIPT).toContain('if (!h.isWritablePrimary && saved !== undefined && saved.position)');
  });

  it('undoDemote refuses while another member is primary, and a member twinstack did not demote', () => {
    // Assess
    expect(UNDO_DEMOTE_SCRIPT).toContain("m.stateStr === 'PRIMARY' && m.self !== true");
    expect(UNDO_DEMOTE_SCRIPT).toContain('was not demoted by twinstack');
    expect(UNDO_DEMOTE_SCRIPT.indexOf('if (other) refuse(3')).toBeLessThan(UNDO_DEMOTE_SCRIPT.indexOf('reconfig(conf, true)'));
  });

  it('promote refuses a primary without the promotion marker and a member that is not SECONDARY', () => {
    // Assess
    expect(PROMOTE_SCRIPT).toContain("refuse(5, 'refused: already a primary that twinstack did not promote");
    expect(PROMOTE_SCRIPT).toContain("if (me.stateStr !== 'SECONDARY') refuse(3");
  });

  it('restore bounds its wait and prints twinstack-progress lines, reading no stdin', () => {
    // Assess
    expect(RESTORE_REPLICA_SCRIPT).toContain('echo "twinstack-progress ${DONE:-0} $TOTAL"');
    expect(RESTORE_REPLICA_SCRIPT).toContain('deadline=$(($(date +%s) + RESTORE_WAIT))');
    expect(RESTORE_REPLICA_SCRIPT).not.toMatch(/\bread\s/);
  });
});

describe('mongodbEngine.positionDiff', () => {
  it.each([
    { to: '1700000000.1', from: '1700000000.1', expected: 0 },
    { to: '1700000042.1', from: '1700000000.9', expected: 42 },
    { to: '1700000000.5', from: '1700000000.2', expected: 1 },
    { to: '1700000000.1', from: '1700000003.1', expected: -3 },
  ])('$from is $expected second(s) of oplog behind $to', ({ to, from, expected }) => {
    // Act / Assess
    expect(mongodbEngine.positionDiff(to, from)).toBe(expected);
    expect(optimeDiff(to, from)).toBe(expected);
  });

  it('refuses a position that is not <t>.<i>', () => {
    // Act / Assess
    expect(() => mongodbEngine.positionDiff('0/3000060', '1.1')).toThrow(InvalidInputError);
  });

  it('reports lag in seconds of oplog, never bytes', () => {
    // Act / Assess
    expect(mongodbEngine.lagUnit).toBe('seconds');
    expect(formatLag(42, 'seconds')).toBe('42 seconds of oplog');
    expect(formatLag(1, 'seconds')).toBe('1 second of oplog');
  });
});

describe('mongodbEngine.compatibilityProblems', () => {
  const status = (version: string, mongodb: object): DatabaseStatus => ({ role: 'primary', writable: true, fenced: false, version, mongodb }) as DatabaseStatus;

  it.each([
    { name: 'the same set and release', p: status('7.0.15', { standalone: false, setName: 'rs0' }), t: status('7.0.2', { standalone: false, setName: 'rs0' }), expected: [] },
    { name: 'a standalone primary', p: status('7.0.15', { standalone: true }), t: status('7.0.15', { standalone: false, setName: 'rs0' }), expected: [/standalone mongod.*rs\.initiate/] },
    { name: 'a set name mismatch', p: status('7.0.15', { standalone: false, setName: 'rs0' }), t: status('7.0.15', { standalone: false, setName: 'other' }), expected: [/replica set rs0 and the twin in other/] },
    { name: 'a major release mismatch', p: status('7.0.15', { standalone: false, setName: 'rs0' }), t: status('6.0.12', { standalone: false, setName: 'rs0' }), expected: [/same major release \(install MongoDB 7/] },
    { name: '4.4 against 4.2', p: status('4.4.29', { standalone: false, setName: 'rs0' }), t: status('4.2.25', { standalone: false, setName: 'rs0' }), expected: [/install MongoDB 4\.4/] },
  ])('judges $name', ({ p, t, expected }) => {
    // Act
    const problems = mongodbEngine.compatibilityProblems(p, t);

    // Assess
    expect(problems).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(problems[i]).toMatch(pattern));
  });
});

describe('mongodbEngine.connection', () => {
  it('gives the member address and a replica-set URI with the app user', () => {
    // Act
    const c = mongodbEngine.connection({ database: database(), host: twinHost }, SECRETS);

    // Assess
    expect(c).toEqual({ address: TWIN_MEMBER, url: `mongodb://app:${encodeURIComponent(SECRETS.appPassword)}@10.1.1.5:27017/app?replicaSet=rs0&authSource=app` });
  });
});

describe('keyFileContent', () => {
  it('derives base64 keyFile text from the replication secret', () => {
    // Act
    const key = keyFileContent('Zm9v-bar_baz-1234567890abcd');

    // Assess
    expect(key).toMatch(/^[A-Za-z0-9+/=]{6,1024}$/);
    expect(keyFileContent('Zm9v-bar_baz-1234567890abcd')).toBe(key);
  });

  it('refuses a secret too short for a keyFile, without echoing it', () => {
    // Act / Assess
    expect(() => keyFileContent('abc')).toThrow(/5 to 765 bytes/);
    expect(() => keyFileContent('abc')).not.toThrow(/abc/);
  });
});

describe('mongodbPlugin', () => {
  it('is labelled as tested against recorded outputs only, with seconds of oplog as its lag unit', () => {
    // Assess
    expect(mongodbPlugin).toMatchObject({ name: 'mongodb', settingsKey: 'mongodb', defaultPort: 27017, lagUnit: 'seconds', tested: 'recorded', defaultMaxLag: 10 });
    expect(mongodbPlugin.engine).toBe(mongodbEngine);
  });

  it('parses an absent block to the defaults (passive twin without votes)', () => {
    // Act
    const settings = mongodbPlugin.settingsSchema.parse({});

    // Assess
    expect(settings).toMatchObject({ replicaSetName: 'rs0', twinVotes: 0, dbPath: '/var/lib/mongodb', listenOn: 'all' });
  });

  it('refuses twinVotes other than 0 or 1', () => {
    // Act / Assess
    expect(mongodbPlugin.settingsSchema.safeParse({ twinVotes: 2 }).success).toBe(false);
  });

  it('has a hint for every setting', () => {
    // Act
    const keys = Object.keys(mongodbPlugin.settingsSchema.parse({}));

    // Assess
    for (const key of keys) expect(mongodbPlugin.fieldHints[key]).toBeDefined();
  });
});

describe('mongodbEngine.describePromotion (the reasons PromoteDatabase reports)', () => {
  const promoteOutput = (fields: Record<string, unknown>) => ({ exitCode: 0, stdout: `${JSON.stringify(fields)}\n`, stderr: '', durationMs: 5 });

  it('says that force was used, which members were removed, and what the forced reconfiguration can roll back', () => {
    // Act
    const reasons = mongodbEngine.describePromotion?.(
      promoteOutput({ promoted: true, alreadyPrimary: false, forced: true, removedMembers: ['127.0.1.1:27017'], twinLastApplied: '1700000000.5', twinLastCommitted: '1700000000.3' }),
    );

    // Assess
    expect(reasons).toHaveLength(1);
    expect(reasons?.[0]).toMatch(/FORCED replica-set reconfiguration/);
    expect(reasons?.[0]).toContain('127.0.1.1:27017');
    expect(reasons?.[0]).toMatch(/w: "majority"/);
  });

  it('says a re-run forced nothing', () => {
    // Act
    const reasons = mongodbEngine.describePromotion?.(promoteOutput({ promoted: false, alreadyPrimary: true, forced: false, removedMembers: [] }));

    // Assess
    expect(reasons?.[0]).toMatch(/no reconfiguration/);
  });
});
