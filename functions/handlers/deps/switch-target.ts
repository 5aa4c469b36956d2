/** The `to` of a SwitchDns/VerifyDns input (shared by both steps, so VerifyDns's bundle holds no SwitchDns wiring). */
import { InvalidInputError } from '../../core/errors.ts';
import type { StackRole } from '../../core/model.ts';

/** Which stack a traffic switch points at: `twin` when absent (a failover). */
export function switchTargetOf(to: unknown): StackRole {
  if (to === undefined) return 'twin';
  if (to === 'primary' || to === 'twin') return to;
  throw new InvalidInputError(`"to" must be "primary" or "twin", not ${JSON.stringify(to)}`);
}
