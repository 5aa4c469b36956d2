/**
 * Deploy bookkeeping of a group, stored as JSON at parameterNames.deployState(group):
 * which pushed revision is wanted (`desired`) and what each stack runs.
 *
 * Invariant (ordering): versions are totally ordered by `receivedAt`, then
 * `sequence`; a stack's recorded `version` only ever moves forward, and `desired`
 * only ever moves forward, so the order of revisions is never reversed.
 */

/** A pushed revision and when the webhook received it. */
export interface DeployPush {
  /** Full 40-hex commit id. */
  readonly revision: string;
  /** ISO time the webhook delivery was received. */
  readonly receivedAt: string;
  readonly deliveryId: string;
}

/** A push as recorded: `sequence` is assigned when it becomes desired (1, 2, …) and breaks receivedAt ties. */
export interface DeployVersion extends DeployPush {
  readonly sequence: number;
}

export type StackDeployStatus = 'deployed' | 'failed';

export interface StackDeployRecord {
  /** The revision the stack runs (last successful deploy). */
  readonly deployed?: string;
  /** The image ID (`sha256:…`) every host of the stack runs for `deployed` (groups that build images). */
  readonly image?: string;
  /** The version of `deployed`, for ordering. */
  readonly version?: DeployVersion;
  readonly deployedAt?: string;
  readonly status: StackDeployStatus;
  /** The revision of the last failed attempt and why it failed. */
  readonly failedRevision?: string;
  readonly lastError?: string;
}

export interface DeployState {
  readonly desired?: DeployVersion;
  readonly stacks: Readonly<Record<string, StackDeployRecord>>;
}

export const INITIAL_DEPLOY_STATE: DeployState = { stacks: {} };

/** A full lowercase git commit id: the only form a host is ever asked to check out. */
export const REVISION_PATTERN = /^[0-9a-f]{40}$/;

/**
 * Order of two versions: negative when `a` is older than `b`.
 * receivedAt first (instants, not strings), then sequence.
 */
export function compareVersions(a: Pick<DeployVersion, 'receivedAt' | 'sequence'>, b: Pick<DeployVersion, 'receivedAt' | 'sequence'>): number {
  const byTime = Date.parse(a.receivedAt) - Date.parse(b.receivedAt);
  if (byTime !== 0) return byTime;
  return a.sequence - b.sequence;
}

/** `abcdef0` for display (never used to address a revision). */
export function shortRevision(revision: string | undefined): string {
  return revision ? revision.slice(0, 7) : 'nothing';
}
