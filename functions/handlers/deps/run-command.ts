/** Command glue shared by the step handlers. */
import type { RemoteShell } from '../../core/ports.ts';

/** Exec on a host; RemoteCommandError (redacted) unless it exits 0. */
export { runChecked as runCommand } from '../../adapters/ssh/run-checked.ts';

/** Open the group's shell, run `fn`, and always close the shell. */
export async function withShell<T>(open: () => Promise<RemoteShell>, fn: (shell: RemoteShell) => Promise<T>): Promise<T> {
  const shell = await open();
  try {
    return await fn(shell);
  } finally {
    await shell.close();
  }
}
