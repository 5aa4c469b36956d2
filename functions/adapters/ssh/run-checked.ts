/** Run a command and turn a non-zero exit into a RemoteCommandError. */
import type { CommandResult, RemoteCommand } from '../../core/command.ts';
import { redact } from '../../core/command.ts';
import { RemoteCommandError } from '../../core/errors.ts';
import type { Host } from '../../core/model.ts';
import type { RemoteShell } from '../../core/ports.ts';

const STDERR_TAIL_CHARS = 2000;

/**
 * Runs `command` on `host`; resolves only for exit code 0. Otherwise throws
 * RemoteCommandError whose message carries the (redacted) tail of stderr.
 * The shell already redacts output; this redacts again so a fake shell cannot leak.
 */
export async function runChecked(shell: RemoteShell, host: Host, command: RemoteCommand): Promise<CommandResult> {
  const result = await shell.exec(host, command);
  if (result.exitCode === 0) return result;
  const secrets = [...Object.values(command.secretEnv ?? {}), ...(command.redact ?? [])];
  const stderr = redact(result.stderr, secrets);
  const tail = stderr.trim().slice(-STDERR_TAIL_CHARS);
  const description = redact(command.description, secrets);
  throw new RemoteCommandError(
    `${description} failed on ${host.name} with exit code ${result.exitCode}${tail ? `: ${tail}` : ''}`,
    result.exitCode,
    stderr,
  );
}
