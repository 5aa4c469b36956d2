import { describe, expect, it } from 'vitest';
import type { CommandResult, RemoteCommand } from '../../../../functions/core/command.ts';
import {
  innerArgvOf,
  JOB_STATUS_SCRIPT,
  jobStatusCommand,
  parseJobStart,
  parseJobStatus,
  START_JOB_SCRIPT,
  startJobCommand,
} from '../../../../functions/core/jobs/detached-job.ts';
import { restoreJobOf, restoreJobStatusCommand } from '../../../../functions/core/jobs/restore-job.ts';

const SECRET = 'S3cret!pw';
const INNER: RemoteCommand = {
  description: 'restore db-main',
  argv: ['sh', '-c', 'echo restoring', 'sh', '/var/lib/pg/main'],
  env: { LC_ALL: 'C' },
  secretEnv: { PGPASSWORD: SECRET },
  timeoutMs: 850_000,
  redact: ['extra-mask'],
};
const SPEC = { name: 'restore-shop-main', token: 'replicate-1' };
const out = (stdout: string, exitCode = 0): CommandResult => ({ exitCode, stdout, stderr: '', durationMs: 3 });

describe('startJobCommand', () => {
  it('is data: the fixed script, the default job dir, the token, a bounded inner argv; secrets only in secretEnv', () => {
    // Act
    const command = startJobCommand(SPEC, INNER);
    // Assess
    expect(command.argv.slice(0, 6)).toEqual(['sh', '-c', START_JOB_SCRIPT, 'sh', '.twinstack/jobs/restore-shop-main', 'replicate-1']);
    expect(command.argv.slice(6, 10)).toEqual(['timeout', '--signal=TERM', '--kill-after=60', '86400']);
    expect(innerArgvOf(command)).toEqual(INNER.argv);
    expect(command).toMatchObject({ env: { LC_ALL: 'C' }, secretEnv: { PGPASSWORD: SECRET }, redact: ['extra-mask'], timeoutMs: 30_000 });
    expect(command.stdin).toBeUndefined();
    expect(JSON.stringify([command.argv, command.description, command.env])).not.toContain(SECRET);
    expect(command.description).toContain('restore-shop-main (run replicate-1)');
  });

  it('takes an absolute job directory and a run time limit', () => {
    // Act
    const command = startJobCommand({ ...SPEC, directory: '/srv/twinstack/jobs/x', maxRunSeconds: 3600 }, INNER);
    // Assess
    expect(command.argv[4]).toBe('/srv/twinstack/jobs/x');
    expect(command.argv[9]).toBe('3600');
  });

  it.each([
    { name: 'a job name with a slash', spec: { ...SPEC, name: 'restore/../x' }, inner: INNER },
    { name: 'an upper-case job name', spec: { ...SPEC, name: 'Restore' }, inner: INNER },
    { name: 'a token with shell syntax', spec: { ...SPEC, token: '$(reboot)' }, inner: INNER },
    { name: 'an empty token', spec: { ...SPEC, token: '' }, inner: INNER },
    { name: 'a token too long', spec: { ...SPEC, token: 'x'.repeat(81) }, inner: INNER },
    { name: 'a directory with ..', spec: { ...SPEC, directory: '/srv/../etc' }, inner: INNER },
    { name: 'a directory with a space', spec: { ...SPEC, directory: '/srv/my jobs' }, inner: INNER },
    { name: 'the root directory', spec: { ...SPEC, directory: '/' }, inner: INNER },
    { name: 'a zero run time limit', spec: { ...SPEC, maxRunSeconds: 0 }, inner: INNER },
    { name: 'an inner command with stdin', spec: SPEC, inner: { ...INNER, stdin: 'data' } },
    { name: 'an empty inner argv', spec: SPEC, inner: { ...INNER, argv: [] } },
    { name: 'a secret in the inner argv', spec: SPEC, inner: { ...INNER, argv: ['echo', SECRET] } },
    { name: 'a secret in the inner env', spec: SPEC, inner: { ...INNER, env: { X: `p=${SECRET}` } } },
  ])('refuses $name (InvalidInputError)', ({ spec, inner }) => {
    // Act + Assess
    expect(() => startJobCommand(spec, inner)).toThrow(expect.objectContaining({ name: 'InvalidInputError' }));
  });
});

describe('jobStatusCommand', () => {
  it('is data: the fixed status script and the job dir; redaction strings stay local', () => {
    // Act
    const command = jobStatusCommand(SPEC, { redact: [SECRET] });
    // Assess
    expect(command.argv).toEqual(['sh', '-c', JOB_STATUS_SCRIPT, 'sh', '.twinstack/jobs/restore-shop-main']);
    expect(command.redact).toEqual([SECRET]);
    expect(command.secretEnv).toBeUndefined();
    expect(innerArgvOf(command)).toBeUndefined();
  });

  it('restore jobs: one per group and database, every database secret masked', () => {
    // Act
    const job = restoreJobOf('shop_eu', 'main', 'replicate-1');
    const command = restoreJobStatusCommand(job, { replicationPassword: 'r-pw', appPassword: 'a-pw' });
    // Assess
    expect(job).toEqual({ name: 'restore-shop_eu-main', token: 'replicate-1' });
    expect(command.redact).toEqual(['r-pw', 'a-pw']);
    expect(() => restoreJobOf('shop', 'main', 'no spaces allowed')).toThrow(expect.objectContaining({ name: 'InvalidInputError' }));
  });
});

describe('parseJobStart', () => {
  it.each([
    { stdout: 'twinstack-job started replicate-1\n', expected: { outcome: 'started', token: 'replicate-1' } },
    { stdout: 'twinstack-job attached replicate-0\n', expected: { outcome: 'attached', token: 'replicate-0' } },
    { stdout: 'twinstack-job finished replicate-1 0\n', expected: { outcome: 'finished', token: 'replicate-1', exitCode: 0 } },
    { stdout: 'twinstack-job finished replicate-1\n', expected: { outcome: 'finished', token: 'replicate-1' } },
  ])('$stdout', ({ stdout, expected }) => {
    // Act + Assess
    expect(parseJobStart(out(stdout))).toEqual(expected);
  });

  it.each([
    ['nothing', out('')],
    ['garbage', out('hello\n')],
    ['two lines', out('twinstack-job started a\ntwinstack-job started b\n')],
    ['an attached job with an exit code', out('twinstack-job attached a 1\n')],
    ['an attach without a token (empty token file)', out('twinstack-job attached \n')],
    ['a non-zero exit', out('twinstack-job started a\n', 75)],
  ])('refuses %s (UnexpectedOutputError)', (_name, result) => {
    // Act + Assess
    expect(() => parseJobStart(result)).toThrow(expect.objectContaining({ name: 'UnexpectedOutputError' }));
  });
});

describe('parseJobStatus', () => {
  it.each([
    {
      name: 'running, with progress',
      stdout: 'twinstack-job running replicate-1\ntwinstack-progress 1048576 4194304\ntwinstack-job-log\nemptied /var/lib/pg/main\n',
      expected: { state: 'running', token: 'replicate-1', progress: { bytesDone: 1048576, bytesTotal: 4194304 }, logTail: ['emptied /var/lib/pg/main'] },
    },
    {
      name: 'running, no progress yet, empty log',
      stdout: 'twinstack-job running replicate-1\ntwinstack-job-log\n',
      expected: { state: 'running', token: 'replicate-1', logTail: [] },
    },
    {
      name: 'succeeded',
      stdout: 'twinstack-job exited replicate-1 0\ntwinstack-progress 4194304 0\ntwinstack-job-log\nbase backup restored\r\nreplica started\n',
      expected: { state: 'succeeded', token: 'replicate-1', exitCode: 0, progress: { bytesDone: 4194304, bytesTotal: 0 }, logTail: ['base backup restored', 'replica started'] },
    },
    {
      name: 'failed with an exit code',
      stdout: 'twinstack-job exited replicate-1 1\ntwinstack-job-log\npg_basebackup: error: connection refused\n',
      expected: { state: 'failed', token: 'replicate-1', exitCode: 1, logTail: ['pg_basebackup: error: connection refused'], reason: 'job exited with code 1' },
    },
    {
      name: 'failed: its run time limit',
      stdout: 'twinstack-job exited replicate-1 124\ntwinstack-job-log\n',
      expected: { state: 'failed', token: 'replicate-1', exitCode: 124, logTail: [], reason: 'job exited with code 124 (its run time limit was reached)' },
    },
    {
      name: 'vanished (killed, rebooted)',
      stdout: 'twinstack-job vanished replicate-1\ntwinstack-job-log\ncopying\n',
      expected: { state: 'failed', token: 'replicate-1', logTail: ['copying'], reason: 'job ended without an exit status: killed or host rebooted' },
    },
    { name: 'absent', stdout: 'twinstack-job absent\n', expected: { state: 'absent', logTail: [], reason: 'no job has run in this directory' } },
  ])('$name', ({ stdout, expected }) => {
    // Act + Assess
    expect(parseJobStatus(out(stdout))).toEqual(expected);
  });

  it.each([
    ['nothing', out('')],
    ['garbage', out('Permission denied\n')],
    ['no log marker', out('twinstack-job running replicate-1\n')],
    ['a running job with an exit code', out('twinstack-job running replicate-1 0\ntwinstack-job-log\n')],
    ['an exited job without one', out('twinstack-job exited replicate-1\ntwinstack-job-log\n')],
    ['a bad token', out('twinstack-job running -x\ntwinstack-job-log\n')],
    ['progress out of range', out('twinstack-job running a\ntwinstack-progress 99999999999999999999 1\ntwinstack-job-log\n')],
    ['an absent job with output', out('twinstack-job absent\nmore\n')],
    ['a non-zero exit', out('twinstack-job running a\ntwinstack-job-log\n', 75)],
  ])('refuses %s (UnexpectedOutputError)', (_name, result) => {
    // Act + Assess
    expect(() => parseJobStatus(result)).toThrow(expect.objectContaining({ name: 'UnexpectedOutputError' }));
  });
});
