/**
 * Group config, group state and database secrets, read from and written to the ParameterStore.
 * Invariant: secrets are only ever returned to the caller, never logged or put in step output.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseSecrets } from '../../core/engines/database-engine.ts';
import { IDENTIFIER } from '../../core/config/config-patterns.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { INITIAL_GROUP_STATE, type GroupState } from '../../core/group-state.ts';
import { twinNotClonedMessage, type Database, type FailoverGroup, type GroupAwaitingTwin } from '../../core/model.ts';
import { parameterNames } from '../../core/parameter-names.ts';
import type { ParameterStore } from '../../core/ports.ts';

/**
 * The validated group stored at parameterNames.config(name); InvalidInputError when absent,
 * malformed, or still awaiting its twin (`twinNotClonedMessage`: only clone-stack takes that).
 */
export async function loadGroup(params: ParameterStore, name: unknown): Promise<FailoverGroup> {
  const group = await loadGroupAwaitingTwin(params, name);
  if (!group.twin) throw new InvalidInputError(twinNotClonedMessage(group.name));
  return group as FailoverGroup;
}

/** The stored group whether or not its twin is cloned yet (clone-stack's steps); InvalidInputError when absent or malformed. */
export async function loadGroupAwaitingTwin(params: ParameterStore, name: unknown): Promise<GroupAwaitingTwin> {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) throw new InvalidInputError(`invalid group name: ${JSON.stringify(name)}`);
  const raw = await params.get(parameterNames.config(name));
  if (raw === undefined) throw new InvalidInputError(`unknown group ${name}: no ${parameterNames.config(name)}`);
  let group: GroupAwaitingTwin;
  try {
    group = JSON.parse(raw) as GroupAwaitingTwin;
  } catch (cause) {
    throw new InvalidInputError(`group ${name}: config is not JSON`, { cause });
  }
  if (group?.name !== name || !group.primary || !Array.isArray(group.databases) || !group.dns) {
    throw new InvalidInputError(`group ${name}: config is malformed`);
  }
  return group;
}

/** The database named `name` in `group`; InvalidInputError when it has none. */
export function findDatabase(group: FailoverGroup, name: unknown): Database {
  const db = group.databases.find((d) => d.name === name);
  if (!db) throw new InvalidInputError(`group ${group.name} has no database ${JSON.stringify(name)}`);
  return db;
}

/** GroupState of `group`; INITIAL_GROUP_STATE when none was saved yet. */
export async function loadState(params: ParameterStore, group: string): Promise<GroupState> {
  const raw = await params.get(parameterNames.state(group));
  if (raw === undefined) return INITIAL_GROUP_STATE;
  try {
    return JSON.parse(raw) as GroupState;
  } catch (cause) {
    throw new InvalidInputError(`group ${group}: state is not JSON`, { cause });
  }
}

export async function saveState(params: ParameterStore, group: string, state: GroupState): Promise<void> {
  await params.put(parameterNames.state(group), JSON.stringify(state));
}

function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** The secrets of `db`; InvalidInputError when they were never created (PreparePrimary creates them). */
export async function loadSecrets(params: ParameterStore, group: string, db: string): Promise<DatabaseSecrets> {
  const [replicationPassword, appPassword] = await Promise.all([
    params.get(parameterNames.secret(group, db, 'replication-password')),
    params.get(parameterNames.secret(group, db, 'app-password')),
  ]);
  if (replicationPassword === undefined || appPassword === undefined) {
    throw new InvalidInputError(`group ${group}: database ${db} has no secrets yet (run the replicate workflow)`);
  }
  return { replicationPassword, appPassword };
}

/**
 * The secrets of `db`, generating (node:crypto) and storing each one that is absent.
 * Idempotent: existing secrets are never replaced.
 */
export async function getOrCreateSecrets(params: ParameterStore, group: string, db: string): Promise<DatabaseSecrets> {
  const read = async (kind: 'replication-password' | 'app-password'): Promise<string> => {
    const name = parameterNames.secret(group, db, kind);
    const existing = await params.get(name);
    if (existing !== undefined) return existing;
    const created = newPassword();
    await params.put(name, created, { secret: true });
    return created;
  };
  const replicationPassword = await read('replication-password');
  const appPassword = await read('app-password');
  return { replicationPassword, appPassword };
}
