import { TwinstackError } from '../errors.ts';

/** The lease store could not be read or written (not: the lease is held by another; that is `false`). */
export class LeaseStoreError extends TwinstackError {
  override readonly name = 'LeaseStoreError';
  readonly code = 'LEASE_STORE_FAILED';
  override readonly transient = true;
}
