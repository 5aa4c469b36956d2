/**
 * The one command shape every engine builds: `sh -c '<fixed script>' sh <node args…> <args…>`.
 * Values travel only as positional parameters (validated first by the engine, never
 * interpolated into the script), the locale is fixed, and secrets travel only in
 * `secretEnv`, each of them listed in `redact`.
 */
import type { RemoteCommand } from '../command.ts';
import type { EngineTarget } from './database-engine.ts';

export interface ScriptCommand {
  /** For logs and timelines: never contains a secret. */
  readonly description: string;
  /** A fixed script (a constant of the engine's scripts module). */
  readonly script: string;
  readonly target: EngineTarget;
  /** Validated arguments after the node ones. */
  readonly args?: readonly string[];
  readonly secretEnv?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** A builder of an engine's commands, given how that engine turns a target into the arguments every script starts with. */
export function scriptCommandBuilder(nodeArguments: (target: EngineTarget) => readonly string[]): (c: ScriptCommand) => RemoteCommand {
  return (c) => ({
    description: c.description,
    argv: ['sh', '-c', c.script, 'sh', ...nodeArguments(c.target), ...(c.args ?? [])],
    env: { LC_ALL: 'C' },
    ...(c.secretEnv && { secretEnv: c.secretEnv, redact: Object.values(c.secretEnv) }),
    timeoutMs: c.timeoutMs,
  });
}
