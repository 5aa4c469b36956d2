/**
 * One base error, flat subclasses (Powertools style). Each sets an explicit `name`
 * (the Step Functions error name that ASL `ErrorEquals` matches, so it survives
 * minification) and a stable `code` for reports. Refusals are data, not errors:
 * throw only for faults.
 */
export abstract class TwinstackError extends Error {
  abstract readonly code: string;
  /** True when retrying the same step may succeed (network blips, timeouts). */
  readonly transient: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ConfigError extends TwinstackError {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
}

/** The host presented a key that is not the pinned one: nothing was sent to it. */
export class HostKeyMismatchError extends TwinstackError {
  override readonly name = 'HostKeyMismatchError';
  readonly code = 'HOST_KEY_MISMATCH';
}

/** The host's key matched but it refused our key: a configuration fault, not worth retrying. */
export class SshAuthenticationError extends TwinstackError {
  override readonly name = 'SshAuthenticationError';
  readonly code = 'SSH_AUTHENTICATION_FAILED';
}

/**
 * TCP/SSH connection could not be made (refused, timed out, reset) — `phase: 'connect'` —
 * or was lost after it was made (`'session'`: a session could not be opened, or the
 * connection dropped mid-command). Only `connect` says anything about the host being
 * gone; after the handshake the host answered, so it is alive.
 */
export class HostUnreachableError extends TwinstackError {
  override readonly name = 'HostUnreachableError';
  readonly code = 'HOST_UNREACHABLE';
  override readonly transient = true;
  constructor(
    message: string,
    options?: { cause?: unknown; phase?: 'connect' | 'session' },
  ) {
    super(message, options);
    this.phase = options?.phase ?? 'connect';
  }
  readonly phase: 'connect' | 'session';
}

/** A remote command exited non-zero. Its message and output are already redacted. */
export class RemoteCommandError extends TwinstackError {
  override readonly name = 'RemoteCommandError';
  readonly code = 'REMOTE_COMMAND_FAILED';
  constructor(
    message: string,
    readonly exitCode: number,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A remote command did not finish within its timeout; the channel was closed. */
export class RemoteTimeoutError extends TwinstackError {
  override readonly name = 'RemoteTimeoutError';
  readonly code = 'REMOTE_TIMEOUT';
  override readonly transient = true;
}

/** Output of a database command could not be understood. */
export class UnexpectedOutputError extends TwinstackError {
  override readonly name = 'UnexpectedOutputError';
  readonly code = 'UNEXPECTED_OUTPUT';
}

/** The replica has not caught up yet: the replicate workflow retries this one. */
export class ReplicaNotCaughtUpError extends TwinstackError {
  override readonly name = 'ReplicaNotCaughtUpError';
  readonly code = 'REPLICA_NOT_CAUGHT_UP';
  override readonly transient = true;
}

/** Promotion was attempted but the database is not a writable primary afterwards. */
export class PromotionError extends TwinstackError {
  override readonly name = 'PromotionError';
  readonly code = 'PROMOTION_FAILED';
}

/** The old primary could not be fenced: promoting now could make two writable primaries. */
export class FencingError extends TwinstackError {
  override readonly name = 'FencingError';
  readonly code = 'FENCING_FAILED';
}

export class DnsChangeError extends TwinstackError {
  override readonly name = 'DnsChangeError';
  readonly code = 'DNS_CHANGE_FAILED';
  override readonly transient = true;
}

/** After a switch, the group's name does not answer the expected target. */
export class DnsVerificationError extends TwinstackError {
  override readonly name = 'DnsVerificationError';
  readonly code = 'DNS_NOT_VERIFIED';
  override readonly transient = true;
}

export class ParameterStoreError extends TwinstackError {
  override readonly name = 'ParameterStoreError';
  readonly code = 'PARAMETER_STORE_FAILED';
  override readonly transient = true;
}

/**
 * A compute provider call (EC2, or the local lab's hosts) failed in a way a retry will not
 * fix (access denied, bad parameter, a limit): the message names the call and the fix.
 */
export class ComputeError extends TwinstackError {
  override readonly name = 'ComputeError';
  readonly code = 'COMPUTE_FAILED';
}

/** The compute provider throttled the call, failed on its side (5xx) or could not be reached: retry. */
export class ComputeUnavailableError extends TwinstackError {
  override readonly name = 'ComputeUnavailableError';
  readonly code = 'COMPUTE_UNAVAILABLE';
  override readonly transient = true;
}

/**
 * The twin cannot replicate from the primary as they are (mixed dialects or major
 * versions, binary logging off …): refused before anything changes, with the fix.
 */
export class IncompatibleReplicaError extends TwinstackError {
  override readonly name = 'IncompatibleReplicaError';
  readonly code = 'INCOMPATIBLE_REPLICA';
}

/**
 * A detached restore job on the twin ended without restoring (non-zero exit, killed,
 * host rebooted, or its job directory vanished). The message carries its reason and
 * the tail of its log, redacted of the database's secrets. Not transient: a retry of
 * the poll reads the same ended job; a new replicate run starts a new job.
 */
export class RestoreJobFailedError extends TwinstackError {
  override readonly name = 'RestoreJobFailedError';
  readonly code = 'RESTORE_JOB_FAILED';
}

/**
 * A long-running workflow found its group lease held by another execution (it expired
 * before a renewal): it stops, so two workflows never change one group at once.
 */
export class LeaseLostError extends TwinstackError {
  override readonly name = 'LeaseLostError';
  readonly code = 'LEASE_LOST';
}

/**
 * An old primary may not be rejoined as a replica as it is (a writable, un-fenced,
 * un-demoted primary: it may still take writes), or the stack it should follow has no
 * writable primary. Not transient: a retry observes the same servers; fence or demote
 * it first.
 */
export class RejoinRefusedError extends TwinstackError {
  override readonly name = 'RejoinRefusedError';
  readonly code = 'REJOIN_REFUSED';
}

/** A workflow input or stored state is malformed (unknown group, missing field). */
export class InvalidInputError extends TwinstackError {
  override readonly name = 'InvalidInputError';
  readonly code = 'INVALID_INPUT';
}

/**
 * Every error class, by the name ASL `ErrorEquals` uses (some live next to their area,
 * e.g. LeaseStoreError in core/deploy). Tests check ASL against this list.
 */
export const ERROR_NAMES = [
  'ConfigError',
  'HostKeyMismatchError',
  'SshAuthenticationError',
  'HostUnreachableError',
  'RemoteCommandError',
  'RemoteTimeoutError',
  'UnexpectedOutputError',
  'ReplicaNotCaughtUpError',
  'PromotionError',
  'FencingError',
  'DnsChangeError',
  'DnsVerificationError',
  'ParameterStoreError',
  'InvalidInputError',
  'IncompatibleReplicaError',
  'LeaseLostError',
  'RestoreJobFailedError',
  'LeaseStoreError',
  'ComputeError',
  'ComputeUnavailableError',
  'RejoinRefusedError',
] as const;
export type ErrorName = (typeof ERROR_NAMES)[number];
