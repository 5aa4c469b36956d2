/** Observe one copy of a database; transport faults become an error string (a snapshot records them, it does not throw). */
import type { DatabaseEngine, DatabaseStatus } from '../../core/engines/database-engine.ts';
import { TwinstackError } from '../../core/errors.ts';
import type { Database, Host } from '../../core/model.ts';
import type { RemoteShell } from '../../core/ports.ts';
import { runCommand } from './run-command.ts';

export async function readStatus(shell: RemoteShell, engine: DatabaseEngine, database: Database, host: Host): Promise<DatabaseStatus> {
  const result = await runCommand(shell, host, engine.status({ database, host }));
  return engine.parseStatus(result);
}

export type Observation = { readonly status: DatabaseStatus; readonly error?: undefined } | { readonly status?: undefined; readonly error: string };

/** Like readStatus, but any failure is returned as `CODE: message` instead of thrown. */
export async function observeStatus(shell: RemoteShell, engine: DatabaseEngine, database: Database, host: Host): Promise<Observation> {
  try {
    return { status: await readStatus(shell, engine, database, host) };
  } catch (error) {
    return { error: describeError(error) };
  }
}

export function describeError(error: unknown): string {
  if (error instanceof TwinstackError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
