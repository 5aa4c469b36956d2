import type { Database, FailoverGroup } from '../../core/model.ts';

/** Name the twin's copy of `db` identifies itself with (PostgreSQL application_name): `[a-z0-9_]` only. */
export function replicaNameOf(group: FailoverGroup, db: Database): string {
  return `twinstack_${group.twin.name}_${db.name}`.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63);
}
