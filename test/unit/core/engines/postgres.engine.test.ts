import { describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../../../functions/core/command.ts';
import { InvalidInputError } from '../../../../functions/core/errors.ts';
import type { PostgresDatabase } from '../../../../functions/core/engines/postgres/postgres-settings.ts';
import type { Host } from '../../../../functions/core/model.ts';
import { engineFor } from '../../../../functions/core/engines/engine-registry.ts';
import { postgresEngine } from '../../../../functions/core/engines/postgres/postgres.engine.ts';
import {
  DEMOTE_SCRIPT,
  FENCE_SCRIPT,
  PREPARE_PRIMARY_SCRIPT,
  PROMOTE_SCRIPT,
  REJOIN_SCRIPT,
  RESTORE_REPLICA_SCRIPT,
  SET_SYNCHRONOUS_REPLICAS_SCRIPT,
  START_REPLICATION_SCRIPT,
  STATUS_SCRIPT,
  UNDO_DEMOTE_SCRIPT,
} from '../../../../functions/core/engines/postgres/postgres-scripts.ts';
import { database, host, rejoinTarget, restoreTarget, SECRETS, target } from '../postgres-fixtures.ts';

/** Every builder of the engine, with the fixed script it must use. */
function allCommands(db: PostgresDatabase = database(), h: Host = host()): { name: string; command: () => RemoteCommand; script: string }[] {
  const t = target(db, h);
  const r = restoreTarget(db, { host: h });
  return [
    { name: 'preparePrimary', command: () => postgresEngine.preparePrimary({ ...t, replicaName: 'twin_main', replicaAddress: '127.0.2.1' }, SECRETS), script: PREPARE_PRIMARY_SCRIPT },
    { name: 'restoreReplica', command: () => postgresEngine.restoreReplica(r, SECRETS), script: RESTORE_REPLICA_SCRIPT },
    { name: 'startReplication', command: () => postgresEngine.startReplication(r, SECRETS), script: START_REPLICATION_SCRIPT },
    { name: 'status', command: () => postgresEngine.status(t), script: STATUS_SCRIPT },
    { name: 'fence', command: () => postgresEngine.fence(t), script: FENCE_SCRIPT },
    { name: 'promote', command: () => postgresEngine.promote(t), script: PROMOTE_SCRIPT },
    { name: 'setSynchronousReplicas', command: () => postgresEngine.setSynchronousReplicas(t, ['twin_main']), script: SET_SYNCHRONOUS_REPLICAS_SCRIPT },
    { name: 'demote', command: () => postgresEngine.demote(t), script: DEMOTE_SCRIPT },
    { name: 'undoDemote', command: () => postgresEngine.undoDemote(t), script: UNDO_DEMOTE_SCRIPT },
    { name: 'rejoin', command: () => postgresEngine.rejoin(rejoinTarget(db, { host: h }), SECRETS), script: REJOIN_SCRIPT },
  ];
}

const SECRET_VALUES = [SECRETS.replicationPassword, SECRETS.appPassword];

function visibleText(c: RemoteCommand): string {
  return [c.description, ...c.argv, c.stdin ?? '', ...Object.values(c.env ?? {})].join('\n');
}

describe('postgresEngine commands', () => {
  it.each(allCommands())('$name runs its fixed script with positional arguments', ({ command, script }) => {
    // Act
    const c = command();

    // Assess
    expect(c.argv.slice(0, 4)).toEqual(['sh', '-c', script, 'sh']);
    expect(c.argv.slice(4, 10)).toEqual(['/usr/lib/postgresql/15/bin', '/var/lib/twinstack/main', '/var/run/twinstack', '5432', 'postgres', '*']);
    expect(c.timeoutMs).toBeGreaterThan(0);
    expect(c.description).toMatch(/main/);
  });

  it.each(allCommands())('$name keeps secrets out of argv, stdin, env and description', ({ command }) => {
    // Act
    const c = command();

    // Assess
    const text = visibleText(c);
    for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
    for (const value of Object.values(c.secretEnv ?? {})) expect(c.redact).toContain(value);
  });

  it.each([
    { name: 'preparePrimary', secretEnv: { TWINSTACK_REPLICATION_PASSWORD: SECRETS.replicationPassword, TWINSTACK_APP_PASSWORD: SECRETS.appPassword } },
    { name: 'restoreReplica', secretEnv: { PGPASSWORD: SECRETS.replicationPassword } },
    { name: 'rejoin', secretEnv: { TWINSTACK_REPLICATION_PASSWORD: SECRETS.replicationPassword } },
  ])('$name delivers its secrets in secretEnv and redact', ({ name, secretEnv }) => {
    // Prepare
    const entry = allCommands().find((e) => e.name === name);

    // Act
    const c = entry!.command();

    // Assess
    expect(c.secretEnv).toStrictEqual(secretEnv);
    expect([...(c.redact ?? [])].sort()).toStrictEqual(Object.values(secretEnv).sort());
  });

  it.each(allCommands())('$name script reads no secret from its arguments', ({ script }) => {
    // Assess: secrets are only read from the environment (\getenv or PGPASSWORD)
    expect(script).not.toMatch(/PASSWORD\s*=\s*\$[0-9]/);
    expect(script).not.toMatch(/echo[^\n]*PASSWORD/);
  });

  it.each([
    { mode: 'sync' as const, syncNames: 'FIRST 1 ("twin_main")' },
    { mode: 'async' as const, syncNames: '' },
  ])('preparePrimary in $mode mode sets synchronous_standby_names to $syncNames', ({ mode, syncNames }) => {
    // Prepare
    const db = database({ replication: { mode, maxLag: 1024 } });

    // Act
    const c = postgresEngine.preparePrimary({ ...target(db), replicaName: 'twin_main', replicaAddress: '127.0.2.1' }, SECRETS);

    // Assess: after the node args come replication user, app user, database, sync names, replica address
    expect(c.argv.slice(10)).toEqual(['replicator', 'shop_app', 'shop', syncNames, '127.0.2.1']);
  });

  it.each([
    { names: [], value: '' },
    { names: ['twin_main'], value: 'FIRST 1 ("twin_main")' },
    { names: ['a', 'b-2'], value: 'FIRST 1 ("a", "b-2")' },
  ])('setSynchronousReplicas($names) sets $value', ({ names, value }) => {
    // Act
    const c = postgresEngine.setSynchronousReplicas(target(), names);

    // Assess
    expect(c.argv.slice(10)).toEqual([value]);
  });

  it('listens on the host address when listenOn is host-address', () => {
    // Prepare
    const db = database({}, { listenOn: 'host-address' });

    // Act
    const c = postgresEngine.status(target(db, host({ address: '127.0.3.1' })));

    // Assess
    expect(c.argv[9]).toBe('127.0.3.1');
  });

  it('restoreReplica streams from the primary host as the replica name', () => {
    // Act
    const c = postgresEngine.restoreReplica(restoreTarget(), SECRETS);

    // Assess
    expect(c.argv.slice(10)).toEqual(['127.0.1.1', 'replicator', 'twin_main']);
    expect(c.argv[5]).toBe('/var/lib/twinstack/main');
  });

  it.each(['/', '/data', '/var/lib/../..', '/var/lib/twin/', 'relative/dir'])('restoreReplica refuses to empty data directory %j', (dataDir) => {
    // Prepare
    const db = database({}, { dataDir });

    // Act / Assess
    expect(() => postgresEngine.restoreReplica(restoreTarget(db), SECRETS)).toThrow(InvalidInputError);
  });

  const INJECTIONS: { name: string; db?: PostgresDatabase; h?: Host; replicaName?: string; replicaAddress?: string; primaryAddress?: string }[] = [
    { name: 'data dir with command substitution', db: database({}, { dataDir: '/var/lib/$(reboot)' }) },
    { name: 'data dir with a space', db: database({}, { dataDir: '/var/lib/a b' }) },
    { name: 'bin dir with a semicolon', db: database({}, { binDir: '/usr/bin;rm -rf /' }) },
    { name: 'socket dir with a quote', db: database({}, { socketDir: "/tmp/x'y" }) },
    { name: 'superuser with SQL', db: database({}, { superuser: 'postgres"; DROP' }) },
    { name: 'port out of range', db: database({ port: 70000 }) },
    { name: 'fractional port', db: database({ port: 54.32 }) },
    { name: 'listen address with shell', db: database({}, { listenOn: 'host-address' }), h: host({ address: "127.0.0.1' -c evil='1" }) },
  ];

  it.each(INJECTIONS)('every builder rejects $name', ({ db, h }) => {
    for (const { name, command } of allCommands(db ?? database(), h ?? host())) {
      // Act / Assess
      expect(command, name).toThrow(InvalidInputError);
    }
  });

  it.each([
    { name: 'replication user with a quote', db: database({}, { replicationUser: "repl'--" }) },
    { name: 'app user with a space', db: database({}, { appUser: 'app user' }) },
    { name: 'database with a dollar', db: database({}, { database: 'shop$x' }) },
    { name: 'replica name with a double quote', replicaName: 'twin"main' },
    { name: 'replica address not IPv4', replicaAddress: '10.0.0.1/0' },
    { name: 'replica address with a newline', replicaAddress: '10.0.0.1\nhost all all 0.0.0.0/0 trust' },
  ])('preparePrimary rejects $name', ({ db, replicaName, replicaAddress }) => {
    // Act / Assess
    expect(() =>
      postgresEngine.preparePrimary({ ...target(db ?? database()), replicaName: replicaName ?? 'twin_main', replicaAddress: replicaAddress ?? '127.0.2.1' }, SECRETS),
    ).toThrow(InvalidInputError);
  });

  it.each([
    { name: 'primary address with conninfo', overrides: { primaryHost: host({ address: '10.0.0.1 password=x' }) } },
    { name: 'replica name with a space', overrides: { replicaName: 'twin main' } },
  ])('restoreReplica rejects $name', ({ overrides }) => {
    // Act / Assess
    expect(() => postgresEngine.restoreReplica(restoreTarget(database(), overrides), SECRETS)).toThrow(InvalidInputError);
  });

  it('rejoin follows the new primary as the replica name, passing its fork position', () => {
    // Act
    const c = postgresEngine.rejoin(rejoinTarget(), SECRETS);

    // Assess: after the node args come new primary address, replication user, replica name, fork
    expect(c.argv.slice(10)).toEqual(['127.0.2.1', 'replicator', 'primary_main', '0/30000A0']);
    expect(c.description).toMatch(/rejoin postgres main on db as replica primary_main/);
  });

  it('rejoin passes an empty fork when the new primary reports none (pg_rewind finds it)', () => {
    // Act
    const c = postgresEngine.rejoin(rejoinTarget(database(), { primaryStatus: { role: 'primary', writable: true, fenced: false } }), SECRETS);

    // Assess
    expect(c.argv.at(-1)).toBe('');
  });

  it.each([
    { name: 'a new primary that is not a primary', overrides: { primaryStatus: { role: 'replica' as const, writable: false, fenced: false } }, field: /primaryStatus\.role is replica/ },
    { name: 'a fork that is not an LSN', overrides: { primaryStatus: { role: 'primary' as const, writable: true, fenced: false, forkPosition: "0/1'; rm" } }, field: /forkPosition/ },
    { name: 'the old primary as its own new primary', overrides: { primaryHost: host() }, field: /primaryHost is the old primary itself/ },
    { name: 'a new primary address with conninfo', overrides: { primaryHost: host({ address: '10.0.0.1 password=x' }) }, field: /new primary address/ },
    { name: 'a replica name with a quote', overrides: { replicaName: "old'main" }, field: /replica name/ },
  ])('rejoin rejects $name, naming the field', ({ overrides, field }) => {
    // Act / Assess
    expect(() => postgresEngine.rejoin(rejoinTarget(database(), overrides), SECRETS)).toThrow(InvalidInputError);
    expect(() => postgresEngine.rejoin(rejoinTarget(database(), overrides), SECRETS)).toThrow(field);
  });

  it('setSynchronousReplicas rejects a name that would break out of the quotes', () => {
    // Act / Assess
    expect(() => postgresEngine.setSynchronousReplicas(target(), ['a", "b'])).toThrow(InvalidInputError);
  });
});

describe('postgresEngine failover command timeouts', () => {
  it.each([
    { step: 'PromoteDatabase', act: () => postgresEngine.promote(target()) },
    { step: 'FenceOldPrimary', act: () => postgresEngine.fence(target()) },
  ])('$step: status + command + status stays within 150 s (the step has 180 s)', ({ act }) => {
    // Act
    const total = 2 * postgresEngine.status(target()).timeoutMs + act().timeoutMs;

    // Assess
    expect(total).toBeLessThanOrEqual(150_000);
  });
});

describe('postgresEngine.connection', () => {
  it('gives host:port and a URL with the app password URL-encoded, never the replication password', () => {
    // Act
    const connection = postgresEngine.connection(target(database(), host({ address: '10.1.2.3' })), SECRETS);

    // Assess
    expect(connection).toStrictEqual({
      address: '10.1.2.3:5432',
      url: `postgres://shop_app:${encodeURIComponent(SECRETS.appPassword)}@10.1.2.3:5432/shop`,
    });
    expect(new URL(connection.url).password).toBe(encodeURIComponent(SECRETS.appPassword));
    expect(JSON.stringify(connection)).not.toContain(SECRETS.replicationPassword);
  });
});

describe('postgresEngine.compatibilityProblems', () => {
  const status = (version?: string) => ({ role: 'primary' as const, writable: true, fenced: false, ...(version ? { version } : {}) });
  it.each([
    { name: 'same major', primary: '15.4 (Debian 15.4-1)', twin: '15.8', problems: 0 },
    { name: 'different majors', primary: '15.4', twin: '16.1', problems: 1 },
    { name: 'twin version unknown (stopped)', primary: '15.4', twin: undefined, problems: 0 },
  ])('$name: $problems problem(s)', ({ primary, twin, problems }) => {
    // Act
    const found = postgresEngine.compatibilityProblems(status(primary), status(twin));
    // Assess
    expect(found).toHaveLength(problems);
    if (problems > 0) expect(found[0]).toMatch(/same major version/);
  });
});

describe('postgresEngine.positionDiff', () => {
  it('is LSN arithmetic', () => {
    // Act / Assess
    expect(postgresEngine.positionDiff('0/3000148', '0/3000000')).toBe(0x148);
  });
});

describe('engineFor', () => {
  it('returns the PostgreSQL engine by name', () => {
    // Act / Assess
    expect(engineFor('postgres')).toBe(postgresEngine);
    expect(engineFor('postgres').name).toBe('postgres');
  });

  it('rejects an unknown engine name', () => {
    // Act / Assess
    expect(() => engineFor('oracle' as never)).toThrow(InvalidInputError);
  });
});
