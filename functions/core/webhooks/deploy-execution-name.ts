import { createHash } from 'node:crypto';

/** Step Functions execution names: 1–80 characters of `A-Za-z0-9-_`. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_LENGTH = 80;

/**
 * The deploy execution name of one push to a group: `<group>-<revision>[-<previous 8 hex>]`,
 * or, when that is longer than 80 characters, `<group prefix>-<16 hex of sha256(group)>-<rest>`.
 *
 * Invariants: deterministic (every delivery of the same push maps to the same name,
 * so duplicate deliveries collide in Step Functions and start nothing new); distinct
 * groups, revisions or previous revisions give distinct names — so a revert
 * (A → B → A) is a new push with a new name and deploys A again, which a name of
 * the revision alone would refuse as a duplicate for Step Functions' 90 days;
 * always matches EXECUTION_NAME for group names of the config's identifier pattern
 * and 40-hex revisions.
 */
export function deployExecutionName(group: string, revision: string, previous?: string): string {
  const rest = previous === undefined ? revision : `${revision}-${previous.slice(0, 8)}`;
  const plain = `${group}-${rest}`;
  if (plain.length <= MAX_LENGTH) return plain;
  const digest = createHash('sha256').update(group).digest('hex').slice(0, 16);
  const room = MAX_LENGTH - rest.length - digest.length - 2;
  return `${group.slice(0, Math.max(room, 0))}-${digest}-${rest}`;
}
