/** Per-database PrimaryObservation parameters (see parameterNames.observation). */
import type { PrimaryObservation } from '../../core/group-state.ts';
import { parameterNames } from '../../core/parameter-names.ts';
import type { ParameterStore } from '../../core/ports.ts';

/** The last observation of `database`'s primary; undefined when never observed or unreadable (no evidence). */
export async function loadObservation(params: ParameterStore, group: string, database: string): Promise<PrimaryObservation | undefined> {
  const raw = await params.get(parameterNames.observation(group, database));
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<PrimaryObservation>;
    return typeof parsed.at === 'string' && typeof parsed.position === 'string' && Array.isArray(parsed.syncReplicas)
      ? { at: parsed.at, position: parsed.position, syncReplicas: parsed.syncReplicas, ...(parsed.stack === 'primary' || parsed.stack === 'twin' ? { stack: parsed.stack } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

/** One blind write of this database's own parameter: no read-modify-write, nothing to race. */
export async function saveObservation(params: ParameterStore, group: string, database: string, observation: PrimaryObservation): Promise<void> {
  await params.put(parameterNames.observation(group, database), JSON.stringify(observation));
}
