import type { DatabaseEngine } from '../../core/engines/database-engine.ts';
import { engineFor } from '../../core/engines/engine-registry.ts';
import type { EngineName } from '../../core/model.ts';
import type { StepDeps } from './step-deps.ts';

/** The engine for `name`: the injected lookup when present, else the registry. */
export function engineOf(deps: StepDeps, name: EngineName): DatabaseEngine {
  return deps.engineFor ? deps.engineFor(name) : engineFor(name);
}
