/**
 * The Compute port: what the clone-stack workflow needs from the machines a stack runs
 * on. Adapters: EC2 (functions/handlers/deps, `@aws-sdk/client-ec2`) and the local
 * runtime (a loopback host with its own sshd, Docker engine and database servers).
 *
 * Invariants every adapter keeps:
 * - every call that creates something is idempotent by the name or client token it is
 *   given: a retry or a resumed clone finds what the first attempt made, never a second one;
 * - everything a clone creates carries the tags of `cloneTags` (so a resume and a
 *   rollback find it, and IAM can be scoped to it);
 * - eventual consistency (an id not yet visible right after it was returned) is the
 *   adapter's to absorb for reads of that id, bounded; the workflow's Wait loops absorb
 *   the rest (`imageState` answers `missing`, never throws, for an id not yet visible);
 * - transport faults and throttling reject with the error catalog's transient errors
 *   (core/errors.ts), so the one retry policy of the ASL applies.
 */
import { InvalidInputError } from './errors.ts';

/** The stack and host a machine belongs to: the tags twinstack reads and writes. */
export const STACK_TAG = 'twinstack:stack';
export const HOST_TAG = 'twinstack:host';
/** Set on everything a clone creates: the clone's id (group, source, target region), for resume and rollback. */
export const CLONE_TAG = 'twinstack:clone';

/** The tags that mark what one clone created. */
export function cloneTags(cloneId: string, stack: string, host?: string): Record<string, string> {
  return { [CLONE_TAG]: cloneId, [STACK_TAG]: stack, ...(host === undefined ? {} : { [HOST_TAG]: host }) };
}

export interface ComputeVolume {
  /** `/dev/xvda`, … */
  readonly device: string;
  readonly sizeGiB: number;
  readonly volumeType: string;
  readonly encrypted: boolean;
  readonly iops?: number;
  readonly throughput?: number;
}

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** One machine of a stack, as the provider describes it. */
export interface ComputeInstance {
  readonly id: string;
  /** The stack's logical host name (tag `twinstack:host`), the same in both stacks of a group. */
  readonly hostName: string;
  readonly state: InstanceState;
  readonly imageId: string;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly vpcId: string;
  readonly securityGroupIds: readonly string[];
  readonly instanceProfileArn?: string;
  readonly keyName?: string;
  readonly volumes: readonly ComputeVolume[];
  readonly tags: Readonly<Record<string, string>>;
  readonly privateAddress?: string;
  readonly publicAddress?: string;
}

/** One rule of a security group. A reference to another group is by its id (translated by the clone). */
export interface SecurityGroupRule {
  /** `tcp`, `udp`, `icmp` or `-1` (all). */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrs: readonly string[];
  readonly ipv6Cidrs: readonly string[];
  readonly groupIds: readonly string[];
  readonly description?: string;
}

export interface SecurityGroupSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly vpcId: string;
  readonly ingress: readonly SecurityGroupRule[];
  readonly egress: readonly SecurityGroupRule[];
  readonly tags: Readonly<Record<string, string>>;
}

/** A stack's machines and the security groups they use. */
export interface StackDescription {
  readonly region: string;
  readonly stack: string;
  readonly instances: readonly ComputeInstance[];
  readonly securityGroups: readonly SecurityGroupSpec[];
}

/** `missing`: not (yet) visible, e.g. right after CopyImage. */
export type ImageState = 'pending' | 'available' | 'failed' | 'missing';

export interface LaunchSpec {
  /** Idempotency: the same token never launches a second instance. */
  readonly clientToken: string;
  readonly imageId: string;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  readonly instanceProfileArn?: string;
  readonly keyName?: string;
  readonly volumes: readonly ComputeVolume[];
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * What every adapter's `copyImage` refuses before it calls anything: a copy goes to
 * another region, encrypted with a key there, under the clone's token (PlanClone refuses
 * the same earlier, naming the config fix; this is the adapter's own fence).
 */
export function checkCopyImage(sourceRegion: string, targetRegion: string, options: { readonly kmsKeyId: string; readonly clientToken: string }): void {
  if (sourceRegion === targetRegion) throw new InvalidInputError(`copyImage: targetRegion equals the source region ${sourceRegion}: name the twin's region`);
  if (!options.kmsKeyId) throw new InvalidInputError(`copyImage: kmsKeyId is empty: give the KMS key of ${targetRegion} the copy is encrypted with`);
  if (!options.clientToken) throw new InvalidInputError("copyImage: clientToken is empty: give the clone's token for this image");
}

export interface Compute {
  /** The running (or stopped) instances tagged `twinstack:stack=<stack>` and their security groups; every page. */
  describeStack(region: string, stack: string): Promise<StackDescription>;
  /** Image of one instance; an image of the same name already there is returned, not made again. */
  createImage(region: string, instanceId: string, options: { readonly name: string; readonly noReboot: boolean; readonly tags: Readonly<Record<string, string>> }): Promise<{ readonly imageId: string }>;
  /** Copy to `targetRegion`, encrypted with `kmsKeyId` there; idempotent by `clientToken`. */
  copyImage(
    sourceRegion: string,
    imageId: string,
    targetRegion: string,
    options: { readonly name: string; readonly kmsKeyId: string; readonly clientToken: string; readonly tags: Readonly<Record<string, string>> },
  ): Promise<{ readonly imageId: string }>;
  imageState(region: string, imageId: string): Promise<ImageState>;
  /** Find (by name and the clone's tag) or create the group in `vpcId` with exactly these rules; returns its id. */
  ensureSecurityGroup(region: string, vpcId: string, spec: Omit<SecurityGroupSpec, 'id' | 'vpcId'>): Promise<{ readonly groupId: string; readonly created: boolean }>;
  runInstance(region: string, spec: LaunchSpec): Promise<{ readonly instanceId: string }>;
  describeInstances(region: string, instanceIds: readonly string[]): Promise<readonly ComputeInstance[]>;
  /**
   * The instance's SSH host key fingerprint (`SHA256:…`) read from a trusted channel (the
   * EC2 console output or a value the instance wrote to SSM at boot; never the network
   * connection it would authenticate). Undefined while it has not been published yet.
   */
  hostKeyOf(region: string, instanceId: string): Promise<string | undefined>;
  /** Everything tagged `twinstack:clone=<cloneId>` in `region`: for resume and rollback. */
  findCloned(region: string, cloneId: string): Promise<{ readonly instanceIds: readonly string[]; readonly imageIds: readonly string[]; readonly securityGroupIds: readonly string[] }>;
  /** Idempotent (an instance already gone is fine). */
  terminateInstances(region: string, instanceIds: readonly string[]): Promise<void>;
  /** Idempotent; also deletes the image's snapshots. */
  deregisterImage(region: string, imageId: string): Promise<void>;
}
