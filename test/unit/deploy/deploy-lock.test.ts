import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { DEPLOY_ENV_FILE, runDeployCommand } from '../../../functions/core/deploy/deploy-commands.ts';

const run = promisify(execFile);
const REV = 'a'.repeat(40);

describe('deploy command lock (real sh and flock)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serialises two deploy commands on one host: the second starts only after the first ended', async () => {
    // Prepare: a deploy command that records its start and end around a pause
    dir = mkdtempSync(join(tmpdir(), 'twinstack-lock-'));
    writeFileSync(join(dir, DEPLOY_ENV_FILE), "NAME='x'\n");
    const command = runDeployCommand(dir, 'echo start >> log; sleep 0.3; echo end >> log', REV, 10_000, []);
    const [program, ...args] = command.argv;

    // Act: both at once, as a retry beside a still-running first attempt would
    await Promise.all([run(program!, args, { timeout: 10_000 }), run(program!, args, { timeout: 10_000 })]);

    // Assess
    expect(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n')).toEqual(['start', 'end', 'start', 'end']);
  });
});
