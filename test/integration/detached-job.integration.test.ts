/**
 * Detached jobs over a REAL sshd on loopback: the job outlives the SSH command and the
 * connection, a second start attaches, progress and exit status are read back, a killed
 * job is reported failed, and a secret given in secretEnv reaches the job only through
 * its environment (never the log, the job directory or a command line).
 * Its own lab (root, mount point, addresses), apart from the drill's and the other tests'.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../functions/core/command.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import { jobStatusCommand, parseJobStart, parseJobStatus, startJobCommand, type JobSpec, type JobStatus } from '../../functions/core/jobs/detached-job.ts';
import { createLab, type Lab, type LabHost } from '../../infra/local/lab/lab.ts';
import { assertLabCanRun } from './it-lab.fixture.ts';

const LAB_ROOT = '/var/tmp/twinstack-it-jobs';
const MOUNT_POINT = '/srv/twinstack-it-jobs';
const SECRET = 'Job-S3cret-4d9f';

/** An inner command: prints progress `steps` times, `pause` seconds apart, proves it has the secret (its length only), exits `code`. */
function inner(steps: number, pause: number, code = 0): RemoteCommand {
  const script = [
    'echo "run begins"',
    'i=1',
    'while [ "$i" -le "$1" ]; do echo "twinstack-progress $((i * 1000)) $(($1 * 1000))"; sleep "$2"; i=$((i + 1)); done',
    'echo "secret length $(printf %s "$JOB_SECRET" | wc -c)"',
    'exit "$3"',
  ].join('\n');
  return { description: 'count', argv: ['sh', '-c', script, 'sh', String(steps), String(pause), String(code)], secretEnv: { JOB_SECRET: SECRET }, timeoutMs: 5_000 };
}

describe('detached jobs over real SSH', () => {
  let lab: Lab;
  let twin: LabHost;
  let shell: Ssh2RemoteShell;
  let n = 0;
  const spec = (token: string, name = `job-${n}`): JobSpec => ({ name, token, directory: `${MOUNT_POINT}/jobs/${name}`, maxRunSeconds: 120 });
  const status = async (s: JobSpec): Promise<JobStatus> => parseJobStatus(await shell.exec(twin.host, jobStatusCommand(s)));
  /** Poll (bounded) until the job is no longer running. */
  const settled = async (s: JobSpec, withinMs = 30_000): Promise<JobStatus> => {
    const deadline = performance.now() + withinMs;
    for (;;) {
      const read = await status(s);
      if (read.state !== 'running') return read;
      if (performance.now() > deadline) throw new Error(`job ${s.name} still running after ${withinMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const jobDir = (s: JobSpec) => twin.realPath(s.directory ?? '');

  beforeAll(async () => {
    assertLabCanRun();
    lab = await createLab({ labRoot: LAB_ROOT, mountPoint: MOUNT_POINT, hosts: [{ name: 'primary', address: '127.0.41.1' }, { name: 'twin', address: '127.0.42.1' }], install: false });
    twin = lab.host('twin');
    shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
  });

  afterAll(async () => {
    await shell?.close();
    await lab?.destroy({ removeData: true });
  });

  it('outlives the SSH command and the connection; a second start attaches; progress and the exit status are read back', async () => {
    // Prepare
    n += 1;
    const first = spec('replicate-1');
    // Act
    const started = parseJobStart(await shell.exec(twin.host, startJobCommand(first, inner(6, 0.5))));
    await shell.close(); // the connection that started it is gone
    const running = await status(first);
    const attached = parseJobStart(await shell.exec(twin.host, startJobCommand(spec('replicate-2'), inner(1, 0))));
    const done = await settled(first);
    const again = parseJobStart(await shell.exec(twin.host, startJobCommand(first, inner(1, 0))));
    // Assess
    expect(started).toEqual({ outcome: 'started', token: 'replicate-1' });
    expect(running.state).toBe('running');
    expect(running.token).toBe('replicate-1');
    expect(attached).toEqual({ outcome: 'attached', token: 'replicate-1' });
    expect(done).toMatchObject({ state: 'succeeded', token: 'replicate-1', exitCode: 0, progress: { bytesDone: 6000, bytesTotal: 6000 } });
    expect(done.logTail).toEqual(['run begins', `secret length ${SECRET.length}`]);
    expect(again).toEqual({ outcome: 'finished', token: 'replicate-1', exitCode: 0 });
    const log = readFileSync(join(jobDir(first), 'log'), 'utf8');
    expect(log.match(/run begins/g)).toHaveLength(1);
  });

  it('the start returns at once (the job is not held by the SSH command), and reports progress while running', async () => {
    // Prepare
    n += 1;
    const s = spec('replicate-1');
    // Act
    const t0 = performance.now();
    await shell.exec(twin.host, startJobCommand(s, inner(8, 0.5)));
    const startMs = performance.now() - t0;
    let progress: JobStatus['progress'];
    const deadline = performance.now() + 10_000;
    while (!progress && performance.now() < deadline) {
      progress = (await status(s)).progress;
      if (!progress) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const done = await settled(s);
    // Assess
    expect(startMs).toBeLessThan(3_000);
    expect(progress?.bytesTotal).toBe(8000);
    expect(progress?.bytesDone).toBeLessThan(8000);
    expect(done.state).toBe('succeeded');
  });

  it('records a non-zero exit status as failed', async () => {
    // Prepare
    n += 1;
    const s = spec('replicate-1');
    // Act
    await shell.exec(twin.host, startJobCommand(s, inner(1, 0, 3)));
    const done = await settled(s);
    // Assess
    expect(done).toMatchObject({ state: 'failed', exitCode: 3, reason: 'job exited with code 3' });
  });

  it('a killed job is reported failed (no exit status), and its lock is free for a new run', async () => {
    // Prepare
    n += 1;
    const s = spec('replicate-1');
    await shell.exec(twin.host, startJobCommand(s, inner(100, 0.5)));
    expect((await status(s)).state).toBe('running');
    const pid = Number(readFileSync(join(jobDir(s), 'pid'), 'utf8').trim());
    expect(pid).toBeGreaterThan(1);
    // Act: kill the job's whole session (the runner is its leader: session id = pid)
    execFileSync('pkill', ['-KILL', '-s', String(pid)]);
    const killed = await settled(s, 10_000);
    const rerun = parseJobStart(await shell.exec(twin.host, startJobCommand({ ...s, token: 'replicate-2' }, inner(1, 0))));
    const rerunDone = await settled({ ...s, token: 'replicate-2' });
    // Assess
    expect(killed).toMatchObject({ state: 'failed', reason: 'job ended without an exit status: killed or host rebooted' });
    expect(killed.exitCode).toBeUndefined();
    expect(rerun.outcome).toBe('started');
    expect(rerunDone).toMatchObject({ state: 'succeeded', token: 'replicate-2' });
  });

  it('a secret in secretEnv never appears in the log, the job directory or any command line', async () => {
    // Prepare
    n += 1;
    const s = spec('replicate-1');
    // Act
    await shell.exec(twin.host, startJobCommand(s, inner(6, 0.5)));
    const commandLines = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    const done = await settled(s);
    // Assess
    expect(commandLines).toContain(`${MOUNT_POINT}/jobs/${s.name}`); // the job was running when ps looked
    expect(commandLines).not.toContain(SECRET);
    expect(done.logTail.join('\n')).toContain(`secret length ${SECRET.length}`);
    for (const file of readdirSync(jobDir(s))) expect(readFileSync(join(jobDir(s), file), 'utf8'), file).not.toContain(SECRET);
  });

  it("defaults to $HOME/.twinstack/jobs/<name> of the SSH user, 0700", async () => {
    // Prepare
    const name = `it-jobs-default-${process.pid}`;
    const s: JobSpec = { name, token: 'replicate-1', maxRunSeconds: 60 };
    try {
      // Act
      await shell.exec(twin.host, startJobCommand(s, inner(1, 0)));
      const done = await settled(s);
      const mode = await shell.exec(twin.host, { description: 'mode', argv: ['stat', '-c', '%a %U', `${lab.user.home}/.twinstack/jobs/${name}`], timeoutMs: 5_000 });
      // Assess
      expect(done.state).toBe('succeeded');
      expect(mode.stdout.trim()).toBe(`700 ${lab.user.name}`);
    } finally {
      await shell.exec(twin.host, { description: 'clean', argv: ['rm', '-rf', `${lab.user.home}/.twinstack/jobs/${name}`], timeoutMs: 5_000 });
    }
  });
});
