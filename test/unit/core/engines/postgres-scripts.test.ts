import { spawnSync } from 'node:child_process';
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

  it('a broken script is caught by the parse check', () => {
    // Act
    const result = spawnSync('sh', ['-n', '-c', 'if true; then echo'], { encoding: 'utf8', timeout: 5000 });

    // Assess
    expect(result.status).not.toBe(0);
  });
});
