import type { DatabaseEngine } from '../../core/engines/database-engine.ts';
import { databaseHost, type Database, type FailoverGroup } from '../../core/model.ts';

/** The identity the twin's copy of `db` replicates under: the engine decides (DatabaseEngine.replicaName). */
export function replicaNameOf(engine: DatabaseEngine, group: FailoverGroup, db: Database): string {
  return engine.replicaName(db, group.twin.name, databaseHost(group.twin, db));
}
