/**
 * An in-memory Compute (functions/core/compute.ts) that keeps the port's invariants the way a
 * provider does: creates are idempotent by name / client token, everything carries the tags
 * it was given, a copied image is `missing` then `pending` before `available`, an instance is
 * `pending` before `running` and publishes its host key a little later. Every call is
 * recorded, and any method can be made to fail, so tests assert what was (not) done.
 */
import {
  CLONE_TAG,
  type Compute,
  type ComputeInstance,
  type ImageState,
  type LaunchSpec,
  type SecurityGroupSpec,
  type StackDescription,
  STACK_TAG,
} from '../../../../functions/core/compute.ts';
import { ComputeError } from '../../../../functions/core/errors.ts';
import type { GroupAwaitingTwin } from '../../../../functions/core/model.ts';
import { parameterNames } from '../../../../functions/core/parameter-names.ts';
import type { StepDeps } from '../../../../functions/handlers/deps/step-deps.ts';
import { createDeployHarness, REV_A, type DeployHarness } from './fake-deploy-hosts.ts';
import { MemoryParameterStore } from './memory-parameter-store.ts';

interface FakeImage { id: string; region: string; name: string; tags: Record<string, string>; polls: number; state: ImageState; token?: string; source?: string }
type FakeInstance = Omit<ComputeInstance, 'state'> & { state: ComputeInstance['state']; describes: number; keyReads: number; token?: string };
interface FakeGroup extends SecurityGroupSpec { region: string }

export type ComputeMethod = keyof Compute;

/** Methods that create or destroy something (the rest only read). */
export const MUTATING: readonly ComputeMethod[] = ['createImage', 'copyImage', 'ensureSecurityGroup', 'runInstance', 'terminateInstances', 'deregisterImage'];

export class FakeCompute implements Compute {
  readonly calls: { method: ComputeMethod; args: unknown[] }[] = [];
  readonly images = new Map<string, FakeImage>();
  readonly instances = new Map<string, FakeInstance>();
  readonly groups = new Map<string, FakeGroup>();
  /** A method in here fails with its error (`times` times, then works again). */
  readonly failures = new Map<ComputeMethod, { error: Error; times: number }>();
  /** Polls a copied image answers `missing`, then `pending`, before `available`. */
  imageMissingPolls = 1;
  imagePendingPolls = 1;
  /** Describes an instance answers `pending` before `running`; host-key reads before it is published. */
  instancePendingDescribes = 1;
  hostKeyDelayReads = 1;
  /** A copied image ends `failed` instead of `available`. */
  failCopies = false;
  /** Address of the n-th launched instance. */
  addressOf: (n: number) => string = (n) => `127.0.9.${n}`;
  private seq = 0;

  constructor(source: { region: string; instances: ComputeInstance[]; securityGroups: SecurityGroupSpec[] }) {
    for (const i of source.instances) this.instances.set(i.id, { ...i, describes: 0, keyReads: 0 });
    for (const g of source.securityGroups) this.groups.set(g.id, { ...g, region: source.region });
    this.sourceRegion = source.region;
  }
  private readonly sourceRegion: string;

  /** Calls to a method, or every mutating call. */
  callsOf(method?: ComputeMethod): { method: ComputeMethod; args: unknown[] }[] {
    return this.calls.filter((c) => (method ? c.method === method : MUTATING.includes(c.method)));
  }

  /** The instance of host key fingerprints `SHA256:` + 43 base64 characters. */
  static hostKeyOf(instanceId: string): string {
    return `SHA256:${Buffer.from(instanceId.padEnd(32, '.')).toString('base64').replace(/=+$/, '').padEnd(43, 'A').slice(0, 43)}`;
  }

  private record(method: ComputeMethod, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure && failure.times > 0) {
      failure.times -= 1;
      return Promise.reject(failure.error);
    }
    return Promise.resolve();
  }

  private id(prefix: string): string {
    this.seq += 1;
    return `${prefix}-${this.seq.toString(16).padStart(8, '0')}`;
  }

  async describeStack(region: string, stack: string): Promise<StackDescription> {
    await this.record('describeStack', [region, stack]);
    const instances = [...this.instances.values()].filter((i) => i.tags[STACK_TAG] === stack && i.tags[CLONE_TAG] === undefined && i.state !== 'terminated');
    const used = new Set(instances.flatMap((i) => i.securityGroupIds));
    const securityGroups = [...this.groups.values()].filter((g) => used.has(g.id)).map(({ region: _r, ...g }) => g);
    return { region, stack, instances: instances.map(({ describes: _d, keyReads: _k, token: _t, ...i }) => i), securityGroups };
  }

  async createImage(region: string, instanceId: string, options: { name: string; noReboot: boolean; tags: Readonly<Record<string, string>> }): Promise<{ imageId: string }> {
    await this.record('createImage', [region, instanceId, options]);
    const existing = [...this.images.values()].find((i) => i.region === region && i.name === options.name);
    if (existing) return { imageId: existing.id };
    const image: FakeImage = { id: this.id('ami'), region, name: options.name, tags: { ...options.tags }, polls: 0, state: 'available', source: instanceId };
    this.images.set(image.id, image);
    return { imageId: image.id };
  }

  async copyImage(sourceRegion: string, imageId: string, targetRegion: string, options: { name: string; kmsKeyId: string; clientToken: string; tags: Readonly<Record<string, string>> }): Promise<{ imageId: string }> {
    await this.record('copyImage', [sourceRegion, imageId, targetRegion, options]);
    const existing = [...this.images.values()].find((i) => i.region === targetRegion && i.token === options.clientToken);
    if (existing) return { imageId: existing.id };
    if (!this.images.has(imageId)) throw new ComputeError(`no image ${imageId} in ${sourceRegion}`);
    const image: FakeImage = { id: this.id('ami'), region: targetRegion, name: options.name, tags: { ...options.tags }, polls: 0, state: 'pending', token: options.clientToken, source: imageId };
    this.images.set(image.id, image);
    return { imageId: image.id };
  }

  async imageState(region: string, imageId: string): Promise<ImageState> {
    await this.record('imageState', [region, imageId]);
    const image = this.images.get(imageId);
    if (!image || image.region !== region) return 'missing';
    if (image.token === undefined) return image.state;
    image.polls += 1;
    if (image.polls <= this.imageMissingPolls) return 'missing';
    if (image.polls <= this.imageMissingPolls + this.imagePendingPolls) return 'pending';
    return this.failCopies ? 'failed' : 'available';
  }

  async ensureSecurityGroup(region: string, vpcId: string, spec: Omit<SecurityGroupSpec, 'id' | 'vpcId'>): Promise<{ groupId: string; created: boolean }> {
    await this.record('ensureSecurityGroup', [region, vpcId, spec]);
    const found = [...this.groups.values()].find((g) => g.region === region && g.vpcId === vpcId && g.name === spec.name && g.tags[CLONE_TAG] === spec.tags[CLONE_TAG]);
    if (found) {
      // Rules are authorized one by one: one already there is no error, none is revoked.
      const merge = (have: SecurityGroupSpec['ingress'], add: SecurityGroupSpec['ingress']) => [...have, ...add.filter((r) => !have.some((h) => JSON.stringify(h) === JSON.stringify(r)))];
      Object.assign(found, { ingress: merge(found.ingress, spec.ingress), egress: merge(found.egress, spec.egress) });
      return { groupId: found.id, created: false };
    }
    const group: FakeGroup = { ...spec, id: this.id('sg'), vpcId, region, ingress: [...spec.ingress], egress: [...spec.egress], tags: { ...spec.tags } };
    this.groups.set(group.id, group);
    return { groupId: group.id, created: true };
  }

  async runInstance(region: string, spec: LaunchSpec): Promise<{ instanceId: string }> {
    await this.record('runInstance', [region, spec]);
    const existing = [...this.instances.values()].find((i) => i.token === spec.clientToken);
    if (existing) return { instanceId: existing.id };
    const image = this.images.get(spec.imageId);
    if (!image || image.region !== region) throw new ComputeError(`RunInstances: no image ${spec.imageId} in ${region}`);
    const n = [...this.instances.values()].filter((i) => i.token !== undefined).length + 1;
    const instance: FakeInstance = {
      id: this.id('i'),
      hostName: spec.tags['twinstack:host'] ?? '',
      state: 'pending',
      imageId: spec.imageId,
      instanceType: spec.instanceType,
      subnetId: spec.subnetId,
      availabilityZone: `${region}a`,
      vpcId: 'vpc-target',
      securityGroupIds: [...spec.securityGroupIds],
      ...(spec.instanceProfileArn ? { instanceProfileArn: spec.instanceProfileArn } : {}),
      ...(spec.keyName ? { keyName: spec.keyName } : {}),
      volumes: spec.volumes,
      tags: { ...spec.tags },
      privateAddress: this.addressOf(n),
      describes: 0,
      keyReads: 0,
      token: spec.clientToken,
    };
    this.instances.set(instance.id, instance);
    return { instanceId: instance.id };
  }

  async describeInstances(region: string, instanceIds: readonly string[]): Promise<readonly ComputeInstance[]> {
    await this.record('describeInstances', [region, instanceIds]);
    return instanceIds.flatMap((id) => {
      const i = this.instances.get(id);
      if (!i) return [];
      i.describes += 1;
      if (i.state === 'pending' && i.describes > this.instancePendingDescribes) i.state = 'running';
      const { describes: _d, keyReads: _k, token: _t, ...rest } = i;
      return [rest];
    });
  }

  async hostKeyOf(region: string, instanceId: string): Promise<string | undefined> {
    await this.record('hostKeyOf', [region, instanceId]);
    const i = this.instances.get(instanceId);
    if (!i) return undefined;
    i.keyReads += 1;
    return i.keyReads > this.hostKeyDelayReads ? FakeCompute.hostKeyOf(instanceId) : undefined;
  }

  async findCloned(region: string, cloneId: string): Promise<{ instanceIds: string[]; imageIds: string[]; securityGroupIds: string[] }> {
    await this.record('findCloned', [region, cloneId]);
    const mine = (tags: Readonly<Record<string, string>>) => tags[CLONE_TAG] === cloneId;
    const sourceRegionImages = (i: FakeImage) => (i.token === undefined ? this.sourceRegion : i.region) === region;
    return {
      instanceIds: [...this.instances.values()].filter((i) => mine(i.tags) && i.state !== 'terminated').map((i) => i.id),
      imageIds: [...this.images.values()].filter((i) => mine(i.tags) && sourceRegionImages(i)).map((i) => i.id),
      securityGroupIds: [...this.groups.values()].filter((g) => mine(g.tags) && g.region === region).map((g) => g.id),
    };
  }

  async terminateInstances(region: string, instanceIds: readonly string[]): Promise<void> {
    await this.record('terminateInstances', [region, instanceIds]);
    for (const id of instanceIds) {
      const i = this.instances.get(id);
      if (i) i.state = 'terminated';
    }
  }

  async deregisterImage(region: string, imageId: string): Promise<void> {
    await this.record('deregisterImage', [region, imageId]);
    this.images.delete(imageId);
  }

  /** Instances the clone launched that are not terminated. */
  liveClones(): FakeInstance[] {
    return [...this.instances.values()].filter((i) => i.token !== undefined && i.state !== 'terminated');
  }
}

/** A source stack of the sample group (fake-world's `shop-eu`: hosts `db` and `app`) in eu-west-1, two security groups, one referencing the other. */
export function sampleSource(): { region: string; instances: ComputeInstance[]; securityGroups: SecurityGroupSpec[] } {
  const instance = (id: string, hostName: string, subnetId: string, groups: string[]): ComputeInstance => ({
    id,
    hostName,
    state: 'running',
    imageId: 'ami-source',
    instanceType: 't3.small',
    subnetId,
    availabilityZone: 'eu-west-1a',
    vpcId: 'vpc-source',
    securityGroupIds: groups,
    instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/shop',
    keyName: 'shop',
    volumes: [{ device: '/dev/xvda', sizeGiB: 20, volumeType: 'gp3', encrypted: true }],
    tags: { [STACK_TAG]: 'shop-eu', 'twinstack:host': hostName, Name: `shop-${hostName}`, 'aws:cloudformation:stack-name': 'x' },
    privateAddress: hostName === 'db' ? '127.0.1.1' : '127.0.1.2',
  });
  const rule = (port: number, cidrs: string[], groupIds: string[] = []) => ({ protocol: 'tcp', fromPort: port, toPort: port, cidrs, ipv6Cidrs: [], groupIds });
  return {
    region: 'eu-west-1',
    instances: [instance('i-db', 'db', 'subnet-a', ['sg-web', 'sg-db']), instance('i-app', 'app', 'subnet-b', ['sg-web'])],
    securityGroups: [
      { id: 'sg-web', name: 'web', description: 'web', vpcId: 'vpc-source', ingress: [rule(443, ['0.0.0.0/0']), rule(22, ['10.0.0.0/8'])], egress: [], tags: {} },
      { id: 'sg-db', name: 'db', description: 'db', vpcId: 'vpc-source', ingress: [rule(5432, [], ['sg-web']), rule(5432, ['10.1.0.0/16'], ['sg-db'])], egress: [], tags: {} },
    ],
  };
}

export const CLONE_INPUT = {
  group: 'shop',
  targetRegion: 'eu-central-1',
  options: { kmsKeyId: 'alias/twinstack', vpcId: 'vpc-target', subnets: { 'subnet-a': 'subnet-x', 'subnet-b': 'subnet-y' } },
} as const;

export interface CloneHarness extends DeployHarness {
  readonly compute: FakeCompute;
  /** The ParameterStore of each region (`paramsIn`); the control region's is `params`. */
  readonly regions: Map<string, MemoryParameterStore>;
  readonly awaiting: GroupAwaitingTwin;
}

/**
 * fake-deploy-hosts' harness, its group stored without a twin (awaiting its clone), the
 * primary recorded as running REV_A, the source stack's parameters in eu-west-1, and a
 * FakeCompute describing the primary's machines.
 */
export async function createCloneHarness(): Promise<CloneHarness> {
  const base = await createDeployHarness();
  const { twin: _twin, ...awaiting } = base.group;
  await base.params.put(parameterNames.config(awaiting.name), JSON.stringify(awaiting));
  await base.params.put(parameterNames.deployState(awaiting.name), JSON.stringify({ stacks: { 'shop-eu': { deployed: REV_A, status: 'deployed' } } }));
  const regions = new Map<string, MemoryParameterStore>([['eu-central-1', base.params]]);
  const paramsIn = (region: string) => {
    let store = regions.get(region);
    if (!store) regions.set(region, (store = new MemoryParameterStore()));
    return store;
  };
  const source = paramsIn('eu-west-1');
  await source.put(parameterNames.env('shop', 'shop-eu', 'AWS_REGION'), 'eu-west-1', { secret: true });
  await source.put(parameterNames.env('shop', 'shop-eu', 'ASSETS_URL'), 'https://s3.eu-west-1.amazonaws.com/shop-assets', { secret: true });
  await source.put(parameterNames.env('shop', 'shop-eu', 'API_TOKEN'), 'tok-S3cret-1', { secret: true });
  const compute = new FakeCompute(sampleSource());
  const deps: StepDeps = { ...base.deps, compute, paramsIn };
  return { ...base, deps, compute, regions, awaiting };
}
