/**
 * The contract every registered engine keeps (one suite, `it.each` over the
 * registry): settings with defaults, commands that are data with secrets only in
 * secretEnv or stdin, deterministic (so re-runs repeat exactly) and validated
 * builders, neutral status parsing of recorded outputs — a stopped server included —
 * and positions compared in the engine's own unit; the switchover and rejoin commands
 * (demote, undoDemote, rejoin) keep the same rules, and their parsers never guess.
 */
import { describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../../../../functions/core/command.ts';
import type { DatabaseSecrets } from '../../../../../functions/core/engines/database-engine.ts';
import { InvalidInputError, UnexpectedOutputError } from '../../../../../functions/core/errors.ts';
import { ENGINE_PLUGINS } from '../../../../../functions/core/engines/engine-registry.ts';
import type { EnginePlugin } from '../../../../../functions/core/engines/engine-plugin.ts';
import type { Database, EngineName, Host } from '../../../../../functions/core/model.ts';
import { parseDatabaseEntry } from '../../../../../infra/config/twinstack-config.schema.ts';
import { RECORDED_STATUS } from './recorded-status.ts';

const SECRETS: DatabaseSecrets = { replicationPassword: `r3pl'ic $(rm -rf /) "pw ;x`, appPassword: 'app p@ss/w:rd&x=1 `id`' };
const PRIMARY: Host = { name: 'db', address: '127.0.1.1', sshPort: 22, user: 'twinstack', hostKey: 'SHA256:abc' };
const TWIN: Host = { ...PRIMARY, address: '127.0.2.1' };

const ENGINES = ENGINE_PLUGINS.map((plugin) => ({ name: plugin.name, plugin: plugin }));

function databaseOf(plugin: EnginePlugin<EngineName>, mode: 'sync' | 'async' = 'sync'): Database {
  return parseDatabaseEntry({ name: 'main', engine: plugin.name, host: 'db', replication: { mode } });
}

/** Every command an engine builds for one database, with the secrets it was given. */
function everyCommand(plugin: EnginePlugin<EngineName>, database: Database): RemoteCommand[] {
  const { engine } = plugin;
  const replicaName = engine.replicaName(database, 'shop-twin', TWIN);
  const restore = { database, host: TWIN, primaryHost: PRIMARY, replicaName };
  return [
    engine.preparePrimary({ database, host: PRIMARY, replicaName, replicaAddress: TWIN.address }, SECRETS),
    engine.restoreReplica(restore, SECRETS),
    engine.startReplication(restore, SECRETS),
    engine.status({ database, host: PRIMARY }),
    engine.fence({ database, host: PRIMARY }),
    engine.promote({ database, host: TWIN }),
    engine.setSynchronousReplicas({ database, host: PRIMARY }, [replicaName]),
    engine.setSynchronousReplicas({ database, host: PRIMARY }, []),
    engine.demote({ database, host: PRIMARY }),
    engine.undoDemote({ database, host: PRIMARY }),
    rejoinCommand(plugin, database),
  ];
}

/** The rejoin of the old primary (PRIMARY) to `newPrimary`, observed as the engine's recorded promoted twin. */
function rejoinCommand(plugin: EnginePlugin<EngineName>, database: Database, newPrimary: Host = TWIN): RemoteCommand {
  const { engine } = plugin;
  const recorded = RECORDED_STATUS[plugin.name];
  expect(recorded, `test/unit/core/engines/contract/recorded-status.ts has no outputs for ${plugin.name}`).toBeDefined();
  const primaryStatus = engine.parseStatus(recorded?.promoted ?? recorded?.primary ?? { exitCode: 1, stdout: '', stderr: '', durationMs: 0 });
  return engine.rejoin({ database, host: PRIMARY, primaryHost: newPrimary, replicaName: engine.replicaName(database, 'shop', PRIMARY), primaryStatus }, SECRETS);
}

describe.each(ENGINES)('engine contract: $name', ({ plugin }) => {
  const { engine } = plugin;

  it('is registered under its own name, with a settings block that parses to its defaults', () => {
    // Act
    const database = databaseOf(plugin);

    // Assess
    expect(engine.name).toBe(plugin.name);
    expect(engine.lagUnit).toBe(plugin.lagUnit);
    expect(database.port).toBe(plugin.defaultPort);
    expect((database as unknown as Record<string, unknown>)[plugin.settingsKey]).toBeTypeOf('object');
    expect(plugin.fieldHints[plugin.settingsKey]?.fix.length ?? 0).toBeGreaterThan(10);
    expect(engine.envPrefix).toMatch(/^[A-Z][A-Z0-9]*$/);
  });

  it('builds commands that are data: argv words, bounded, secrets only in secretEnv (redacted) or stdin', () => {
    // Prepare
    const secrets = Object.values(SECRETS);

    // Act
    const commands = everyCommand(plugin, databaseOf(plugin));

    // Assess
    for (const command of commands) {
      expect(command.argv.every((word) => typeof word === 'string')).toBe(true);
      expect(command.timeoutMs).toBeGreaterThan(0);
      const visible = JSON.stringify([command.argv, command.description, command.env ?? {}]);
      for (const secret of secrets) expect(visible, command.description).not.toContain(secret);
      for (const value of Object.values(command.secretEnv ?? {})) expect(command.redact ?? [], command.description).toContain(value);
    }
    const carried = commands.flatMap((c) => [...Object.values(c.secretEnv ?? {}), c.stdin ?? '']).join('\n');
    expect(carried).toContain(SECRETS.replicationPassword);
  });

  it('builds the same command for the same input (a re-run repeats exactly what ran)', () => {
    // Act
    const first = everyCommand(plugin, databaseOf(plugin));
    const second = everyCommand(plugin, databaseOf(plugin));

    // Assess
    expect(second).toStrictEqual(first);
  });

  it('names the replica deterministically, in a form safe in any script', () => {
    // Act
    const name = engine.replicaName(databaseOf(plugin), 'shop-twin', TWIN);

    // Assess
    expect(engine.replicaName(databaseOf(plugin), 'shop-twin', TWIN)).toBe(name);
    expect(name).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
  });

  it('publishes a connection with the app password URL-encoded and never the replication password', () => {
    // Act
    const connection = engine.connection({ database: databaseOf(plugin), host: PRIMARY }, SECRETS);

    // Assess
    expect(connection.address).toContain(PRIMARY.address);
    expect(connection.url).toContain(encodeURIComponent(SECRETS.appPassword));
    expect(JSON.stringify(connection)).not.toContain(SECRETS.replicationPassword);
  });

  it('refuses a hostile peer address before building a command', () => {
    // Prepare
    const database = databaseOf(plugin);
    const hostile: Host = { ...PRIMARY, address: '127.0.0.1; reboot' };
    const replicaName = engine.replicaName(database, 'shop-twin', TWIN);

    // Act / Assess
    expect(() => engine.restoreReplica({ database, host: TWIN, primaryHost: hostile, replicaName }, SECRETS)).toThrow();
    expect(() => engine.connection({ database, host: hostile }, SECRETS)).toThrow();
    expect(() => rejoinCommand(plugin, database, hostile)).toThrow(InvalidInputError);
  });

  it('parses recorded outputs into neutral words: a stopped server, a primary with its twin, the replica', () => {
    // Prepare
    const recorded = RECORDED_STATUS[plugin.name];
    expect(recorded, `test/unit/core/engines/contract/recorded-status.ts has no outputs for ${plugin.name}`).toBeDefined();
    if (!recorded) return;

    // Act
    const stopped = engine.parseStatus(recorded.stopped);
    const primary = engine.parseStatus(recorded.primary);
    const replica = engine.parseStatus(recorded.replica);

    // Assess
    expect(stopped).toMatchObject({ role: 'stopped', writable: false });
    expect(primary).toMatchObject({ role: 'primary', writable: true });
    expect(primary.replicas?.length ?? 0).toBeGreaterThan(0);
    for (const r of primary.replicas ?? []) expect(Object.keys(r).sort()).toEqual(expect.arrayContaining(['name', 'streaming', 'synchronous']));
    expect(replica).toMatchObject({ role: 'replica', writable: false });
    expect(replica.position).toBeDefined();
    // Positions compare in the engine's unit: a position is 0 from itself, and a difference is a finite number.
    expect(engine.positionDiff(primary.position ?? '', primary.position ?? '')).toBe(0);
    expect(Number.isFinite(engine.positionDiff(primary.position ?? '', replica.position ?? ''))).toBe(true);
    expect(engine.compatibilityProblems(primary, replica)).toEqual([]);
  });

  it('rejects switchover and rejoin output it does not understand, and any failed run, instead of guessing', () => {
    // Prepare
    const garbage = { exitCode: 0, stdout: 'not what a script prints\n', stderr: '', durationMs: 1 };
    const refused = { exitCode: 5, stdout: '', stderr: 'refusing', durationMs: 1 };

    // Act / Assess
    for (const output of [garbage, refused]) {
      expect(() => engine.parseDemotion(output)).toThrow(UnexpectedOutputError);
      expect(() => engine.parseRejoin(output)).toThrow(UnexpectedOutputError);
    }
  });

  it('rejects output it does not understand instead of guessing', () => {
    // Act / Assess
    expect(() => engine.parseStatus({ exitCode: 0, stdout: 'not what a status prints\n', stderr: '', durationMs: 1 })).toThrow();
  });
});

/** Engines with a recorded promoted twin: one without is not passed silently, it is not listed. */
const PROMOTED_RECORDINGS = ENGINES.filter(({ name }) => RECORDED_STATUS[name]?.promoted !== undefined);

describe.each(PROMOTED_RECORDINGS)('engine contract, promoted twin: $name', ({ plugin }) => {
  it('parses its recorded promoted twin as a writable primary twinstack promoted, its fork not beyond its position', () => {
    // Act
    const status = plugin.engine.parseStatus(RECORDED_STATUS[plugin.name]?.promoted ?? { exitCode: 1, stdout: '', stderr: '', durationMs: 0 });

    // Assess
    expect(status).toMatchObject({ role: 'primary', writable: true, promotedByTwinstack: true });
    // An engine reporting a fork (where it left the old primary's history) stands at or beyond it.
    if (status.forkPosition !== undefined) expect(plugin.engine.positionDiff(status.position ?? '', status.forkPosition)).toBeGreaterThanOrEqual(0);
  });
});
