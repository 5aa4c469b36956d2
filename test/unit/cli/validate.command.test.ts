import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../../infra/cli/cli-io.ts';
import { runCli } from '../../../infra/cli/program.ts';

/** Runs the CLI in process, collecting what it writes and the exit code it sets. */
async function runInProcess(...args: string[]): Promise<{ code: number | undefined; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line) };
  let code: number | undefined;
  await runCli(['node', 'twinstack', ...args], io, (set) => {
    code = set;
  });
  return { code, out, err };
}

/** Spawns the real bin, as a user would run it. */
function spawnCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['infra/cli/twinstack.mjs', ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('twinstack validate (in process)', () => {
  it('prints one summary line per group and exits 0 for a valid file', async () => {
    // Prepare / Act
    const result = await runInProcess('validate', 'examples/twinstack.yaml');

    // Assess
    expect(result.code).toBe(0);
    expect(result.err).toEqual([]);
    expect(result.out).toEqual([
      'shop: shop.example.com → primary shop-eu-west (eu-west-1, 2 hosts), twin shop-eu-central (eu-central-1, 2 hosts); databases main (postgres sync, max lag 16 MiB); cool-down 900s',
    ]);
  });

  it('lists every problem with path, problem and fix, and exits 2 for an invalid file', async () => {
    // Prepare / Act
    const result = await runInProcess('validate', 'examples/invalid/many-problems.yaml');

    // Assess
    expect(result.code).toBe(2);
    expect(result.out).toEqual([]);
    const text = result.err.join('\n');
    expect(text).toContain('13 problems');
    expect(text).toMatch(/groups\[0\]\.primary\.hosts\[1\]\.hostKey — .* — fix: run `ssh-keygen -lf/);
    expect(text).toContain('groups[0].databases[0].postgres.dataDir — "/var/lib/$(reboot)"');
  });

  it.each([
    [['validate', 'examples/missing.yaml'], 2],
    [['validate'], 2],
    [['no-such-command'], 2],
    [['--version'], 0],
  ])('exits with the right code for %j', async (args, code) => {
    // Prepare / Act
    const result = await runInProcess(...args);

    // Assess
    expect(result.code).toBe(code);
    if (code === 2) expect(result.err.join('\n')).toMatch(/error|problem/);
  });
});

describe('twinstack validate (the bin, spawned)', { timeout: 30_000 }, () => {
  it('exits 0 with the group summary on stdout for the example', async () => {
    // Prepare / Act
    const result = await spawnCli('validate', 'examples/twinstack.yaml');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^shop: shop\.example\.com → primary shop-eu-west/);
    expect(result.stderr).toBe('');
  });

  it('exits 2 with every problem on stderr for the broken example', async () => {
    // Prepare / Act
    const result = await spawnCli('validate', 'examples/invalid/many-problems.yaml');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n').filter((line) => line.includes(' — fix: '))).toHaveLength(13);
    expect(result.stderr).toContain('"203.0.113.11; rm -rf /" is not an IPv4 address');
  });

  it('exits 2 when the file is missing', async () => {
    // Prepare / Act
    const result = await spawnCli('validate', 'examples/nothing-here.yaml');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the file does not exist');
  });
});
