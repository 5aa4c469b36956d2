import { describe, expect, it } from 'vitest';
import { runChecked } from '../../../../functions/adapters/ssh/run-checked.ts';
import type { CommandResult, RemoteCommand } from '../../../../functions/core/command.ts';
import { RemoteCommandError } from '../../../../functions/core/errors.ts';
import type { Host } from '../../../../functions/core/model.ts';
import type { RemoteShell } from '../../../../functions/core/ports.ts';

const host: Host = { name: 'db', address: '127.0.1.1', sshPort: 22, user: 'twin', hostKey: 'SHA256:x' };
const command: RemoteCommand = { description: 'promote', argv: ['pg_ctl', 'promote'], secretEnv: { PW: 'hunter2' }, redact: ['tok'], timeoutMs: 1000 };

/** A RemoteShell fake that answers one fixed result (unredacted, to prove runChecked redacts too). */
function shellAnswering(result: CommandResult): RemoteShell {
  return { exec: () => Promise.resolve(result), close: () => Promise.resolve() };
}

describe('runChecked', () => {
  it('resolves the result of a command that exits 0', async () => {
    // Prepare
    const ok = { exitCode: 0, stdout: 'done', stderr: '', durationMs: 3 };

    // Act
    const result = await runChecked(shellAnswering(ok), host, command);

    // Assess
    expect(result).toEqual(ok);
  });

  it('throws RemoteCommandError with the redacted stderr tail on a non-zero exit', async () => {
    // Prepare
    const failed = { exitCode: 2, stdout: '', stderr: 'auth hunter2 failed with tok\n', durationMs: 3 };

    // Act
    const outcome = runChecked(shellAnswering(failed), host, command);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(RemoteCommandError);
    await expect(outcome).rejects.toMatchObject({
      exitCode: 2,
      stderr: 'auth *** failed with ***\n',
      message: 'promote failed on db with exit code 2: auth *** failed with ***',
    });
  });
});
