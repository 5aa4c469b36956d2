import { createHash } from 'node:crypto';

/** Step Functions execution names: 1–80 characters of `A-Za-z0-9-_`. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_LENGTH = 80;

/**
 * The deploy execution name of a revision of a group: `<group>-<revision>`, or, when
 * that is longer than 80 characters, `<group prefix>-<16 hex of sha256(group)>-<revision>`.
 *
 * Invariants: deterministic (the same push always maps to the same name, so
 * duplicate deliveries collide in Step Functions and start nothing new); distinct
 * groups or revisions give distinct names; always matches EXECUTION_NAME for
 * group names of the config's identifier pattern and 40-hex revisions.
 */
export function deployExecutionName(group: string, revision: string): string {
  const plain = `${group}-${revision}`;
  if (plain.length <= MAX_LENGTH) return plain;
  const digest = createHash('sha256').update(group).digest('hex').slice(0, 16);
  const room = MAX_LENGTH - revision.length - digest.length - 2;
  return `${group.slice(0, Math.max(room, 0))}-${digest}-${revision}`;
}
