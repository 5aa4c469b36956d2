/**
 * The lab node of every engine, by name. Adding an engine to the lab is its file in
 * nodes/ plus one line here; nothing else in the lab or the drill names an engine.
 */
import type { EngineName } from '../../../functions/core/model.ts';
import { LabError } from './lab-error.ts';
import type { LabDatabaseNode } from './lab-database-node.ts';
import { mariadbLabNode } from './nodes/mariadb.lab-node.ts';
import { postgresLabNode } from './nodes/postgres.lab-node.ts';
import { redisLabNode } from './nodes/redis.lab-node.ts';

export const LAB_NODES: readonly LabDatabaseNode[] = [postgresLabNode, mariadbLabNode, redisLabNode];

export function labNodeFor(engine: EngineName): LabDatabaseNode {
  const node = LAB_NODES.find((n) => n.engine === engine);
  if (!node) throw new LabError(`the lab has no ${engine} node (lab engines: ${LAB_NODES.map((n) => n.engine).join(', ')})`);
  return node;
}
