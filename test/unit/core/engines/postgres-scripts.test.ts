import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as scripts from '../../../../functions/core/engines/postgres/postgres-scripts.ts';

const ALL = Object.entries(scripts).map(([name, script]) => ({ name, script }));

describe('PostgreSQL scripts', () => {
  it('are all checked here', () => {
    // Assess
    expect(ALL.map((s) => s.name).sort()).toEqual([
      'FENCE_SCRIPT',
      'PREPARE_PRIMARY_SCRIPT',
      'PROMOTE_SCRIPT',
      'RESTORE_REPLICA_SCRIPT',
      'SET_SYNCHRONOUS_REPLICAS_SCRIPT',
      'START_REPLICATION_SCRIPT',
      'STATUS_SCRIPT',
    ]);
  });

  it.each(ALL)('$name parses as POSIX sh', ({ script }) => {
    // Act: `sh -n` parses without running anything
    const result = spawnSync('sh', ['-n', '-c', script], { encoding: 'utf8', timeout: 5000 });

    // Assess
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(ALL)('$name takes values only as positional parameters', ({ script }) => {
    // Assess: no template interpolation leaked into the fixed text, and psql never sees a shell-expanded heredoc
    expect(script).not.toMatch(/\$\{(?!TWINSTACK_|PGPASSWORD)/);
    expect(script).not.toMatch(/<<\s*SQL/);
    expect(script).toMatch(/^set -eu\nBIN=\$1; DATA=\$2; SOCK=\$3; PORT=\$4; SUPER=\$5; LISTEN=\$6; shift 6\n/);
  });

  /** Lines of a script that run `name` (as a command, not in a comment or a message). */
  function linesRunning(script: string, name: string): string[] {
    return script.split('\n').filter((line) => line.includes(`"$BIN/${name}"`));
  }

  const SECRET_VARS = ['TWINSTACK_REPLICATION_PASSWORD', 'TWINSTACK_APP_PASSWORD', 'PGPASSWORD'];

  it.each(['start', 'restart'])('every pg_ctl %s runs without the secrets in its environment', (verb) => {
    // Act: the preamble defines start_node/restart_node; every script shares it
    const lines = linesRunning(scripts.PREPARE_PRIMARY_SCRIPT, 'pg_ctl').filter((line) => new RegExp(`\\b${verb}\\b[^\\n]*>&2`).test(line));

    // Assess
    expect(lines).toHaveLength(1);
    const unset = /\benv((?: -u [A-Z_]+)+) "\$BIN\/pg_ctl"/.exec(lines[0] ?? '')?.[1]?.split(' -u ').filter(Boolean) ?? [];
    expect(unset.sort()).toEqual([...SECRET_VARS].sort());
  });

  it.each(ALL)('$name starts or restarts PostgreSQL only through start_node/restart_node', ({ script }) => {
    // Assess: no pg_ctl start/restart line outside the two helpers (which unset the secrets)
    const direct = linesRunning(script, 'pg_ctl').filter((line) => /\b(start|restart)\b/.test(line) && !/^(start_node|restart_node)\(\)/.test(line));
    expect(direct).toEqual([]);
  });

  it('restore gives PGPASSWORD to pg_basebackup alone, under a timeout', () => {
    // Prepare
    const script = scripts.RESTORE_REPLICA_SCRIPT;

    // Act
    const basebackup = linesRunning(script, 'pg_basebackup');
    const withPassword = script.split('\n').filter((line) => /PGPASSWORD=/.test(line));

    // Assess
    expect(basebackup).toHaveLength(1);
    expect(basebackup[0]).toMatch(/^PGPASSWORD="\$REPL_PW" timeout (-k \d+ )?\d+ "\$BIN\/pg_basebackup"/);
    expect(withPassword).toEqual(basebackup);
    expect(script).toMatch(/REPL_PW=\$PGPASSWORD; unset PGPASSWORD\n/);
    expect(script.indexOf('unset PGPASSWORD')).toBeLessThan(script.indexOf('find "$DATA" -mindepth 1 -delete'));
  });

  it('restore removes the promoted and fenced markers a base backup copies', () => {
    // Assess
    expect(scripts.RESTORE_REPLICA_SCRIPT).toMatch(/rm -f "\$DATA\/twinstack\.fenced" "\$DATA\/twinstack\.promoted"\n/);
    expect(scripts.RESTORE_REPLICA_SCRIPT.indexOf('twinstack.promoted')).toBeGreaterThan(scripts.RESTORE_REPLICA_SCRIPT.indexOf('pg_basebackup'));
  });

  it('promote marks the server before promoting it and refuses a primary without the mark', () => {
    // Prepare
    const script = scripts.PROMOTE_SCRIPT;

    // Assess
    expect(script.indexOf('touch "$DATA/twinstack.promoted"')).toBeGreaterThan(0);
    expect(script.indexOf('touch "$DATA/twinstack.promoted"')).toBeLessThan(script.indexOf('pg_promote('));
    expect(script).toMatch(/\[ -f "\$DATA\/twinstack\.promoted" \] \|\| \{[^\n]*exit 5; \}/);
  });

  it('status reports the promoted marker in every JSON line it prints', () => {
    // Prepare
    const script = scripts.STATUS_SCRIPT;

    // Act
    const jsonLines = script.split('\n').filter((line) => line.includes('"role":'));

    // Assess
    expect(jsonLines).toHaveLength(2);
    for (const line of jsonLines) expect(line).toContain('"promotedByTwinstack":%s');
    expect(script).toContain("'promotedByTwinstack', :'promoted'::boolean");
    expect(script).toMatch(/PROMOTED=false; \[ -f "\$DATA\/twinstack\.promoted" \] && PROMOTED=true/);
  });

  it.each(ALL)('$name bounds every psql by a timeout and every pg_ctl wait by -t', ({ script }) => {
    // Assess
    const psql = linesRunning(script, 'psql');
    expect(psql.every((line) => /timeout -k \d+ "\$t" "\$BIN\/psql"/.test(line))).toBe(true);
    const waits = linesRunning(script, 'pg_ctl').filter((line) => / -w /.test(line));
    expect(waits.every((line) => / -t \d+/.test(line))).toBe(true);
  });

  describe('run against fake PostgreSQL binaries', () => {
    /** A bin directory whose pg_ctl, pg_basebackup and pg_isready record their environment and succeed. */
    function fakeNode(): { root: string; bin: string; data: string; envOf: (tool: string) => string } {
      const root = mkdtempSync(join(tmpdir(), 'twinstack-scripts-'));
      const bin = join(root, 'bin');
      const data = join(root, 'data', 'main');
      mkdirSync(bin);
      const tool = (name: string, body: string) => {
        writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
      };
      tool('pg_ctl', `case " $* " in *" status "*) exit 3 ;; esac\nenv > "${root}/env.pg_ctl"\nexit 0`);
      tool('pg_basebackup', `env > "${root}/env.pg_basebackup"\nmkdir -p "${data}"; : > "${data}/postgresql.auto.conf"; : > "${data}/twinstack.promoted"; : > "${data}/twinstack.fenced"\nexit 0`);
      tool('pg_isready', 'exit 0');
      return { root, bin, data, envOf: (name) => readFileSync(join(root, `env.${name}`), 'utf8') };
    }

    const SECRET_ENV = { TWINSTACK_REPLICATION_PASSWORD: 'repl-secret', TWINSTACK_APP_PASSWORD: 'app-secret', PGPASSWORD: 'pg-secret' };

    function run(script: string, node: { root: string; bin: string; data: string }, args: readonly string[], env: Record<string, string>) {
      return spawnSync('sh', ['-c', script, 'sh', node.bin, node.data, join(node.root, 'sock'), '5432', 'postgres', '*', ...args], {
        encoding: 'utf8',
        timeout: 10_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      });
    }

    it('restore: PGPASSWORD reaches pg_basebackup only; the started server gets no secret; the copied markers are removed', () => {
      // Prepare
      const node = fakeNode();
      try {
        // Act
        const result = run(scripts.RESTORE_REPLICA_SCRIPT, node, ['127.0.1.1', 'replicator', 'twin_main'], SECRET_ENV);

        // Assess
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        expect(node.envOf('pg_basebackup')).toMatch(/^PGPASSWORD=pg-secret$/m);
        const serverEnv = node.envOf('pg_ctl');
        for (const name of Object.keys(SECRET_ENV)) expect(serverEnv).not.toMatch(new RegExp(`^${name}=`, 'm'));
        for (const value of Object.values(SECRET_ENV)) expect(serverEnv).not.toContain(value);
        expect(spawnSync('ls', ['-A', node.data], { encoding: 'utf8' }).stdout.split('\n')).not.toContain('twinstack.promoted');
        expect(spawnSync('ls', ['-A', node.data], { encoding: 'utf8' }).stdout.split('\n')).not.toContain('twinstack.fenced');
      } finally {
        rmSync(node.root, { recursive: true, force: true });
      }
    });

    it('start replication: the started server gets none of the secrets of the SSH session', () => {
      // Prepare
      const node = fakeNode();
      mkdirSync(node.data, { recursive: true });
      writeFileSync(join(node.data, 'standby.signal'), '');
      try {
        // Act
        const result = run(scripts.START_REPLICATION_SCRIPT, node, [], SECRET_ENV);

        // Assess
        expect(result.status).toBe(0);
        const serverEnv = node.envOf('pg_ctl');
        expect(serverEnv).toMatch(/^PATH=/m);
        for (const value of Object.values(SECRET_ENV)) expect(serverEnv).not.toContain(value);
      } finally {
        rmSync(node.root, { recursive: true, force: true });
      }
    });
  });

  it('a broken script is caught by the parse check', () => {
    // Act
    const result = spawnSync('sh', ['-n', '-c', 'if true; then echo'], { encoding: 'utf8', timeout: 5000 });

    // Assess
    expect(result.status).not.toBe(0);
  });
});
