/**
 * planClone: from a clone-stack request, the stored group and a description of the source
 * stack's machines, either the whole plan of the clone (every name and client token it will
 * use) or a refusal with reasons, each naming the field and the fix. Pure: the workflow
 * refuses here, BEFORE anything is created.
 *
 * Invariants of a plan:
 * - the clone id is a function of (group, source stack, target region) only, and every
 *   image name and client token is derived from it and the host name (`cloneNames`): a
 *   re-run after a failure asks for the same names and tokens, so the provider returns what
 *   the first attempt made instead of a second copy (resume, never twice);
 * - every instance of the source maps to exactly one configured host (tag `twinstack:host`),
 *   every configured host has exactly one instance, every subnet has a target mapping, and
 *   every security-group rule that references a group references one the clone also makes.
 */
import { createHash } from 'node:crypto';
import { CLONE_TAG, HOST_TAG, STACK_TAG, cloneTags, type ComputeVolume, type SecurityGroupRule, type StackDescription } from '../compute.ts';
import { IDENTIFIER, REGION } from '../config/config-patterns.ts';
import type { GroupAwaitingTwin } from '../model.ts';

/** A KMS key id, alias or ARN; a VPC or subnet id (AWS's, or the local lab's): no shell or JSON syntax. */
const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$/;

/**
 * A region of the local lab: `local` or a label such as `local-twin` (the lab's Compute keeps
 * images and hosts per label, so a clone's target label differs from its source's). In the
 * config every lab stack is in region `local`: `configRegionOf`.
 */
const LOCAL_LABEL = /^local(-[a-z0-9]+)*$/;

/** The region a stack in `region` has in twinstack.yaml (a lab label is `local`). */
export function configRegionOf(region: string): string {
  return LOCAL_LABEL.test(region) ? 'local' : region;
}

/** The options of a clone-stack request (README: Workflow inputs). */
export interface CloneOptions {
  /** @default `<source stack>-<target region>` */
  readonly twinName: string;
  /** Image the source hosts without rebooting them (file systems are not quiesced). @default true */
  readonly noReboot: boolean;
  /** The target region's KMS key (id, alias or ARN) the copied images are encrypted with. */
  readonly kmsKeyId: string;
  /** Source subnet id → target subnet id, for every subnet a source host runs in. */
  readonly subnets: Readonly<Record<string, string>>;
  /** The target VPC: the clone's security groups are made there. */
  readonly vpcId: string;
  /** On failure keep what the clone made (for inspection) instead of removing it. @default false */
  readonly keepOnFailure: boolean;
}

export interface CloneRequest {
  readonly group: string;
  readonly sourceStack: string;
  readonly targetRegion: string;
  readonly options: CloneOptions;
}

/** One host of the clone: its source instance and everything its copy is launched with. */
export interface HostClonePlan {
  readonly hostName: string;
  readonly sourceInstanceId: string;
  readonly instanceType: string;
  /** In the target region (mapped). */
  readonly subnetId: string;
  /** The source's group ids; EnsureSecurityGroups translates them. */
  readonly sourceSecurityGroupIds: readonly string[];
  readonly instanceProfileArn?: string;
  readonly keyName?: string;
  readonly volumes: readonly ComputeVolume[];
  /** The source's tags (but `aws:*` and twinstack's own), plus the clone's. */
  readonly tags: Readonly<Record<string, string>>;
  readonly imageName: string;
  readonly copyClientToken: string;
  readonly launchClientToken: string;
}

export interface SecurityGroupClonePlan {
  readonly sourceId: string;
  /** The name the clone's group gets in the target VPC. */
  readonly name: string;
  readonly description: string;
  /** Rules as in the source: group references still name source ids. */
  readonly ingress: readonly SecurityGroupRule[];
  readonly egress: readonly SecurityGroupRule[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface ClonePlan {
  readonly cloneId: string;
  readonly group: string;
  readonly sourceStack: string;
  readonly sourceRegion: string;
  readonly targetRegion: string;
  readonly twinName: string;
  readonly kmsKeyId: string;
  readonly vpcId: string;
  readonly noReboot: boolean;
  readonly keepOnFailure: boolean;
  readonly hosts: readonly HostClonePlan[];
  readonly securityGroups: readonly SecurityGroupClonePlan[];
}

export type CloneDecision =
  | { readonly action: 'clone'; readonly plan: ClonePlan; readonly reasons: readonly string[] }
  | { readonly action: 'refuse'; readonly reasons: readonly string[]; readonly cause: string };

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** The clone's id: the same for the same group, source stack and target region, whoever asks. */
export function cloneIdOf(group: string, sourceStack: string, targetRegion: string): string {
  return `tc-${hash(`${group}\0${sourceStack}\0${targetRegion}`, 16)}`;
}

/** The one definition of every name and client token one host's clone uses (≤ 64 characters, EC2's token limit). */
export function cloneNames(cloneId: string, hostName: string): { readonly imageName: string; readonly copyClientToken: string; readonly launchClientToken: string } {
  const h = hash(hostName, 12);
  return { imageName: `twinstack-${cloneId}-${hostName}`, copyClientToken: `${cloneId}-copy-${h}`, launchClientToken: `${cloneId}-run-${h}` };
}

/** The name of the clone's copy of a security group (EC2 allows 255 characters). */
export function securityGroupNameOf(twinName: string, sourceName: string): string {
  return `${twinName}-${sourceName}`.slice(0, 255);
}

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The request, validated: every problem at once, each naming the field and the fix. */
export function parseCloneRequest(raw: unknown, group: GroupAwaitingTwin): { readonly request?: CloneRequest; readonly reasons: readonly string[] } {
  const reasons: string[] = [];
  const input = isObject(raw) ? raw : {};
  const options = isObject(input['options']) ? input['options'] : undefined;
  if (!options) reasons.push('options is missing: give {kmsKeyId, vpcId, subnets: {<source subnet>: <target subnet>}} (README: Workflow inputs)');
  const o = options ?? {};
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);

  const sourceStack = text(input['sourceStack']) ?? group.primary.name;
  if (sourceStack !== group.primary.name) reasons.push(`sourceStack "${sourceStack}" is not the primary of ${group.name}: only the primary (${group.primary.name}) is cloned into its twin; omit sourceStack`);
  const targetRegion = text(input['targetRegion']);
  if (targetRegion === undefined || !(REGION.test(targetRegion) || LOCAL_LABEL.test(targetRegion))) {
    reasons.push(`targetRegion ${JSON.stringify(input['targetRegion'] ?? null)} is not a region: give the twin's region, e.g. eu-central-1 (in the lab a label such as local-twin)`);
  } else if (targetRegion === group.primary.region) {
    reasons.push(`targetRegion ${targetRegion} is the source stack's own region: a twin in the same region fails with it; choose another region${LOCAL_LABEL.test(targetRegion) ? ' (in the lab: another label, e.g. local-twin)' : ''}`);
  }

  const kmsKeyId = text(o['kmsKeyId']);
  if (options && (kmsKeyId === undefined || !PROVIDER_ID.test(kmsKeyId))) reasons.push(`options.kmsKeyId is missing or malformed: give the KMS key in ${targetRegion ?? 'the target region'} the copied images are encrypted with (key id, alias/… or ARN; --kms-key)`);
  const vpcId = text(o['vpcId']);
  if (options && (vpcId === undefined || !PROVIDER_ID.test(vpcId))) reasons.push('options.vpcId is missing or malformed: give the target VPC the twin runs in (vpc-…)');
  const subnets: Record<string, string> = {};
  if (o['subnets'] !== undefined && !isObject(o['subnets'])) reasons.push('options.subnets must map each source subnet id to a target subnet id, e.g. {"subnet-a1": "subnet-b1"} (--subnet a=b)');
  for (const [from, to] of Object.entries(isObject(o['subnets']) ? o['subnets'] : {})) {
    if (!PROVIDER_ID.test(from) || typeof to !== 'string' || !PROVIDER_ID.test(to)) reasons.push(`options.subnets.${from.slice(0, 80)} must be a target subnet id (subnet-…)`);
    else subnets[from] = to;
  }
  const flag = (key: string, fallback: boolean) => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') reasons.push(`options.${key} must be true or false`);
    return v === true;
  };
  const noReboot = flag('noReboot', true);
  const keepOnFailure = flag('keepOnFailure', false);
  const twinName = text(o['twinName']) ?? `${sourceStack}-${targetRegion ?? 'twin'}`;
  if (!IDENTIFIER.test(twinName)) reasons.push(`options.twinName "${twinName.slice(0, 80)}" is not an identifier (a-z first, then a-z, 0-9, "_", "-"; at most 63): give a shorter twinName`);
  else if (twinName === group.primary.name) reasons.push(`options.twinName "${twinName}" is the primary's name: name the twin after its region`);

  if (reasons.length > 0 || targetRegion === undefined || kmsKeyId === undefined || vpcId === undefined) return { reasons };
  return { request: { group: group.name, sourceStack, targetRegion, options: { twinName, noReboot, kmsKeyId, subnets, vpcId, keepOnFailure } }, reasons };
}

/** The source's own tags, without AWS's (`aws:*`, not writable) and twinstack's (set by the clone). */
function copiedTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const own = new Set([CLONE_TAG, STACK_TAG, HOST_TAG]);
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !k.startsWith('aws:') && !own.has(k)));
}

/** The source stack's problems a clone cannot get past, each with its fix. */
function sourceProblems(request: CloneRequest, group: GroupAwaitingTwin, source: StackDescription): string[] {
  const stack = group.primary;
  const reasons: string[] = [];
  const tagFix = `tag each instance of the stack with ${STACK_TAG}=${stack.name} and ${HOST_TAG}=<its host name in twinstack.yaml>`;
  if (group.twin) {
    reasons.push(
      `${group.name} already has a twin (${group.twin.name}) registered: a clone would replace it. If it is a failed clone kept for inspection, remove the twin from the group's config and run the clone again: it resumes from what the first attempt made`,
    );
  }
  if (source.instances.length === 0) {
    reasons.push(`no instance in ${source.region} is tagged ${STACK_TAG}=${stack.name}: ${tagFix}`);
    return reasons;
  }
  const byHost = new Map<string, string[]>();
  for (const instance of source.instances) {
    if (instance.state === 'terminated' || instance.state === 'shutting-down') {
      reasons.push(`instance ${instance.id} (${instance.hostName || 'no host tag'}) is ${instance.state}: start the stack's hosts, or untag it`);
      continue;
    }
    byHost.set(instance.hostName, [...(byHost.get(instance.hostName) ?? []), instance.id]);
    if (!stack.hosts.some((h) => h.name === instance.hostName)) {
      reasons.push(`instance ${instance.id} has ${HOST_TAG}=${JSON.stringify(instance.hostName)}, which is no host of ${stack.name}: ${tagFix}`);
    }
    if (request.options.subnets[instance.subnetId] === undefined) {
      reasons.push(`subnet ${instance.subnetId} (of ${instance.hostName}) has no target subnet: add options.subnets["${instance.subnetId}"] (--subnet ${instance.subnetId}=<subnet in ${request.targetRegion}>)`);
    }
  }
  for (const [hostName, ids] of byHost) {
    if (ids.length > 1) reasons.push(`${ids.length} instances (${ids.join(', ')}) are tagged ${HOST_TAG}=${hostName}: keep the tag on one of them`);
  }
  for (const host of stack.hosts) {
    if (!byHost.has(host.name)) reasons.push(`host ${host.name} of ${stack.name} has no instance tagged ${HOST_TAG}=${host.name}: ${tagFix}`);
  }
  const used = new Set(source.instances.flatMap((i) => i.securityGroupIds));
  for (const id of used) {
    const sg = source.securityGroups.find((g) => g.id === id);
    if (!sg) {
      reasons.push(`security group ${id} used by the stack was not described: check the role may call DescribeSecurityGroups`);
      continue;
    }
    for (const rule of [...sg.ingress, ...sg.egress]) {
      for (const ref of rule.groupIds) {
        if (!used.has(ref)) reasons.push(`a rule of ${sg.name} (${id}) references ${ref}, which no host of the stack uses: it has no copy in ${request.targetRegion}; replace the reference by a CIDR or attach ${ref} to a host`);
      }
    }
  }
  return reasons;
}

/** The clone's plan, or a refusal naming every problem and its fix. */
export function planClone(input: { readonly request: unknown; readonly group: GroupAwaitingTwin; readonly source: StackDescription }): CloneDecision {
  const { request, reasons: requestReasons } = parseCloneRequest(input.request, input.group);
  const reasons = [...requestReasons, ...(request ? sourceProblems(request, input.group, input.source) : [])];
  if (!request || reasons.length > 0) return { action: 'refuse', reasons, cause: `clone of ${input.group.name} refused, nothing was created: ${reasons.join('; ')}` };

  const { options } = request;
  const cloneId = cloneIdOf(request.group, request.sourceStack, request.targetRegion);
  const hosts = input.source.instances.map((instance): HostClonePlan => ({
    hostName: instance.hostName,
    sourceInstanceId: instance.id,
    instanceType: instance.instanceType,
    subnetId: options.subnets[instance.subnetId] ?? '',
    sourceSecurityGroupIds: instance.securityGroupIds,
    ...(instance.instanceProfileArn ? { instanceProfileArn: instance.instanceProfileArn } : {}),
    ...(instance.keyName ? { keyName: instance.keyName } : {}),
    volumes: instance.volumes,
    tags: { ...copiedTags(instance.tags), ...cloneTags(cloneId, options.twinName, instance.hostName) },
    ...cloneNames(cloneId, instance.hostName),
  }));
  const used = new Set(hosts.flatMap((h) => h.sourceSecurityGroupIds));
  const securityGroups = input.source.securityGroups
    .filter((sg) => used.has(sg.id))
    .map((sg): SecurityGroupClonePlan => ({
      sourceId: sg.id,
      name: securityGroupNameOf(options.twinName, sg.name),
      description: sg.description,
      ingress: sg.ingress,
      egress: sg.egress,
      tags: { ...copiedTags(sg.tags), ...cloneTags(cloneId, options.twinName) },
    }));
  const plan: ClonePlan = {
    cloneId,
    group: request.group,
    sourceStack: request.sourceStack,
    sourceRegion: input.source.region,
    targetRegion: request.targetRegion,
    twinName: options.twinName,
    kmsKeyId: options.kmsKeyId,
    vpcId: options.vpcId,
    noReboot: options.noReboot,
    keepOnFailure: options.keepOnFailure,
    hosts,
    securityGroups,
  };
  return {
    action: 'clone',
    plan,
    reasons: [`clone ${cloneId}: ${hosts.length} host(s) of ${request.sourceStack} (${input.source.region}) → ${options.twinName} (${request.targetRegion}), ${securityGroups.length} security group(s)`],
  };
}

/** The source group ids a rule set references, translated by `ids`; a reference without a copy is a bug of the plan (refused there). */
export function translateRules(rules: readonly SecurityGroupRule[], ids: Readonly<Record<string, string>>): SecurityGroupRule[] {
  return rules.map((rule) => ({
    ...rule,
    groupIds: rule.groupIds.map((id) => {
      const target = ids[id];
      if (target === undefined) throw new RangeError(`security group ${id} has no copy in the target region`);
      return target;
    }),
  }));
}

/** One host of the clone once it runs: where to reach it and its pinned host key (from a trusted channel). */
export interface ClonedHost {
  readonly hostName: string;
  readonly instanceId: string;
  readonly address: string;
  readonly hostKey: string;
}

/**
 * The twin's stack block: the source stack's shape (ports, users, deploy) with the clone's
 * addresses and pinned host keys. The endpoint (and the health URL's host) follow the host
 * whose address the source's endpoint is; an endpoint that is no host's address (a load
 * balancer's name) cannot be derived and is a reason to review the block.
 */
export function twinStackOf(plan: ClonePlan, source: GroupAwaitingTwin['primary'], hosts: readonly ClonedHost[]): { readonly stack: GroupAwaitingTwin['primary']; readonly reasons: readonly string[] } {
  const reasons: string[] = [];
  const addressOf = new Map(hosts.map((h) => [h.hostName, h]));
  const twinHosts = source.hosts.map((host) => {
    const cloned = addressOf.get(host.name);
    if (!cloned) throw new RangeError(`host ${host.name} was not cloned`);
    return { ...host, address: cloned.address, hostKey: cloned.hostKey };
  });
  const endpointHost = source.hosts.find((h) => h.address === source.endpoint);
  const endpoint = endpointHost ? (addressOf.get(endpointHost.name)?.address ?? source.endpoint) : (twinHosts[0]?.address ?? source.endpoint);
  if (!endpointHost) reasons.push(`the endpoint of ${source.name} (${source.endpoint}) is no host's address: the twin's endpoint is set to ${endpoint}; review endpoint and healthUrl`);
  let healthUrl = source.healthUrl;
  try {
    const url = new URL(source.healthUrl);
    if (url.hostname === source.endpoint || !endpointHost) url.hostname = endpoint;
    healthUrl = url.toString();
  } catch {
    reasons.push(`the health URL of ${source.name} is not a URL: review the twin's healthUrl`);
  }
  return { stack: { name: plan.twinName, region: configRegionOf(plan.targetRegion), endpoint, healthUrl, hosts: twinHosts, deploy: source.deploy }, reasons };
}

/**
 * Where one of the source stack's parameters goes in the target region, and its value there:
 * the stack's name in the parameter name becomes the twin's, and the source region's name
 * (a whole word, e.g. inside an endpoint host name) becomes the target's.
 */
export function copiedParameterOf(plan: ClonePlan, name: string, value: string): { readonly name: string; readonly value: string; readonly rewritten: boolean } {
  const from = `/env/${plan.sourceStack}/`;
  const to = `/env/${plan.twinName}/`;
  const target = name.replace(from, to);
  if (plan.sourceRegion === plan.targetRegion) return { name: target, value, rewritten: false };
  const word = new RegExp(`(?<![A-Za-z0-9-])${plan.sourceRegion.replace(/[-]/g, '\\-')}(?![A-Za-z0-9-])`, 'g');
  const rewrittenValue = value.replace(word, plan.targetRegion);
  return { name: target, value: rewrittenValue, rewritten: rewrittenValue !== value };
}
