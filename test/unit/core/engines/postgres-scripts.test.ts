import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as scripts from '../../../../functions/core/engines/postgres/postgres-scripts.ts';

const ALL = Object.entries(scripts).map(([name, script]) => ({ name, script }));

describe('PostgreSQL scripts', () => {
  it('are all checked here', () => {
    // Assess
    expect(ALL.map((s) => s.name).sort()).toEqual([
      'DEMOTE_SCRIPT',
      'FENCE_SCRIPT',
      'PREPARE_PRIMARY_SCRIPT',
      'PROMOTE_SCRIPT',
      'REJOIN_SCRIPT',
      'RESTORE_REPLICA_SCRIPT',
      'SET_SYNCHRONOUS_REPLICAS_SCRIPT',
      'START_REPLICATION_SCRIPT',
      'STATUS_SCRIPT',
      'UNDO_DEMOTE_SCRIPT',
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

  it('restore removes the promoted, fenced and demoted markers a base backup copies', () => {
    // Assess
    expect(scripts.RESTORE_REPLICA_SCRIPT).toMatch(/rm -f "\$DATA\/twinstack\.fenced" "\$DATA\/twinstack\.promoted" "\$DATA\/twinstack\.demoted"\n/);
    expect(scripts.RESTORE_REPLICA_SCRIPT.indexOf('twinstack.promoted')).toBeGreaterThan(scripts.RESTORE_REPLICA_SCRIPT.indexOf('pg_basebackup'));
  });

  it('prepare readies the primary as the source of a later rejoin: pg_rewind\'s grants, pg_checkpoint, wal_log_hints, access to the postgres database', () => {
    // Prepare
    const script = scripts.PREPARE_PRIMARY_SCRIPT;

    // Assess
    for (const fn of ['pg_ls_dir(text, boolean, boolean)', 'pg_stat_file(text, boolean)', 'pg_read_binary_file(text)', 'pg_read_binary_file(text, bigint, bigint, boolean)']) {
      expect(script).toContain(`GRANT EXECUTE ON FUNCTION pg_catalog.${fn} TO :"repl_user";`);
    }
    expect(script).toContain('GRANT pg_checkpoint TO :"repl_user";');
    expect(script).toContain('ALTER SYSTEM SET wal_log_hints = on;');
    expect(script).toContain('"host postgres $REPL_USER $REPLICA_ADDR/32 scram-sha-256"');
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
    for (const line of jsonLines) expect(line).toContain('"promotedByTwinstack":%s,"demoted":%s');
    expect(script).toContain("'promotedByTwinstack', :'promoted'::boolean");
    expect(script).toContain("'demoted', :'demoted'::boolean");
    expect(script).toMatch(/DEMOTED=false; \[ -f "\$DATA\/twinstack\.demoted" \] && DEMOTED=true/);
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

  describe('switchover and rejoin, against a fake stopped or running node', () => {
    const SECRET = { TWINSTACK_REPLICATION_PASSWORD: `r3pl'ic "pw" \\ $x` };

    interface FakeOptions {
      /** The server runs (pg_ctl status) until stopped. */
      readonly running?: boolean;
      /** psql's answer to pg_is_in_recovery(). */
      readonly inRecovery?: boolean;
      readonly state?: string;
      readonly checkpoint?: string;
      readonly recordLength?: number;
      readonly minRecovery?: string;
      readonly timeline?: number;
      /** What pg_rewind --dry-run prints, and its exit code. */
      readonly dryRun?: { readonly output: string; readonly exitCode: number };
      readonly markers?: readonly string[];
      readonly walSegments?: readonly string[];
      readonly historyFiles?: Readonly<Record<string, string>>;
    }

    /**
     * A data directory and fake PostgreSQL tools that keep their state in files: pg_ctl
     * (running while `<root>/running` exists), psql (answers by what it is asked, records
     * the environment of connections to the new primary), pg_controldata, pg_waldump,
     * pg_rewind (records its arguments and environment), pg_isready, postgres.
     */
    function fake(o: FakeOptions = {}) {
      const root = mkdtempSync(join(tmpdir(), 'twinstack-switch-'));
      const bin = join(root, 'bin');
      const data = join(root, 'data', 'main');
      mkdirSync(bin);
      mkdirSync(join(data, 'pg_wal'), { recursive: true });
      writeFileSync(join(data, 'postgresql.auto.conf'), "wal_level = 'replica'\nprimary_conninfo = 'host=10.9.9.9'\nsynchronous_standby_names = 'FIRST 1 (\"x\")'\n");
      for (const m of o.markers ?? []) writeFileSync(join(data, m), '');
      for (const f of o.walSegments ?? []) writeFileSync(join(data, 'pg_wal', f), 'wal');
      for (const [f, text] of Object.entries(o.historyFiles ?? {})) writeFileSync(join(data, 'pg_wal', f), text);
      if (o.running) writeFileSync(join(root, 'running'), '');
      const tool = (name: string, body: string) => {
        writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
      };
      tool('pg_ctl', `case " $* " in
  *" status "*) [ -f "${root}/running" ] && exit 0; exit 3 ;;
  *" stop "*) rm -f "${root}/running"; echo stop >> "${root}/pg_ctl.log"; exit 0 ;;
  *" start "*) env > "${root}/env.pg_ctl"; touch "${root}/running"; echo start >> "${root}/pg_ctl.log"; exit 0 ;;
esac
exit 0`);
      tool('psql', `input=$(cat)
printf '%s\\n' "$*" >> "${root}/psql.args"
case "$*" in *"host="*) env > "${root}/env.psql-source"; case "$input" in *has_function_privilege*) echo t ;; esac; exit 0 ;; esac
case "$*$input" in
  *pg_is_in_recovery*pg_stat_wal_receiver*|*pg_stat_wal_receiver*) [ -f "${root}/started-standby" ] && echo t || echo f ;;
  *"SELECT pg_is_in_recovery()"*) echo ${o.inRecovery ? 't' : 'f'} ;;
  *default_transaction_read_only*) echo t ;;
  *json_build_object*) echo '{"role":"primary","writable":true,"fenced":false}' ;;
esac
case "$input" in *"ALTER SYSTEM SET primary_conninfo"*) touch "${root}/started-standby"; printf '%s\\n' "$*" > "${root}/conninfo.args" ;; esac
exit 0`);
      tool('pg_controldata', `cat <<'OUT'
pg_control version number:            1300
Database cluster state:               ${o.state ?? 'shut down'}
Latest checkpoint location:           ${o.checkpoint ?? '0/3000028'}
Latest checkpoint's TimeLineID:       ${o.timeline ?? 1}
Minimum recovery ending location:     ${o.minRecovery ?? '0/0'}
WAL block size:                       8192
Bytes per WAL segment:                16777216
OUT`);
      tool('pg_waldump', `case "$*" in *" -n 1"*) echo "rmgr: XLOG        len (rec/tot):    ${o.recordLength ?? 114}/   ${o.recordLength ?? 114}, tx:          0, lsn: ${o.checkpoint ?? '0/3000028'}, prev 0/3000000, desc: CHECKPOINT_SHUTDOWN redo 0/3000028" ;; *) echo "listing $*" ;; esac`);
      tool('pg_rewind', `env > "${root}/env.pg_rewind"; printf '%s\\n' "$*" >> "${root}/pg_rewind.args"
case "$*" in *--dry-run*) printf '%s\\n' "${(o.dryRun?.output ?? 'pg_rewind: no rewind required').replace(/"/g, '\\"')}" >&2; exit ${o.dryRun?.exitCode ?? 0} ;; esac
echo "pg_rewind: Done!" >&2; exit 0`);
      tool('pg_isready', 'exit 0');
      tool('postgres', `echo single-user >> "${root}/pg_ctl.log"; exit 0`);
      const read = (name: string) => (existsSync(join(root, name)) ? readFileSync(join(root, name), 'utf8') : '');
      const has = (name: string) => existsSync(join(data, name));
      return { root, bin, data, read, has, cleanup: () => rmSync(root, { recursive: true, force: true }) };
    }

    function runScript(script: string, node: { root: string; bin: string; data: string }, args: readonly string[] = [], env: Record<string, string> = {}) {
      return spawnSync('sh', ['-c', script, 'sh', node.bin, node.data, join(node.root, 'sock'), '5432', 'postgres', '*', ...args], {
        encoding: 'utf8',
        timeout: 20_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', ...env },
      });
    }
    const REJOIN_ARGS = ['127.0.2.1', 'replicator', 'primary_main', '0/3000050'];

    it.each([
      { name: 'a record on one page', checkpoint: '0/3000028', length: 114, position: '0/30000A0' },
      { name: 'a record continued on the next page (24-byte header)', checkpoint: '0/3001FC8', length: 114, position: '0/3002058' },
      { name: 'a record continued on a new segment (40-byte header)', checkpoint: '0/3FFFFC8', length: 114, position: '0/4000068' },
      { name: 'a record ending on a page end', checkpoint: '0/3001F88', length: 120, position: '0/3002000' },
      { name: 'high LSN halves', checkpoint: 'A/FFFFE028', length: 114, position: 'A/FFFFE0A0' },
    ])('demote reports the end of the shutdown checkpoint record: $name', ({ checkpoint, length, position }) => {
      // Prepare: a running writable primary
      const node = fake({ running: true, checkpoint, recordLength: length });
      try {
        // Act
        const result = runScript(scripts.DEMOTE_SCRIPT, node);

        // Assess
        expect(result.status, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout.trim())).toEqual({ demoted: true, wasWritable: true, position, checkpoint, timeline: 1 });
        expect(node.has('standby.signal') && node.has('twinstack.demoted')).toBe(true);
        expect(node.read('pg_ctl.log')).toBe('stop\n');
      } finally {
        node.cleanup();
      }
    });

    it('demote again (stopped, demoted) reports the same position without starting anything; a later minimum recovery point wins', () => {
      // Prepare
      const node = fake({ markers: ['twinstack.demoted', 'standby.signal'], checkpoint: '0/3000028', state: 'shut down in recovery', minRecovery: '0/3000100' });
      try {
        // Act
        const result = runScript(scripts.DEMOTE_SCRIPT, node);

        // Assess
        expect(result.status, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout.trim())).toMatchObject({ wasWritable: false, position: '0/3000100' });
        expect(node.read('pg_ctl.log')).toBe('');
      } finally {
        node.cleanup();
      }
    });

    it.each([
      { name: 'a stopped server twinstack did not demote', options: {}, exitCode: 5 },
      { name: 'a running replica', options: { running: true, inRecovery: true }, exitCode: 5 },
      { name: 'a demoted server that crashed (state in production)', options: { markers: ['twinstack.demoted'], state: 'in production' }, exitCode: 6 },
    ])('demote refuses $name', ({ options, exitCode }) => {
      // Prepare
      const node = fake(options);
      try {
        // Act
        const result = runScript(scripts.DEMOTE_SCRIPT, node);

        // Assess
        expect(result.status).toBe(exitCode);
        expect(result.stdout).toBe('');
        expect(node.read('pg_ctl.log')).toBe('');
      } finally {
        node.cleanup();
      }
    });

    it.each([
      { name: 'a stopped server without the demoted marker', options: { markers: ['standby.signal'] } },
      { name: 'a demoted server fenced since', options: { markers: ['standby.signal', 'twinstack.demoted', 'twinstack.fenced'] } },
    ])('undoDemote refuses $name and leaves it read-only', ({ options }) => {
      // Prepare
      const node = fake(options);
      try {
        // Act
        const result = runScript(scripts.UNDO_DEMOTE_SCRIPT, node);

        // Assess
        expect(result.status).toBe(5);
        expect(node.has('standby.signal')).toBe(true);
        expect(node.read('pg_ctl.log')).toBe('');
      } finally {
        node.cleanup();
      }
    });

    it('undoDemote starts a demoted server without standby.signal and removes the marker last', () => {
      // Prepare
      const node = fake({ markers: ['standby.signal', 'twinstack.demoted'] });
      try {
        // Act
        const result = runScript(scripts.UNDO_DEMOTE_SCRIPT, node);

        // Assess
        expect(result.status, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout.trim())).toEqual({ undone: true, writable: true });
        expect(node.has('standby.signal') || node.has('twinstack.demoted')).toBe(false);
        expect(node.read('pg_ctl.log')).toBe('start\n');
      } finally {
        node.cleanup();
      }
    });

    it('rejoin refuses a running primary that is neither fenced nor demoted, and changes nothing', () => {
      // Prepare
      const node = fake({ running: true, inRecovery: false });
      try {
        // Act
        const result = runScript(scripts.REJOIN_SCRIPT, node, REJOIN_ARGS, SECRET);

        // Assess
        expect(result.status).toBe(5);
        expect(result.stderr).toMatch(/neither fenced nor demoted/);
        expect(node.read('pg_ctl.log')).toBe('');
        expect(node.has('standby.signal') || node.has('twinstack.fenced')).toBe(false);
        expect(node.read('env.pg_rewind')).toBe('');
      } finally {
        node.cleanup();
      }
    });

    it('rejoin changes nothing when the new primary lacks the grants pg_rewind needs', () => {
      // Prepare: the fake new primary answers nothing to the grant check
      const node = fake({ markers: ['twinstack.demoted', 'standby.signal'] });
      writeFileSync(join(node.bin, 'psql'), '#!/bin/sh\ncat >/dev/null\nexit 0\n');
      try {
        // Act
        const result = runScript(scripts.REJOIN_SCRIPT, node, REJOIN_ARGS, SECRET);

        // Assess
        expect(result.status).toBe(7);
        expect(result.stderr).toMatch(/run preparePrimary on it first/);
        expect(node.has('twinstack.fenced')).toBe(false);
        expect(node.read('env.pg_rewind')).toBe('');
      } finally {
        node.cleanup();
      }
    });

    it('rejoin re-points a switchover\'s old primary: standby of the new primary, its upstream settings replaced, markers gone, secrets only where they belong', () => {
      // Prepare
      const node = fake({ markers: ['twinstack.demoted', 'standby.signal', 'twinstack.promoted'] });
      try {
        // Act
        const result = runScript(scripts.REJOIN_SCRIPT, node, REJOIN_ARGS, SECRET);

        // Assess
        expect(result.status, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout.trim())).toMatchObject({ method: 'repointed', divergentBytes: 0, savedTo: '' });
        expect(node.has('standby.signal')).toBe(true);
        for (const marker of ['twinstack.demoted', 'twinstack.fenced', 'twinstack.promoted']) expect(node.has(marker), marker).toBe(false);
        expect(readFileSync(join(node.data, 'postgresql.auto.conf'), 'utf8')).toBe("wal_level = 'replica'\n");
        expect(node.read('conninfo.args')).toMatch(/-v addr=127\.0\.2\.1 -v port=5432 -v repl_user=replicator -v app_name=primary_main/);
        expect(node.read('env.pg_rewind')).toMatch(/^PGPASSWORD=r3pl'ic "pw" \\ \$x$/m);
        expect(node.read('env.psql-source')).toMatch(/^PGPASSWORD=/m);
        expect(node.read('pg_rewind.args')).toMatch(/^--dry-run -D \S+ --source-server=host=127\.0\.2\.1 port=5432 user=replicator dbname=postgres connect_timeout=10 --no-ensure-shutdown$/m);
        const serverEnv = node.read('env.pg_ctl');
        expect(serverEnv).toMatch(/^PATH=/m);
        expect(serverEnv).not.toContain(SECRET.TWINSTACK_REPLICATION_PASSWORD);
        expect(serverEnv).not.toMatch(/^(PGPASSWORD|TWINSTACK_REPLICATION_PASSWORD)=/m);
      } finally {
        node.cleanup();
      }
    });

    it('rejoin of a crashed, diverged old primary: crash recovery, the WAL from the fork\'s segment on saved aside, pg_rewind, then a standby', () => {
      // Prepare: fork 0/3000050 (segment 3); the WAL ends at the checkpoint 0/4000100 + 120
      const node = fake({
        markers: ['twinstack.fenced', 'standby.signal'],
        state: 'in production',
        checkpoint: '0/4000100',
        walSegments: ['000000010000000000000002', '000000010000000000000003', '000000010000000000000004', '000000020000000000000004'],
        dryRun: { output: 'pg_rewind: servers diverged at WAL location 0/3000050 on timeline 1\npg_rewind: rewinding from last common checkpoint at 0/2000060 on timeline 1', exitCode: 0 },
      });
      try {
        // Act
        const result = runScript(scripts.REJOIN_SCRIPT, node, REJOIN_ARGS, SECRET);

        // Assess
        expect(result.status, result.stderr).toBe(0);
        const out = JSON.parse(result.stdout.trim()) as { savedTo: string; reason: string };
        expect(out).toMatchObject({ method: 'rewound', fork: '0/3000050', end: '0/4000178', divergentBytes: 0x4000178 - 0x3000050, timeline: '1' });
        expect(out.savedTo).toMatch(new RegExp(`^${node.data}\\.divergent-\\d{8}T\\d{6}Z$`));
        expect(readdirSync(out.savedTo).sort()).toEqual(['000000010000000000000003', '000000010000000000000004', 'divergence.txt', 'pg_waldump.txt']);
        expect(readFileSync(join(out.savedTo, 'pg_waldump.txt'), 'utf8')).toMatch(/-t 1 -s 0\/3000050 -e 0\/4000178/);
        expect(node.read('pg_ctl.log')).toBe('single-user\nstart\n');
        expect(node.read('pg_rewind.args').split('\n').filter(Boolean)).toHaveLength(2);
        expect(node.has('standby.signal')).toBe(true);
        expect(node.has('twinstack.fenced')).toBe(false);
      } finally {
        node.cleanup();
      }
    });

    it('rejoin when pg_rewind is impossible: saved aside from the known fork, left stopped and fenced, needs-restore with pg_rewind\'s reason', () => {
      // Prepare
      const node = fake({
        markers: ['twinstack.fenced', 'standby.signal'],
        checkpoint: '0/3000100',
        walSegments: ['000000010000000000000003'],
        dryRun: { output: 'pg_rewind: error: target server needs to use either data checksums or "wal_log_hints = on"', exitCode: 1 },
      });
      try {
        // Act
        const result = runScript(scripts.REJOIN_SCRIPT, node, REJOIN_ARGS, SECRET);

        // Assess
        expect(result.status, result.stderr).toBe(0);
        const out = JSON.parse(result.stdout.trim()) as { savedTo: string; reason: string };
        expect(out).toMatchObject({ method: 'needs-restore', fork: '0/3000050', divergentBytes: 0x3000178 - 0x3000050 });
        expect(out.reason).toContain('wal_log_hints = on');
        expect(readdirSync(out.savedTo)).toContain('000000010000000000000003');
        expect(node.has('standby.signal') && node.has('twinstack.fenced')).toBe(true);
        expect(node.read('pg_ctl.log')).toBe('');
        expect(node.read('pg_rewind.args').split('\n').filter(Boolean)).toHaveLength(1);
      } finally {
        node.cleanup();
      }
    });

    it('status passes the newest timeline history file and its last switch point to the SQL that reports forkPosition', () => {
      // Prepare
      const node = fake({ running: true, historyFiles: { '00000002.history': '1\t0/3000060\tno recovery target specified\n', '00000003.history': '1\t0/3000060\tno recovery target specified\n\n2\t0/50000A0\tno recovery target specified\n' } });
      try {
        // Act
        const result = runScript(scripts.STATUS_SCRIPT, node);

        // Assess
        expect(result.status).toBe(0);
        expect(node.read('psql.args')).toMatch(/-v history_tli=00000003 -v fork=0\/50000A0/);
      } finally {
        node.cleanup();
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
