import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import { createHandler, renderEnvFile } from '../../../functions/handlers/publish-env-vars.handler.ts';
import { RemoteCommandError } from '../../../functions/core/errors.ts';
import type { RemoteShell } from '../../../functions/core/ports.ts';
import { createHarness, replicateInWorld } from './fakes/fake-world.ts';

describe('PublishEnvVars handler', () => {
  it('writes every stack env to params (secret) and to .env.twinstack on every host via stdin', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    // Act
    const result = await createHandler(h.deps)({ group: 'shop' });
    // Assess
    const twinRole = h.params.values.get(parameterNames.env('shop', 'shop-de', 'TWINSTACK_ROLE'));
    expect(twinRole).toEqual({ value: 'standby', secret: true });
    expect(h.params.values.get(parameterNames.env('shop', 'shop-eu', 'TWINSTACK_ROLE'))?.value).toBe('active');
    const env = (stack: string, name: string) => h.params.values.get(parameterNames.env('shop', stack, name))?.value;
    // Two databases of one engine: names suffixed; DATABASE_URL is the first SQL database's.
    expect(env('shop-eu', 'FAKEDB_URL_MAIN')).toContain('app-main-S3cret!y@127.0.1.1');
    expect(env('shop-eu', 'FAKEDB_URL_AUDIT')).toContain('@127.0.1.1');
    expect(env('shop-eu', 'DATABASE_URL')).toBe(env('shop-eu', 'FAKEDB_URL_MAIN'));
    expect(env('shop-eu', 'FAKEDB_ADDRESS_MAIN')).toBe('127.0.1.1:5432');
    expect(env('shop-eu', 'FAKEDB_SLAVE_ADDRESSES_INT_MAIN')).toBe('127.0.2.1:5432');
    expect(env('shop-de', 'FAKEDB_SLAVE_ADDRESSES_INT_MAIN')).toBe('');
    expect([env('shop-eu', 'TWINSTACK_FAILOVER_STATUS'), env('shop-de', 'TWINSTACK_FAILOVER_STATUS')]).toEqual(['online', 'offline']);
    expect([...h.world.files.keys()].sort()).toEqual([
      '127.0.1.1:/srv/app/.env.twinstack', '127.0.1.2:/srv/app/.env.twinstack', '127.0.2.1:/srv/app/.env.twinstack', '127.0.2.2:/srv/app/.env.twinstack',
    ]);
    expect(h.world.files.get('127.0.2.2:/srv/app/.env.twinstack')).toContain("TWINSTACK_STACK='shop-de'");
    const writes = h.world.execs.filter((e) => e.argv[0] === 'sh');
    expect(writes.every((w) => w.argv.join(' ').includes('chmod 600') && !w.argv.join(' ').includes('S3cret'))).toBe(true);
    expect(JSON.stringify(result)).not.toMatch(/S3cret/);
    expect(result.stacks.map((s) => [s.stack, s.role])).toEqual([['shop-eu', 'active'], ['shop-de', 'standby']]);
    expect(h.world.openShells).toBe(0);
  });

  it('marks the twin active when told so, and reports an unreachable standby host instead of failing', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    h.world.unreachable.add('127.0.1.1');
    h.world.unreachable.add('127.0.1.2');
    // Act
    const result = await createHandler(h.deps)({ group: 'shop', active: 'twin' });
    // Assess
    expect(result.stacks[0]?.hosts.map((x) => x.outcome)).toEqual(['unreachable', 'unreachable']);
    expect(result.stacks[1]?.hosts.map((x) => x.outcome)).toEqual(['written', 'written']);
    expect(h.params.values.get(parameterNames.env('shop', 'shop-de', 'TWINSTACK_ROLE'))?.value).toBe('active');
  });

  it('fails when an active host is unreachable', async () => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    h.world.unreachable.add('127.0.1.2');
    // Act + Assess
    await expect(createHandler(h.deps)({ group: 'shop' })).rejects.toMatchObject({ name: 'HostUnreachableError' });
    expect(h.world.openShells).toBe(0);
  });

  it('renders sorted KEY=value lines, single-quoted, or double-quoted when the value holds a single quote', () => {
    // Act
    const text = renderEnvFile({ B: "it's", A: 'x y' });
    // Assess
    expect(text).toBe("A='x y'\nB=\"it's\"\n");
  });

  it('renders values that Node parseEnv reads back verbatim (the demo app reads the file itself)', () => {
    // Prepare
    const env = { URL: "postgresql://app:p%40ss'w(rd)*!@127.0.2.1:5432/app?sslmode=disable", HASH: 'a#b c', EQ: 'k=v=w', EMPTY: '' };
    // Act
    const parsed = parseEnv(renderEnvFile(env));
    // Assess
    expect(parsed).toEqual(env);
  });

  it.skipIf(!existsSync('/usr/bin/docker-compose'))('renders values that docker-compose v1 env_file reads back verbatim (it drops shell-style quoting)', () => {
    // Prepare
    const env = { URL: "postgresql://app:p%40ss'w(rd)*!@127.0.2.1:5432/app", PLAIN: 'x y', HASH: 'a#b' };
    const dir = mkdtempSync(join(tmpdir(), 'env-file-'));
    writeFileSync(join(dir, 'app.env'), renderEnvFile(env));
    writeFileSync(join(dir, 'docker-compose.yml'), 'version: "2.4"\nservices:\n  app:\n    image: x\n    env_file: app.env\n');
    // Act
    const out = execFileSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
    rmSync(dir, { recursive: true, force: true });
    // Assess
    const environment = (parseYaml(out) as { services: { app: { environment: Record<string, string> } } }).services.app.environment;
    expect(environment).toEqual(env);
  });

  it('refuses a value no env_file reader can take verbatim', () => {
    expect(() => renderEnvFile({ A: 'line\nbreak' })).toThrow(/line break/);
    expect(() => renderEnvFile({ A: `it's "$HOME"` })).toThrow(/verbatim/);
  });

  it.each([
    { name: 'the bare app password', leak: 'app-main-S3cret!y' },
    { name: 'the bare replication password (never published)', leak: 'repl-audit-S3cret!x' },
    { name: 'the URL-encoded form of a password', leak: 'p%40ss%2Fw%3Ard', app: 'p@ss/w:rd' },
    { name: 'a short published value', leak: 'shop-eu' },
  ])('masks $name that the env file write prints to stderr in the thrown error', async ({ leak, app }) => {
    // Prepare
    const h = await createHarness();
    await replicateInWorld(h);
    if (app !== undefined) await h.params.put(parameterNames.secret('shop', 'main', 'app-password'), app, { secret: true });
    const deps = {
      ...h.deps,
      openShell: async (group: string): Promise<RemoteShell> => {
        const inner = await h.deps.openShell(group);
        return {
          exec: (host, command) =>
            command.argv[3] === 'twinstack-env'
              ? Promise.resolve({ exitCode: 1, stdout: '', stderr: `cannot write: "${leak}"`, durationMs: 1 })
              : inner.exec(host, command),
          close: () => inner.close(),
        };
      },
    };
    // Act
    const failure = await createHandler(deps)({ group: 'shop' }).catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(RemoteCommandError);
    const { message, stderr } = failure as RemoteCommandError;
    expect(message).toContain('cannot write: "***"');
    expect(stderr).toBe('cannot write: "***"');
    expect(`${message}${stderr}`).not.toContain(leak);
  });
});
