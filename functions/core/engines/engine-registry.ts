/** The database engines by name. Invariant: every EngineName has exactly one engine. */
import { InvalidInputError } from '../errors.ts';
import type { EngineName } from '../model.ts';
import type { DatabaseEngine } from './database-engine.ts';
import { postgresEngine } from './postgres.engine.ts';

const ENGINES: Readonly<Record<EngineName, DatabaseEngine>> = {
  postgres: postgresEngine,
};

export function engineFor(name: EngineName): DatabaseEngine {
  const engine = ENGINES[name];
  if (!engine) throw new InvalidInputError(`no database engine named ${String(name)}`);
  return engine;
}
