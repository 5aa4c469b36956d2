/**
 * The Compute port (functions/core/compute.ts) over the local lab, so clone-stack runs on
 * one machine: a "region" is a label (`local`, `local-twin`, …), an "instance" is a lab host
 * (its own sshd in its own mount namespace, its own dockerd, its database servers), an
 * "image" is a record of a host: its Docker images (saved to a tarball) and its database
 * nodes' config — never their data.
 *
 * - describeStack: the stack's hosts from the groups' config in the local parameter file,
 *   each matched to the lab host folder whose sshd listens on its address and port;
 * - createImage: `docker save` of every tagged image of the host's engine, plus the host's
 *   databases (group config, `host` = the host's name);
 * - copyImage: the same record registered for the target label (tarball hard-linked);
 * - runInstance: a NEW lab host on a fresh address of the configured range (AddressAllocator),
 *   its own sshd with a fresh host key, a dockerd loaded with the image's Docker images,
 *   and an EMPTY running server of each database node, on the same ports, ready for replicate;
 * - hostKeyOf: the fingerprint of the new sshd's public key file (the trusted channel
 *   here: the disk this process wrote it to, not the connection it authenticates);
 * - terminateInstances: stops that host's database servers, dockerd and sshd (by PID,
 *   proven by their markers: lab-servers.ts, lab-docker.ts, loopback-host.ts) and removes its files.
 *
 * Invariants (besides the port's): only hosts this adapter launched are ever terminated
 * (a source host's id is refused); every id derives from what makes its call idempotent
 * (lab-compute-records.ts), so a retry, a concurrent call or a resumed clone in another
 * process finds the same image, group or host; processes it starts follow the lab's rule
 * (stopped when this process exits, process-registry.ts), and a resumed launch whose host
 * died with its process starts the same host again (same address, same host key).
 * Needs root, as the rest of the lab (sshd, mount namespaces, dockerd); nothing beyond it.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprintOfOpenSshPublicKey } from '../../../functions/adapters/ssh/host-key-fingerprint.ts';
import { CLONE_TAG, HOST_TAG, checkCopyImage, STACK_TAG, type Compute, type ComputeInstance, type ImageState, type LaunchSpec, type SecurityGroupSpec, type StackDescription } from '../../../functions/core/compute.ts';
import { ComputeError, InvalidInputError } from '../../../functions/core/errors.ts';
import type { GroupAwaitingTwin, Host, Stack } from '../../../functions/core/model.ts';
import { PARAMETER_ROOT } from '../../../functions/core/parameter-names.ts';
import type { ParameterStore } from '../../../functions/core/ports.ts';
import type { LabNodeHost, LabUserRef } from '../lab/lab-database-node.ts';
import { labDockerPaths, stopLabDockerSync } from '../lab/lab-docker.ts';
import { LabError } from '../lab/lab-error.ts';
import { ensureUserDir } from '../lab/lab-files.ts';
import { LAB_NODES, labNodeFor } from '../lab/lab-nodes.ts';
import { labHostPaths, type LabHostPaths } from '../lab/lab-paths.ts';
import { startLoopbackHost, stopStaleSshd } from '../lab/loopback-host.ts';
import { isProcessRunning } from '../lab/process-registry.ts';
import { runLocal, runLocalChecked } from '../lab/run-local-command.ts';
import { AddressAllocator, configuredLabAddresses, sshdListenOf, type AddressRange } from './lab-address-allocator.ts';
import { LabComputeRecords, stableId, type GroupRecord, type ImageRecord, type InstanceRecord } from './lab-compute-records.ts';

/** What a lab host reports for the fields EC2 has and the lab does not: clone plans map them like any id. */
export const LAB_SUBNET = 'subnet-lab';
export const LAB_VPC = 'vpc-lab';
export const LAB_INSTANCE_TYPE = 'lab';

const LABEL = /^[a-z][a-z0-9-]{0,62}$/;
const INSTANCE_ID = /^i-[a-z][a-z0-9-]{0,30}$/;

export interface LabComputeOptions {
  /** The lab root the source hosts live under (absolute); clones are made there too. */
  readonly labRoot: string;
  /** Where every lab host sees its own `srv/` (as the source hosts do), e.g. `/srv/twinstack`. */
  readonly mountPoint: string;
  /** The lab user: sshd's only user, the servers' owner, the Docker socket's group. */
  readonly user: LabUserRef;
  /** Addresses new hosts may get (never one in use). */
  readonly addresses: AddressRange;
  /** The local runtime's parameter store: the groups' config (`describeStack`). */
  readonly params: ParameterStore;
  readonly log?: (line: string) => void;
}

export class LabCompute implements Compute {
  private readonly records: LabComputeRecords;
  private readonly allocator: AddressAllocator;
  /** In-process single flight per id: a concurrent retry waits for the first call instead of racing it. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly log: (line: string) => void;

  constructor(private readonly options: LabComputeOptions) {
    if (!options.labRoot.startsWith('/') || options.labRoot.includes('..')) throw new InvalidInputError(`labRoot must be an absolute path, got ${options.labRoot}`);
    this.records = new LabComputeRecords(options.labRoot);
    this.allocator = new AddressAllocator(options.addresses, this.records.dir('addresses'), options.labRoot);
    this.log = options.log ?? (() => undefined);
  }

  async describeStack(region: string, stack: string): Promise<StackDescription> {
    assertLabel('region', region);
    const { stack: found, group } = await this.stackNamed(stack);
    if (found.region !== region) throw new InvalidInputError(`stack ${stack} is in region ${found.region}, not ${region}: describe it in ${found.region}`);
    const byAddress = configuredLabAddresses(this.options.labRoot);
    const instances = found.hosts.flatMap((host) => {
      const folder = byAddress.get(`${host.address}:${host.sshPort}`);
      // A configured host without a lab host: not "tagged", as an EC2 instance missing its tag (planClone names the fix).
      return folder === undefined ? [] : [this.instanceOfFolder(folder, region, { [STACK_TAG]: stack, [HOST_TAG]: host.name }, host.address)];
    });
    this.log(`describeStack ${stack}: ${instances.length} of ${found.hosts.length} hosts are lab hosts (group ${group.name})`);
    return { region, stack, instances, securityGroups: [] };
  }

  async createImage(region: string, instanceId: string, options: { readonly name: string; readonly noReboot: boolean; readonly tags: Readonly<Record<string, string>> }): Promise<{ readonly imageId: string }> {
    assertLabel('region', region);
    const folder = folderOf(instanceId);
    const imageId = stableId('ami', region, options.name);
    return await this.once(imageId, async () => {
      if (this.records.read<ImageRecord>('images', imageId)) return { imageId };
      const paths = labHostPaths(this.options.labRoot, folder);
      const config = this.sshdListen(paths);
      if (!config) throw new ComputeError(`createImage: ${instanceId} is no lab host under ${this.options.labRoot}: describe the stack for its instance ids`);
      const { group, host } = await this.hostAt(config.address, config.port);
      const databases = group.databases.filter((db) => db.host === host.name);
      // The snapshot: the engine's tagged images, saved now (a crashed save leaves no record, so a retry saves again).
      const socket = labDockerPaths(this.options.labRoot, paths.root, folder).socket;
      const dockerImages = existsSync(socket) ? await dockerImagesOf(socket) : [];
      let dockerTarball: string | undefined;
      if (dockerImages.length > 0) {
        const dir = this.records.imageDir(imageId);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        dockerTarball = join(dir, 'docker-images.tar');
        await runLocalChecked(['docker', '-H', `unix://${socket}`, 'save', '-o', `${dockerTarball}.tmp`, ...dockerImages], { timeoutMs: 300_000 });
        await runLocalChecked(['mv', '-f', `${dockerTarball}.tmp`, dockerTarball], { timeoutMs: 10_000 });
      }
      const record: ImageRecord = { id: imageId, name: options.name, region, state: 'available', dockerImages, ...(dockerTarball ? { dockerTarball } : {}), databases, sshPort: config.port, tags: options.tags };
      await this.records.write('images', record);
      this.log(`createImage ${imageId} of ${instanceId}: ${dockerImages.length} Docker images, databases ${databases.map((d) => d.engine).join(', ') || 'none'}`);
      return { imageId };
    });
  }

  async copyImage(
    sourceRegion: string,
    imageId: string,
    targetRegion: string,
    options: { readonly name: string; readonly kmsKeyId: string; readonly clientToken: string; readonly tags: Readonly<Record<string, string>> },
  ): Promise<{ readonly imageId: string }> {
    assertLabel('sourceRegion', sourceRegion);
    assertLabel('targetRegion', targetRegion);
    checkCopyImage(sourceRegion, targetRegion, options);
    const copyId = stableId('ami', targetRegion, 'copy', options.clientToken);
    return await this.once(copyId, async () => {
      if (this.records.read<ImageRecord>('images', copyId)) return { imageId: copyId };
      const source = this.records.read<ImageRecord>('images', imageId);
      if (!source || source.region !== sourceRegion) throw new ComputeError(`copyImage: no image ${imageId} in ${sourceRegion}: create it first (createImage)`);
      let dockerTarball: string | undefined;
      if (source.dockerTarball) {
        const dir = this.records.imageDir(copyId);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        dockerTarball = join(dir, 'docker-images.tar');
        // A hard link: the copy outlives a deregistered source, at no cost in time or space.
        rmSync(dockerTarball, { force: true });
        linkSync(source.dockerTarball, dockerTarball);
      }
      const { dockerTarball: _sourceTarball, ...rest } = source;
      const copy: ImageRecord = {
        ...rest,
        id: copyId,
        name: options.name,
        region: targetRegion,
        ...(dockerTarball ? { dockerTarball } : {}),
        tags: options.tags,
        clientToken: options.clientToken,
        copiedFrom: { region: sourceRegion, imageId, kmsKeyId: options.kmsKeyId },
      };
      await this.records.write('images', copy);
      return { imageId: copyId };
    });
  }

  imageState(region: string, imageId: string): Promise<ImageState> {
    return later(() => {
      assertLabel('region', region);
      const record = this.records.read<ImageRecord>('images', imageId);
      return record && record.region === region ? record.state : 'missing';
    });
  }

  async ensureSecurityGroup(region: string, vpcId: string, spec: Omit<SecurityGroupSpec, 'id' | 'vpcId'>): Promise<{ readonly groupId: string; readonly created: boolean }> {
    assertLabel('region', region);
    const cloneId = spec.tags[CLONE_TAG];
    if (!cloneId) throw new InvalidInputError(`ensureSecurityGroup ${spec.name}: tags lack ${CLONE_TAG}: pass cloneTags(cloneId, stack)`);
    // Loopback hosts have no firewall: the group is a record, so resume and rollback treat it as on EC2.
    const id = stableId('sg', region, vpcId, spec.name, cloneId);
    if (this.records.read<GroupRecord>('groups', id)) return { groupId: id, created: false };
    await this.records.write('groups', { id, region, vpcId, name: spec.name, description: spec.description, tags: spec.tags } satisfies GroupRecord);
    return { groupId: id, created: true };
  }

  async runInstance(region: string, spec: LaunchSpec): Promise<{ readonly instanceId: string }> {
    assertLabel('region', region);
    if (!spec.clientToken || spec.clientToken.length > 64) throw new InvalidInputError(`runInstance: clientToken must be 1 to 64 characters`);
    const hostFolder = stableId('clone', region, spec.clientToken);
    const instanceId = `i-${hostFolder}`;
    return await this.once(instanceId, async () => {
      const image = this.records.read<ImageRecord>('images', spec.imageId);
      if (!image || image.region !== region) throw new ComputeError(`runInstance: no image ${spec.imageId} in ${region}: copy it there first and wait until imageState is available`);
      let record = this.records.read<InstanceRecord>('instances', instanceId);
      if (record?.state === 'terminated') throw new ComputeError(`runInstance: the instance of client token ${spec.clientToken} (${instanceId}) was terminated: start a new clone id`);
      if (record?.state === 'running' && this.sshdRunning(labHostPaths(this.options.labRoot, hostFolder))) return { instanceId };
      if (!record) {
        const ports = [image.sshPort, ...image.databases.map((db) => db.port)];
        const address = await this.allocator.claim(instanceId, ports);
        record = {
          id: instanceId,
          region,
          clientToken: spec.clientToken,
          hostFolder,
          address,
          sshPort: image.sshPort,
          imageId: spec.imageId,
          instanceType: spec.instanceType,
          subnetId: spec.subnetId,
          securityGroupIds: spec.securityGroupIds,
          tags: spec.tags,
          state: 'pending',
        };
        // Written before anything starts: a crash from here on leaves a host terminate can find.
        await this.records.write('instances', record);
      }
      await this.bootHost(record, image);
      await this.records.write('instances', { ...record, state: 'running' } satisfies InstanceRecord);
      return { instanceId };
    });
  }

  describeInstances(region: string, instanceIds: readonly string[]): Promise<readonly ComputeInstance[]> {
    return later(() => {
      assertLabel('region', region);
      return instanceIds.flatMap((id) => {
        const record = this.records.read<InstanceRecord>('instances', id);
        if (record) return record.region === region ? [this.instanceOfRecord(record)] : [];
        // A source host (not launched here): found by its folder.
        if (!INSTANCE_ID.test(id)) return [];
        const paths = labHostPaths(this.options.labRoot, folderOf(id));
        const listen = this.sshdListen(paths);
        return listen ? [this.instanceOfFolder(folderOf(id), region, {}, listen.address)] : [];
      });
    });
  }

  hostKeyOf(region: string, instanceId: string): Promise<string | undefined> {
    return later(() => {
      assertLabel('region', region);
      const publicKey = `${labHostPaths(this.options.labRoot, folderOf(instanceId)).hostKey}.pub`;
      return existsSync(publicKey) ? fingerprintOfOpenSshPublicKey(readFileSync(publicKey, 'utf8')) : undefined;
    });
  }

  findCloned(region: string, cloneId: string): Promise<{ readonly instanceIds: readonly string[]; readonly imageIds: readonly string[]; readonly securityGroupIds: readonly string[] }> {
    return later(() => {
      assertLabel('region', region);
      const ofClone = (r: { region: string; tags: Readonly<Record<string, string>> }) => r.region === region && r.tags[CLONE_TAG] === cloneId;
      return {
        instanceIds: this.records.list<InstanceRecord>('instances').filter((r) => ofClone(r) && r.state !== 'terminated').map((r) => r.id),
        imageIds: this.records.list<ImageRecord>('images').filter(ofClone).map((r) => r.id),
        securityGroupIds: this.records.list<GroupRecord>('groups').filter(ofClone).map((r) => r.id),
      };
    });
  }

  async terminateInstances(region: string, instanceIds: readonly string[]): Promise<void> {
    assertLabel('region', region);
    for (const id of instanceIds) {
      const record = this.records.read<InstanceRecord>('instances', id);
      if (!record) {
        // Never a host this adapter did not launch (a source host): that would be the primary.
        if (INSTANCE_ID.test(id) && this.sshdListen(labHostPaths(this.options.labRoot, folderOf(id)))) {
          throw new ComputeError(`terminateInstances: ${id} was not launched by a clone: the lab terminates only hosts it launched`);
        }
        continue; // gone already
      }
      if (record.region !== region) throw new ComputeError(`terminateInstances: ${id} is in ${record.region}, not ${region}`);
      if (record.state === 'terminated') continue;
      await this.stopHost(record);
      this.allocator.release(record.address, record.id);
      await this.records.write('instances', { ...record, state: 'terminated' } satisfies InstanceRecord);
      this.log(`terminated ${id} (${record.address})`);
    }
  }

  async deregisterImage(region: string, imageId: string): Promise<void> {
    assertLabel('region', region);
    const record = this.records.read<ImageRecord>('images', imageId);
    if (!record) return;
    if (record.region !== region) throw new ComputeError(`deregisterImage: ${imageId} is in ${record.region}, not ${region}`);
    // The snapshot (tarball) first, the record last: a crash in between is found and finished by a retry.
    await rm(this.records.imageDir(imageId), { recursive: true, force: true });
    this.records.remove('images', imageId);
  }

  /** Start (or, on a resume, start again) the host of `record` with everything its image holds. */
  private async bootHost(record: InstanceRecord, image: ImageRecord): Promise<void> {
    const { labRoot, mountPoint, user } = this.options;
    const paths = labHostPaths(labRoot, record.hostFolder);
    mkdirSync(paths.root, { recursive: true, mode: 0o755 });
    ensureUserDir(paths.srvDir, user, 0o750);
    ensureUserDir(join(paths.srvDir, 'run'), user, 0o755);
    const started = Date.now();
    const host = await startLoopbackHost({
      name: record.hostFolder,
      address: record.address,
      sshPort: record.sshPort,
      labRoot,
      user: user.name,
      privateMounts: [{ source: paths.srvDir, target: mountPoint }],
      docker: { socketGroup: String(user.gid) },
    });
    const sshdAt = Date.now();
    if (image.dockerTarball && host.docker) {
      await runLocalChecked(['docker', '-H', `unix://${host.docker.paths.socket}`, 'load', '-q', '-i', image.dockerTarball], { timeoutMs: 300_000 });
    }
    const dockerAt = Date.now();
    const nodeHost = this.nodeHostOf(paths, host.pid, { name: record.hostFolder, address: record.address, sshPort: record.sshPort, user: user.name, hostKey: host.host.hostKey });
    await Promise.all(
      image.databases.map(async (db) => {
        const node = labNodeFor(db.engine);
        // Empty and running, like a fresh install; a resumed host keeps what it already has.
        if (existsSync(nodeHost.realPath(node.dataLocation(db)))) await node.start(nodeHost, db);
        else await node.initPrimary(nodeHost, db);
      }),
    );
    this.log(`runInstance ${record.id} on ${record.address}: sshd ${sshdAt - started} ms, docker load ${dockerAt - sshdAt} ms, databases ${Date.now() - dockerAt} ms`);
  }

  /** Databases, Docker engine (containers first), sshd: each by its PID and marker; then the host's files. */
  private async stopHost(record: InstanceRecord): Promise<void> {
    const paths = labHostPaths(this.options.labRoot, record.hostFolder);
    for (const node of LAB_NODES) node.stopAllUnder(paths.srvDir);
    stopLabDockerSync(labDockerPaths(this.options.labRoot, paths.root, record.hostFolder));
    await stopStaleSshd(paths);
    // The namespace is gone with its last process: its bind mounts with it. Docker's data root may hold root-owned read-only files.
    const removed = await runLocal(['rm', '-rf', '--one-file-system', paths.root], { timeoutMs: 120_000 });
    if (removed.exitCode !== 0) throw new ComputeError(`terminateInstances: could not remove ${paths.root}: ${removed.stderr.trim().slice(-500)}`);
  }

  private nodeHostOf(paths: LabHostPaths, namespacePid: number, host: Host): LabNodeHost {
    const { mountPoint, user } = this.options;
    return {
      host,
      namespacePid,
      user,
      mountPoint,
      realPath: (hostPath) => {
        if (hostPath !== mountPoint && !hostPath.startsWith(`${mountPoint}/`)) throw new LabError(`${hostPath} is not under ${mountPoint}`);
        return `${paths.srvDir}${hostPath.slice(mountPoint.length)}`;
      },
    };
  }

  private instanceOfRecord(record: InstanceRecord): ComputeInstance {
    const alive = record.state !== 'terminated' && this.sshdRunning(labHostPaths(this.options.labRoot, record.hostFolder));
    const state = record.state === 'terminated' ? 'terminated' : record.state === 'pending' ? 'pending' : alive ? 'running' : 'stopped';
    return {
      id: record.id,
      hostName: record.tags[HOST_TAG] ?? '',
      state,
      imageId: record.imageId,
      instanceType: record.instanceType,
      subnetId: record.subnetId,
      availabilityZone: `${record.region}-a`,
      vpcId: LAB_VPC,
      securityGroupIds: record.securityGroupIds,
      volumes: [],
      tags: record.tags,
      privateAddress: record.address,
    };
  }

  private instanceOfFolder(folder: string, region: string, tags: Readonly<Record<string, string>>, address: string): ComputeInstance {
    const launched = this.records.read<InstanceRecord>('instances', `i-${folder}`);
    if (launched) return this.instanceOfRecord(launched);
    return {
      id: `i-${folder}`,
      hostName: tags[HOST_TAG] ?? '',
      state: this.sshdRunning(labHostPaths(this.options.labRoot, folder)) ? 'running' : 'stopped',
      imageId: '',
      instanceType: LAB_INSTANCE_TYPE,
      subnetId: LAB_SUBNET,
      availabilityZone: `${region}-a`,
      vpcId: LAB_VPC,
      securityGroupIds: [],
      volumes: [],
      tags,
      privateAddress: address,
    };
  }

  private sshdListen(paths: LabHostPaths): { readonly address: string; readonly port: number } | undefined {
    return sshdListenOf(paths.sshdConfig);
  }

  private sshdRunning(paths: LabHostPaths): boolean {
    try {
      return isProcessRunning(Number(readFileSync(paths.sshdPidFile, 'utf8').trim()), paths.sshdConfig);
    } catch {
      return false;
    }
  }

  /** Every group config in the parameter store (groups awaiting their twin included). */
  private async groups(): Promise<GroupAwaitingTwin[]> {
    const all = await this.options.params.getByPath(PARAMETER_ROOT);
    return Object.entries(all)
      .filter(([name]) => /^\/twinstack\/[^/]+\/config$/.test(name))
      .map(([, value]) => JSON.parse(value) as GroupAwaitingTwin);
  }

  private async stackNamed(name: string): Promise<{ stack: Stack; group: GroupAwaitingTwin }> {
    for (const group of await this.groups()) {
      for (const stack of [group.primary, group.twin]) if (stack?.name === name) return { stack, group };
    }
    throw new InvalidInputError(`no group of the local parameter store has a stack ${name}: provision the group first (provisionGroup)`);
  }

  private async hostAt(address: string, port: number): Promise<{ group: GroupAwaitingTwin; host: Host }> {
    for (const group of await this.groups()) {
      for (const stack of [group.primary, group.twin]) {
        const host = stack?.hosts.find((h) => h.address === address && h.sshPort === port);
        if (host) return { group, host };
      }
    }
    throw new ComputeError(`no stack of the local parameter store has a host at ${address}:${port}: provision its group first`);
  }

  private once<T>(key: string, run: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const promise = run().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }
}

/** Run `fn` as a promise: a bad argument rejects (as the port's callers expect), never throws synchronously. */
function later<T>(fn: () => T): Promise<T> {
  return Promise.resolve().then(fn);
}

function assertLabel(field: string, value: string): void {
  if (!LABEL.test(value)) throw new InvalidInputError(`${field} must be a local region label such as local or local-twin ([a-z][a-z0-9-]*), got ${JSON.stringify(value)}`);
}

function folderOf(instanceId: string): string {
  if (!INSTANCE_ID.test(instanceId)) throw new InvalidInputError(`not a lab instance id: ${JSON.stringify(instanceId)} (i-<lab host>)`);
  return instanceId.slice(2);
}

/** The tagged images (`repository:tag`) of the engine at `socket`. */
async function dockerImagesOf(socket: string): Promise<string[]> {
  const listed = await runLocalChecked(['docker', '-H', `unix://${socket}`, 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { timeoutMs: 30_000 });
  return [...new Set(listed.stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.includes('<none>')))];
}

