import type { DatabaseEngine } from '../../core/engines/database-engine.ts';
import { databaseHost, stackOf, type Database, type FailoverGroup, type StackRole } from '../../core/model.ts';

/**
 * The identity the copy of `db` on stack `replica` (default the twin) replicates under:
 * the engine decides (DatabaseEngine.replicaName).
 */
export function replicaNameOf(engine: DatabaseEngine, group: FailoverGroup, db: Database, replica: StackRole = 'twin'): string {
  const stack = stackOf(group, replica);
  return engine.replicaName(db, stack.name, databaseHost(stack, db));
}
