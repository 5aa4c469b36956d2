/** Observe one copy of a database; transport faults become an error string (a snapshot records them, it does not throw). */
import type { SideObservation } from '../../core/decisions/database-observation.ts';
import type { DatabaseEngine, DatabaseStatus } from '../../core/engines/database-engine.ts';
import { HostUnreachableError, TwinstackError } from '../../core/errors.ts';
import type { Database, Host } from '../../core/model.ts';
import type { RemoteShell } from '../../core/ports.ts';
import { runCommand } from './run-command.ts';

export async function readStatus(shell: RemoteShell, engine: DatabaseEngine, database: Database, host: Host): Promise<DatabaseStatus> {
  const result = await runCommand(shell, host, engine.status({ database, host }));
  return engine.parseStatus(result);
}

/**
 * Why a database could not be observed:
 * - `unreachable`: no connection could be made to its host (HostUnreachableError only):
 *   the host may be down or cut off, so what it does now is unknown but it cannot be told;
 * - `fault`: anything else (host key mismatch, authentication, timeout of a running
 *   command, a failing command, unexpected output…): the host answered, so the server
 *   may well be running and taking writes. Never treat a fault as a dead primary.
 */
export type ObservationErrorKind = 'unreachable' | 'fault';

export type Observation = SideObservation;

/** Like readStatus, but any failure is returned as `CODE: message` (and its kind) instead of thrown. */
export async function observeStatus(shell: RemoteShell, engine: DatabaseEngine, database: Database, host: Host): Promise<Observation> {
  try {
    return { status: await readStatus(shell, engine, database, host) };
  } catch (error) {
    return { error: describeError(error), errorKind: errorKindOf(error) };
  }
}

/**
 * `unreachable` only when the connection could not be made; every other failure is a
 * `fault` — including a connection lost AFTER the handshake (the host answered: it is
 * alive, and treating it as isolated would promote next to a live primary).
 */
export function errorKindOf(error: unknown): ObservationErrorKind {
  return error instanceof HostUnreachableError && error.phase === 'connect' ? 'unreachable' : 'fault';
}

export function describeError(error: unknown): string {
  if (error instanceof TwinstackError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
