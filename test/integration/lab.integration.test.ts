/** The lab itself: loopback-only hosts, real pinned fingerprints, recovery from a crashed run. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { LabError } from '../../infra/local/lab/lab-error.ts';
import type { Lab } from '../../infra/local/lab/lab.ts';
import { fingerprintOf, startLoopbackHost } from '../../infra/local/lab/loopback-host.ts';
import { runLocalChecked } from '../../infra/local/lab/run-local-command.ts';
import { assertLabCanRun, IT_LAB_ROOT, startItLab } from './it-lab.fixture.ts';

interface CrashedRun {
  readonly sshdPids: number[];
  readonly postmasterPid: number;
  readonly hostKeys: string[];
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Run the crashing child, wait for its report, then SIGKILL it (by its own PID). */
async function crashALabRun(): Promise<CrashedRun> {
  // node itself with the tsx loader (not the tsx wrapper, which would leave its own child running).
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'fixtures/crashing-lab.fixture.ts')], {
    cwd: resolve(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error('crashing lab child did not report within 60 s')), 60_000);
      createInterface({ input: child.stdout }).once('line', (l) => {
        clearTimeout(timer);
        resolveLine(l);
      });
      child.once('exit', (code) => reject(new Error(`crashing lab child exited early (${code})`)));
    });
    return JSON.parse(line) as CrashedRun;
  } finally {
    child.kill('SIGKILL');
  }
}

describe('local lab', () => {
  let lab: Lab | undefined;

  afterAll(async () => {
    await lab?.destroy({ removeData: true });
  });

  it.each(['10.0.0.1', '192.168.1.10', '127.0.0.256', '127.1.2', 'localhost', '0127.0.0.1'])('refuses the non-loopback address %s', async (address) => {
    // Act
    const attempt = startLoopbackHost({ name: 'refused', address, labRoot: IT_LAB_ROOT, user: 'twinstack' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(LabError);
  });

  it('recovers from a crashed run: leftovers stopped, host keys (and pinned fingerprints) kept', async () => {
    // Prepare
    assertLabCanRun();
    const crashed = await crashALabRun();
    expect(crashed.sshdPids.every(alive)).toBe(true);
    expect(alive(crashed.postmasterPid)).toBe(true);

    // Act
    lab = await startItLab();

    // Assess
    expect(crashed.sshdPids.some(alive)).toBe(false);
    expect(alive(crashed.postmasterPid)).toBe(false);
    expect(lab.hosts.map((h) => h.host.hostKey)).toEqual(crashed.hostKeys);
    expect(lab.hosts.every((h) => alive(h.sshdPid))).toBe(true);
  });

  it('pins the fingerprint ssh-keygen reports for the running host key', async () => {
    // Prepare
    if (!lab) throw new Error('the lab of the previous test did not start');
    const host = lab.hosts[0]!;

    // Act
    const listed = await runLocalChecked(['ssh-keygen', '-lf', `${host.paths.hostKey}.pub`]);

    // Assess
    expect(listed.stdout.split(/\s+/)[1]).toBe(host.host.hostKey);
    expect(fingerprintOf(readFileSync(`${host.paths.hostKey}.pub`, 'utf8'))).toBe(host.host.hostKey);
  });

  it('stops a host by its own PID only, and it no longer accepts connections', async () => {
    // Prepare
    if (!lab) throw new Error('the lab of the previous test did not start');
    const [first, second] = lab.hosts;

    // Act
    await first!.stopSsh();

    // Assess
    expect(alive(first!.sshdPid)).toBe(false);
    expect(alive(second!.sshdPid)).toBe(true);
  });
});
