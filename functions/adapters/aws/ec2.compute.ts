/**
 * The Compute port over EC2 (`@aws-sdk/client-ec2`): one client per region, made on first
 * use of that region; the SDK's command classes are loaded with `import()` on the first
 * call (cold start: a step that never clones never loads the EC2 client).
 *
 * Invariants (besides the port's, core/compute.ts):
 * - every list is read to its last page (the SDK's paginators);
 * - creations are found before they are made (image by name, group by name + clone tag)
 *   and carry a client token where EC2 takes one (CopyImage, RunInstances);
 * - throttling, 5xx and network faults reject with ComputeUnavailableError (transient),
 *   anything else with ComputeError naming the call and the fix;
 * - "not found" of what is being removed is success (terminate, deregister, delete snapshot).
 */
import type { EC2Client, Filter, Image, Instance, IpPermission, SecurityGroup, Tag, TagSpecification, Volume } from '@aws-sdk/client-ec2';
import { CLONE_TAG, HOST_TAG, checkCopyImage, STACK_TAG, type Compute, type ComputeInstance, type ComputeVolume, type ImageState, type InstanceState, type LaunchSpec, type SecurityGroupRule, type SecurityGroupSpec, type StackDescription } from '../../core/compute.ts';
import { ComputeError, ComputeUnavailableError, InvalidInputError } from '../../core/errors.ts';
import { fingerprintOfOpenSshPublicKey } from '../ssh/host-key-fingerprint.ts';

const sdk = () => import('@aws-sdk/client-ec2');

/** Bound on pages of one listing (1000 items each at most): far above any stack. */
const MAX_PAGES = 100;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export interface Ec2ComputeOptions {
  /** The client of a region (called once per region). @default `new EC2Client({ region })` */
  readonly clientFor?: (region: string) => EC2Client | Promise<EC2Client>;
  /** Reads of an id EC2 just returned: attempts and first delay (doubling) absorbing `InvalidInstanceID.NotFound`. */
  readonly consistency?: { readonly attempts: number; readonly delayMs: number };
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The default egress rule EC2 gives every new group (all traffic to anywhere). */
const DEFAULT_EGRESS: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };

export class Ec2Compute implements Compute {
  private readonly clients = new Map<string, Promise<EC2Client>>();
  private readonly clientFor: (region: string) => EC2Client | Promise<EC2Client>;
  private readonly consistency: { readonly attempts: number; readonly delayMs: number };
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: Ec2ComputeOptions = {}) {
    this.clientFor = options.clientFor ?? (async (region) => new (await sdk()).EC2Client({ region }));
    this.consistency = options.consistency ?? { attempts: 5, delayMs: 1000 };
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private client(region: string): Promise<EC2Client> {
    if (!REGION.test(region)) return Promise.reject(new InvalidInputError(`region must be an AWS region name such as eu-west-1, got ${JSON.stringify(region)}`));
    let client = this.clients.get(region);
    if (!client) {
      client = Promise.resolve(this.clientFor(region));
      this.clients.set(region, client);
    }
    return client;
  }

  async describeStack(region: string, stack: string): Promise<StackDescription> {
    const { paginateDescribeInstances, paginateDescribeSecurityGroups, paginateDescribeVolumes } = await sdk();
    const client = await this.client(region);
    const filters: Filter[] = [
      { Name: `tag:${STACK_TAG}`, Values: [stack] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
    ];
    const raw = await call('DescribeInstances', () => collect(paginateDescribeInstances({ client }, { Filters: filters }), (page) => (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])));
    const volumeIds = raw.flatMap((i) => (i.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : [])));
    const volumes = volumeIds.length === 0 ? [] : await call('DescribeVolumes', () => collect(paginateDescribeVolumes({ client }, { VolumeIds: volumeIds }), (page) => page.Volumes ?? []));
    const groupIds = [...new Set(raw.flatMap((i) => (i.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []))))];
    const groups = groupIds.length === 0 ? [] : await call('DescribeSecurityGroups', () => collect(paginateDescribeSecurityGroups({ client }, { GroupIds: groupIds }), (page) => page.SecurityGroups ?? []));
    const byVolumeId = new Map(volumes.map((v) => [v.VolumeId, v]));
    return {
      region,
      stack,
      instances: raw.map((i) => instanceOf(i, byVolumeId)),
      securityGroups: groups.map(securityGroupOf),
    };
  }

  async createImage(region: string, instanceId: string, options: { readonly name: string; readonly noReboot: boolean; readonly tags: Readonly<Record<string, string>> }): Promise<{ readonly imageId: string }> {
    const { CreateImageCommand } = await sdk();
    const client = await this.client(region);
    const existing = await this.imageNamed(client, options.name);
    if (existing) return { imageId: existing };
    try {
      const output = await client.send(
        new CreateImageCommand({ InstanceId: instanceId, Name: options.name, NoReboot: options.noReboot, TagSpecifications: tagSpecifications(['image', 'snapshot'], options.tags) }),
      );
      if (!output.ImageId) throw new ComputeError(`CreateImage of ${instanceId} returned no image id`);
      return { imageId: output.ImageId };
    } catch (error) {
      // A concurrent attempt made it between our look-up and the create: that one is ours.
      if (codeOf(error) === 'InvalidAMIName.Duplicate') {
        const made = await this.imageNamed(client, options.name);
        if (made) return { imageId: made };
      }
      throw mapError('CreateImage', error);
    }
  }

  async copyImage(
    sourceRegion: string,
    imageId: string,
    targetRegion: string,
    options: { readonly name: string; readonly kmsKeyId: string; readonly clientToken: string; readonly tags: Readonly<Record<string, string>> },
  ): Promise<{ readonly imageId: string }> {
    checkCopyImage(sourceRegion, targetRegion, options);
    await this.client(sourceRegion);
    const { CopyImageCommand } = await sdk();
    const client = await this.client(targetRegion);
    const existing = await this.imageNamed(client, options.name);
    if (existing) return { imageId: existing };
    // CopyImage takes TagSpecifications in this SDK: the copy is tagged as it is made (no untagged window for rollback).
    const output = await call('CopyImage', () =>
      client.send(
        new CopyImageCommand({
          SourceImageId: imageId,
          SourceRegion: sourceRegion,
          Name: options.name,
          Encrypted: true,
          KmsKeyId: options.kmsKeyId,
          ClientToken: options.clientToken,
          TagSpecifications: tagSpecifications(['image', 'snapshot'], options.tags),
        }),
      ),
    );
    if (!output.ImageId) throw new ComputeError(`CopyImage of ${imageId} to ${targetRegion} returned no image id`);
    return { imageId: output.ImageId };
  }

  async imageState(region: string, imageId: string): Promise<ImageState> {
    const { DescribeImagesCommand } = await sdk();
    const client = await this.client(region);
    let images: Image[];
    try {
      images = (await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    } catch (error) {
      if (IMAGE_NOT_FOUND.has(codeOf(error))) return 'missing';
      throw mapError('DescribeImages', error);
    }
    const state = images[0]?.State;
    if (state === undefined) return 'missing';
    if (state === 'available') return 'available';
    if (state === 'pending') return 'pending';
    return 'failed';
  }

  async ensureSecurityGroup(region: string, vpcId: string, spec: Omit<SecurityGroupSpec, 'id' | 'vpcId'>): Promise<{ readonly groupId: string; readonly created: boolean }> {
    const { AuthorizeSecurityGroupEgressCommand, AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, RevokeSecurityGroupEgressCommand, paginateDescribeSecurityGroups } = await sdk();
    const client = await this.client(region);
    const cloneId = spec.tags[CLONE_TAG];
    if (!cloneId) throw new InvalidInputError(`ensureSecurityGroup ${spec.name}: tags lack ${CLONE_TAG}: pass cloneTags(cloneId, stack)`);
    const filters: Filter[] = [
      { Name: 'vpc-id', Values: [vpcId] },
      { Name: 'group-name', Values: [spec.name] },
      { Name: `tag:${CLONE_TAG}`, Values: [cloneId] },
    ];
    const found = await call('DescribeSecurityGroups', () => collect(paginateDescribeSecurityGroups({ client }, { Filters: filters }), (page) => page.SecurityGroups ?? []));
    let groupId = found[0]?.GroupId;
    const created = groupId === undefined;
    if (groupId === undefined) {
      const output = await call('CreateSecurityGroup', () =>
        client.send(new CreateSecurityGroupCommand({ GroupName: spec.name, Description: spec.description, VpcId: vpcId, TagSpecifications: tagSpecifications(['security-group'], spec.tags) })),
      );
      if (!output.GroupId) throw new ComputeError(`CreateSecurityGroup ${spec.name} returned no group id`);
      groupId = output.GroupId;
    }
    const id = groupId;
    // One call per rule: a failure names its rule, and a retry re-authorizes (duplicates are success) until all hold.
    for (const rule of spec.ingress) {
      await authorize('AuthorizeSecurityGroupIngress', rule, () => client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [permissionOf(rule)] })));
    }
    for (const rule of spec.egress) {
      await authorize('AuthorizeSecurityGroupEgress', rule, () => client.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: [permissionOf(rule)] })));
    }
    // Exactly these rules: the allow-all egress EC2 adds to a new group goes unless the source had it too.
    if (!spec.egress.some(isDefaultEgress)) {
      try {
        await client.send(new RevokeSecurityGroupEgressCommand({ GroupId: id, IpPermissions: [DEFAULT_EGRESS] }));
      } catch (error) {
        if (codeOf(error) !== 'InvalidPermission.NotFound') throw mapError('RevokeSecurityGroupEgress', error);
      }
    }
    return { groupId: id, created };
  }

  async runInstance(region: string, spec: LaunchSpec): Promise<{ readonly instanceId: string }> {
    const { RunInstancesCommand } = await sdk();
    const client = await this.client(region);
    if (!spec.clientToken || spec.clientToken.length > 64) throw new InvalidInputError(`runInstance: clientToken must be 1 to 64 characters, got ${spec.clientToken.length}`);
    const output = await call('RunInstances', () =>
      client.send(
        new RunInstancesCommand({
          ClientToken: spec.clientToken,
          ImageId: spec.imageId,
          InstanceType: spec.instanceType as never,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: spec.subnetId,
          SecurityGroupIds: [...spec.securityGroupIds],
          ...(spec.instanceProfileArn ? { IamInstanceProfile: { Arn: spec.instanceProfileArn } } : {}),
          ...(spec.keyName ? { KeyName: spec.keyName } : {}),
          BlockDeviceMappings: spec.volumes.map((v) => ({
            DeviceName: v.device,
            Ebs: {
              VolumeSize: v.sizeGiB,
              VolumeType: v.volumeType as never,
              DeleteOnTermination: true,
              // Volumes of an encrypted image stay encrypted; `false` would be refused for them, so it is left out.
              ...(v.encrypted ? { Encrypted: true } : {}),
              ...(v.iops !== undefined ? { Iops: v.iops } : {}),
              ...(v.throughput !== undefined ? { Throughput: v.throughput } : {}),
            },
          })),
          TagSpecifications: tagSpecifications(['instance', 'volume'], spec.tags),
        }),
      ),
    );
    const instanceId = output.Instances?.[0]?.InstanceId;
    if (!instanceId) throw new ComputeError(`RunInstances (client token ${spec.clientToken}) returned no instance`);
    return { instanceId };
  }

  async describeInstances(region: string, instanceIds: readonly string[]): Promise<readonly ComputeInstance[]> {
    if (instanceIds.length === 0) return [];
    const { paginateDescribeInstances, paginateDescribeVolumes } = await sdk();
    const client = await this.client(region);
    const raw = await this.consistent('DescribeInstances', 'InvalidInstanceID.NotFound', () =>
      collect(paginateDescribeInstances({ client }, { InstanceIds: [...instanceIds] }), (page) => (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])),
    );
    const volumeIds = raw.flatMap((i) => (i.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : [])));
    // Volumes of an instance just launched may not be describable yet either.
    const volumes = volumeIds.length === 0 ? [] : await this.consistent('DescribeVolumes', 'InvalidVolume.NotFound', () => collect(paginateDescribeVolumes({ client }, { VolumeIds: volumeIds }), (page) => page.Volumes ?? []));
    const byVolumeId = new Map(volumes.map((v) => [v.VolumeId, v]));
    return raw.map((i) => instanceOf(i, byVolumeId));
  }

  async hostKeyOf(region: string, instanceId: string): Promise<string | undefined> {
    const { GetConsoleOutputCommand } = await sdk();
    const client = await this.client(region);
    let output: string | undefined;
    try {
      output = (await client.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true }))).Output;
    } catch (error) {
      // Not visible yet right after RunInstances: not published yet.
      if (codeOf(error) === 'InvalidInstanceID.NotFound') return undefined;
      throw mapError('GetConsoleOutput', error);
    }
    if (!output) return undefined;
    return hostKeyFromConsoleOutput(Buffer.from(output, 'base64').toString('utf8'));
  }

  async findCloned(region: string, cloneId: string): Promise<{ readonly instanceIds: readonly string[]; readonly imageIds: readonly string[]; readonly securityGroupIds: readonly string[] }> {
    const { paginateDescribeImages, paginateDescribeInstances, paginateDescribeSecurityGroups } = await sdk();
    const client = await this.client(region);
    const tag: Filter = { Name: `tag:${CLONE_TAG}`, Values: [cloneId] };
    const [instances, images, groups] = await Promise.all([
      call('DescribeInstances', () =>
        collect(
          paginateDescribeInstances({ client }, { Filters: [tag, { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] }] }),
          (page) => (page.Reservations ?? []).flatMap((r) => r.Instances ?? []),
        ),
      ),
      call('DescribeImages', () => collect(paginateDescribeImages({ client }, { Owners: ['self'], Filters: [tag] }), (page) => page.Images ?? [])),
      call('DescribeSecurityGroups', () => collect(paginateDescribeSecurityGroups({ client }, { Filters: [tag] }), (page) => page.SecurityGroups ?? [])),
    ]);
    return {
      instanceIds: instances.flatMap((i) => (i.InstanceId ? [i.InstanceId] : [])),
      imageIds: images.flatMap((i) => (i.ImageId ? [i.ImageId] : [])),
      securityGroupIds: groups.flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
    };
  }

  async terminateInstances(region: string, instanceIds: readonly string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    const { TerminateInstancesCommand } = await sdk();
    const client = await this.client(region);
    try {
      await client.send(new TerminateInstancesCommand({ InstanceIds: [...instanceIds] }));
    } catch (error) {
      if (codeOf(error) !== 'InvalidInstanceID.NotFound') throw mapError('TerminateInstances', error);
      // One id is gone: the call terminated none, so each of the others on its own.
      for (const id of instanceIds) {
        try {
          await client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
        } catch (single) {
          if (codeOf(single) !== 'InvalidInstanceID.NotFound') throw mapError('TerminateInstances', single);
        }
      }
    }
  }

  async deregisterImage(region: string, imageId: string): Promise<void> {
    const { DeleteSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand, paginateDescribeSnapshots } = await sdk();
    const client = await this.client(region);
    let image: Image | undefined;
    try {
      image = (await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    } catch (error) {
      if (!IMAGE_NOT_FOUND.has(codeOf(error))) throw mapError('DescribeImages', error);
    }
    // A retry after the image went finds its snapshots by the description EC2 gives them (`… for ami-… `).
    const described = await call('DescribeSnapshots', () =>
      collect(paginateDescribeSnapshots({ client }, { OwnerIds: ['self'], Filters: [{ Name: 'description', Values: [`*${imageId}*`] }] }), (page) => page.Snapshots ?? []),
    );
    const snapshotIds = new Set([
      ...(image?.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [])),
      ...described.flatMap((s) => (s.SnapshotId ? [s.SnapshotId] : [])),
    ]);
    if (image) {
      try {
        await client.send(new DeregisterImageCommand({ ImageId: imageId }));
      } catch (error) {
        if (!IMAGE_NOT_FOUND.has(codeOf(error))) throw mapError('DeregisterImage', error);
      }
    }
    // After the image: a snapshot in use by a registered image cannot be deleted.
    for (const snapshotId of snapshotIds) {
      try {
        await client.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      } catch (error) {
        if (codeOf(error) !== 'InvalidSnapshot.NotFound') throw mapError('DeleteSnapshot', error);
      }
    }
  }

  /** The id of this account's image called `name` (not failed or deregistered), if any. */
  private async imageNamed(client: EC2Client, name: string): Promise<string | undefined> {
    const { paginateDescribeImages } = await sdk();
    const images = await call('DescribeImages', () => collect(paginateDescribeImages({ client }, { Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }), (page) => page.Images ?? []));
    return images.find((i) => i.State === 'available' || i.State === 'pending')?.ImageId;
  }

  /** Run a read of ids EC2 just returned, absorbing its "not found yet" for a bounded time. */
  private async consistent<T>(operation: string, notFoundCode: string, read: () => Promise<T>): Promise<T> {
    let delay = this.consistency.delayMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await read();
      } catch (error) {
        if (codeOf(error) !== notFoundCode || attempt >= this.consistency.attempts) throw mapError(operation, error);
        await this.sleep(delay);
        delay *= 2;
      }
    }
  }
}

/** Every item of every page, bounded. */
async function collect<P, T>(pages: AsyncIterable<P>, items: (page: P) => readonly T[]): Promise<T[]> {
  const all: T[] = [];
  let count = 0;
  for await (const page of pages) {
    all.push(...items(page));
    count += 1;
    if (count > MAX_PAGES) throw new ComputeError(`more than ${MAX_PAGES} pages: narrow the stack's tags`);
  }
  return all;
}

async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw mapError(operation, error);
  }
}

async function authorize(operation: string, rule: SecurityGroupRule, send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (codeOf(error) === 'InvalidPermission.Duplicate') return;
    throw mapError(`${operation} (${rule.protocol} ${rule.fromPort ?? '*'}-${rule.toPort ?? '*'})`, error);
  }
}

const IMAGE_NOT_FOUND = new Set(['InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable']);

const THROTTLING = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'RequestThrottled', 'RequestThrottledException', 'TooManyRequestsException', 'SlowDown']);
const SERVER_SIDE = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'RequestTimeout', 'RequestTimeoutException', 'InsufficientInstanceCapacity']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError', 'AbortError']);

/** What to do about a refused call, by its error code. */
const FIXES: Readonly<Record<string, string>> = {
  UnauthorizedOperation: "grant this EC2 action to the step's IAM role (scoped to resources tagged twinstack:clone)",
  AuthFailure: "check the step's AWS credentials",
  OptInRequired: 'enable the region for this account',
  InstanceLimitExceeded: 'raise the EC2 instance quota of the region or free instances',
  VcpuLimitExceeded: 'raise the EC2 vCPU quota of the region',
  IdempotentParameterMismatch: 'the client token was used with other parameters: start a new clone id',
  'InvalidKeyPair.NotFound': "create the key pair in the target region or drop keyName",
  'InvalidSubnetID.NotFound': 'map the source subnet to a subnet of the target region',
  'InvalidGroup.NotFound': 'create the security group in the target VPC first (ensureSecurityGroup)',
  'InvalidAMIID.NotFound': 'wait until the image is available in this region',
  'KMS.NotFoundException': 'give a KMS key id that exists in the target region',
};

function codeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const e = error as { name?: unknown; code?: unknown; Code?: unknown };
  for (const value of [e.Code, e.code, e.name]) if (typeof value === 'string' && value !== 'Error') return value;
  return '';
}

/** The catalog error of a failed EC2 call: transient for throttling, 5xx and transport faults. */
export function mapError(operation: string, error: unknown): Error {
  if (error instanceof ComputeError || error instanceof ComputeUnavailableError || error instanceof InvalidInputError) return error;
  const code = codeOf(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const detail = error instanceof Error ? error.message : String(error);
  if (THROTTLING.has(code)) return new ComputeUnavailableError(`EC2 ${operation} throttled (${code}): retry later`, { cause: error });
  // `$retryable`: the SDK's own mark on errors it would retry (throttling, transient service faults).
  const retryable = typeof error === 'object' && error !== null && '$retryable' in error && Boolean((error as { $retryable?: unknown }).$retryable);
  if (SERVER_SIDE.has(code) || (status !== undefined && status >= 500) || NETWORK.has(code) || retryable) {
    return new ComputeUnavailableError(`EC2 ${operation} failed on the way or on AWS's side (${code || status || detail}): retry`, { cause: error });
  }
  const fix = FIXES[code] ?? 'fix the input or the account as the message says';
  return new ComputeError(`EC2 ${operation} refused (${code || 'error'}: ${detail}): ${fix}`, { cause: error });
}

function tagSpecifications(types: readonly string[], tags: Readonly<Record<string, string>>): TagSpecification[] {
  const list: Tag[] = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  return types.map((ResourceType) => ({ ResourceType: ResourceType as never, Tags: list }));
}

function tagsOf(tags: readonly Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).flatMap((t) => (t.Key !== undefined ? [[t.Key, t.Value ?? '']] : [])));
}

const INSTANCE_STATES: readonly InstanceState[] = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'];

function instanceOf(instance: Instance, volumes: ReadonlyMap<string | undefined, Volume>): ComputeInstance {
  const tags = tagsOf(instance.Tags);
  const id = instance.InstanceId ?? '';
  const hostName = tags[HOST_TAG];
  if (!hostName) throw new ComputeError(`instance ${id} has no ${HOST_TAG} tag: tag it with the stack's host name (as in twinstack.yaml)`);
  const state = INSTANCE_STATES.find((s) => s === instance.State?.Name) ?? 'pending';
  const mapped: ComputeVolume[] = (instance.BlockDeviceMappings ?? []).flatMap((m) => {
    const volume = volumes.get(m.Ebs?.VolumeId);
    if (!m.DeviceName || !volume) return [];
    return [
      {
        device: m.DeviceName,
        sizeGiB: volume.Size ?? 0,
        volumeType: volume.VolumeType ?? 'gp3',
        encrypted: volume.Encrypted ?? false,
        ...(volume.Iops !== undefined && (volume.VolumeType === 'io1' || volume.VolumeType === 'io2' || volume.VolumeType === 'gp3') ? { iops: volume.Iops } : {}),
        ...(volume.Throughput !== undefined ? { throughput: volume.Throughput } : {}),
      },
    ];
  });
  return {
    id,
    hostName,
    state,
    imageId: instance.ImageId ?? '',
    instanceType: instance.InstanceType ?? '',
    subnetId: instance.SubnetId ?? '',
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    vpcId: instance.VpcId ?? '',
    securityGroupIds: (instance.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
    ...(instance.IamInstanceProfile?.Arn ? { instanceProfileArn: instance.IamInstanceProfile.Arn } : {}),
    ...(instance.KeyName ? { keyName: instance.KeyName } : {}),
    volumes: mapped,
    tags,
    ...(instance.PrivateIpAddress ? { privateAddress: instance.PrivateIpAddress } : {}),
    ...(instance.PublicIpAddress ? { publicAddress: instance.PublicIpAddress } : {}),
  };
}

function ruleOf(permission: IpPermission): SecurityGroupRule {
  const description = [...(permission.IpRanges ?? []), ...(permission.Ipv6Ranges ?? []), ...(permission.UserIdGroupPairs ?? [])].find((r) => r.Description)?.Description;
  return {
    protocol: permission.IpProtocol ?? '-1',
    ...(permission.FromPort !== undefined ? { fromPort: permission.FromPort } : {}),
    ...(permission.ToPort !== undefined ? { toPort: permission.ToPort } : {}),
    cidrs: (permission.IpRanges ?? []).flatMap((r) => (r.CidrIp ? [r.CidrIp] : [])),
    ipv6Cidrs: (permission.Ipv6Ranges ?? []).flatMap((r) => (r.CidrIpv6 ? [r.CidrIpv6] : [])),
    groupIds: (permission.UserIdGroupPairs ?? []).flatMap((p) => (p.GroupId ? [p.GroupId] : [])),
    ...(description ? { description } : {}),
  };
}

function permissionOf(rule: SecurityGroupRule): IpPermission {
  const described = rule.description === undefined ? {} : { Description: rule.description };
  return {
    IpProtocol: rule.protocol,
    ...(rule.fromPort !== undefined ? { FromPort: rule.fromPort } : {}),
    ...(rule.toPort !== undefined ? { ToPort: rule.toPort } : {}),
    ...(rule.cidrs.length > 0 ? { IpRanges: rule.cidrs.map((CidrIp) => ({ CidrIp, ...described })) } : {}),
    ...(rule.ipv6Cidrs.length > 0 ? { Ipv6Ranges: rule.ipv6Cidrs.map((CidrIpv6) => ({ CidrIpv6, ...described })) } : {}),
    ...(rule.groupIds.length > 0 ? { UserIdGroupPairs: rule.groupIds.map((GroupId) => ({ GroupId, ...described })) } : {}),
  };
}

function isDefaultEgress(rule: SecurityGroupRule): boolean {
  return rule.protocol === '-1' && rule.cidrs.includes('0.0.0.0/0');
}

function securityGroupOf(group: SecurityGroup): SecurityGroupSpec {
  return {
    id: group.GroupId ?? '',
    name: group.GroupName ?? '',
    description: group.Description ?? '',
    vpcId: group.VpcId ?? '',
    ingress: (group.IpPermissions ?? []).map(ruleOf),
    egress: (group.IpPermissionsEgress ?? []).map(ruleOf),
    tags: tagsOf(group.Tags),
  };
}

/** Key types by preference: the one a pinned fingerprint is taken from. */
const KEY_TYPES = [
  { line: 'ssh-ed25519', label: 'ED25519' },
  { line: 'ecdsa-sha2-nistp256', label: 'ECDSA' },
  { line: 'ecdsa-sha2-nistp384', label: 'ECDSA' },
  { line: 'ecdsa-sha2-nistp521', label: 'ECDSA' },
  { line: 'ssh-rsa', label: 'RSA' },
] as const;

/** The lines of the last `-----BEGIN <what>-----` … `-----END <what>-----` block (the latest boot), if any. */
function lastBlock(lines: readonly string[], what: string): string[] | undefined {
  const begin = lines.findLastIndex((l) => l.includes(`-----BEGIN ${what}-----`));
  if (begin < 0) return undefined;
  const end = lines.findIndex((l, i) => i > begin && l.includes(`-----END ${what}-----`));
  return end < 0 ? undefined : lines.slice(begin + 1, end);
}

/**
 * The host key fingerprint cloud-init printed to the console (decoded): from the
 * `SSH HOST KEY KEYS` block (the public keys; fingerprint computed here, as OpenSSH does),
 * else the `SSH HOST KEY FINGERPRINTS` block; ed25519 preferred. Undefined while neither
 * block is complete. Lines may carry a console prefix (`ec2: `) and CRs.
 */
export function hostKeyFromConsoleOutput(console: string): string | undefined {
  const lines = console.split(/\r?\n/).map((l) => l.replace(/\r$/, ''));
  const keys = lastBlock(lines, 'SSH HOST KEY KEYS') ?? [];
  const printed = lastBlock(lines, 'SSH HOST KEY FINGERPRINTS') ?? [];
  for (const type of KEY_TYPES) {
    const keyLine = keys.map((l) => l.slice(l.indexOf(`${type.line} `))).find((l) => l.startsWith(`${type.line} `));
    const fingerprintLine = printed.find((l) => l.includes(`(${type.label})`) && /SHA256:[A-Za-z0-9+/]{43}/.test(l));
    const printedFingerprint = fingerprintLine?.match(/SHA256:[A-Za-z0-9+/]{43}/)?.[0];
    if (keyLine) {
      const computed = fingerprintOfOpenSshPublicKey(keyLine);
      // Both blocks come from the same boot: disagreeing ones mean a garbled (or forged) console.
      if (printedFingerprint && printedFingerprint !== computed) {
        throw new ComputeError(`the console's ${type.label} host key (${computed}) and its printed fingerprint (${printedFingerprint}) differ: do not pin; inspect the instance`);
      }
      return computed;
    }
    if (printedFingerprint) return printedFingerprint;
  }
  return undefined;
}
