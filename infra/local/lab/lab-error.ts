/**
 * Errors of the local lab (loopback hosts, their sshd and PostgreSQL servers).
 * They extend the project's base error so reports and the drill treat them alike.
 */
import { TwinstackError } from '../../../functions/core/errors.ts';

/** A lab operation failed (a server did not start, a command exited non-zero …). */
export class LabError extends TwinstackError {
  override readonly name = 'LabError';
  readonly code = 'LAB_FAILED';
}

/** The machine lacks system packages the lab needs; the message names the command that installs them. */
export class SystemRequirementsError extends TwinstackError {
  override readonly name = 'SystemRequirementsError';
  readonly code = 'SYSTEM_REQUIREMENTS_MISSING';
  constructor(
    message: string,
    readonly missing: readonly string[],
    readonly installCommand: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
