/**
 * Leases that serialise a group's workflows (one deploy, one failover at a time).
 * Holders are execution names, so a re-run of the same execution renews its own lease.
 */
import { InvalidInputError } from '../../core/errors.ts';
import type { LeaseStore } from '../../core/ports.ts';
import type { StepDeps } from '../deps/step-deps.ts';

/** The lease store; InvalidInputError when the runtime wired none. */
export function leaseOf(deps: StepDeps): LeaseStore {
  if (!deps.lease) throw new InvalidInputError('no lease store is configured: workflows of a group cannot be serialised');
  return deps.lease;
}

const HOLDER = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Execution names are the lease holders; InvalidInputError for anything else. */
export function validHolder(holder: unknown): string {
  if (typeof holder !== 'string' || !HOLDER.test(holder)) throw new InvalidInputError(`invalid lease holder ${JSON.stringify(holder)}`);
  return holder;
}
