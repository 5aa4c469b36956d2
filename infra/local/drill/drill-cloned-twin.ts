/**
 * The drill's side of `--clone`: the twin host clone-stack launched (lab-compute.ts's
 * runInstance) seen as the drill's other lab hosts are, and its end.
 *
 * - `sweepEarlierDrillClone`: what an earlier drill's clone left in the lab's Compute
 *   records (its hosts, its images) is terminated and deregistered first, and the records of
 *   its terminated hosts forgotten, so every run clones from a clean slate (the clone id and
 *   its client tokens are the same each run: same group, stack, label);
 * - `retireStaticTwin`: the twin host a drill without `--clone` keeps under `<labRoot>/twin`
 *   is stopped (its servers, dockerd, sshd: by PID and marker) and its sshd_config removed,
 *   so the twin's address is free for the clone (the allocator never hands out a configured one);
 * - `clonedTwinHost`: the launched host as a LoopbackHost (its sshd's PID is its mount
 *   namespace, `srv/` at the drill's mount point), its deploy directory made (an owned,
 *   empty `srv/app` git work tree, as the drill makes the primary's), and `stop()`
 *   terminating it through the same Compute (processes by PID and marker, files removed,
 *   address released).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLONE_TAG } from '../../../functions/core/compute.ts';
import { cloneIdOf } from '../../../functions/core/decisions/plan-clone.ts';
import type { Stack } from '../../../functions/core/model.ts';
import type { ParameterStore } from '../../../functions/core/ports.ts';
import type { LabUserRef } from '../lab/lab-database-node.ts';
import { labDockerPaths, stopLabDockerSync } from '../lab/lab-docker.ts';
import { LAB_NODES } from '../lab/lab-nodes.ts';
import { labHostPaths } from '../lab/lab-paths.ts';
import { stopStaleSshd, type LoopbackHost } from '../lab/loopback-host.ts';
import { isProcessRunning } from '../lab/process-registry.ts';
import { configuredLabAddresses, type AddressRange } from '../runtime/lab-address-allocator.ts';
import { LabCompute } from '../runtime/lab-compute.ts';
import { LabComputeRecords, type InstanceRecord } from '../runtime/lab-compute-records.ts';
import { LOCAL_TWIN_REGION } from './drill-clone.ts';
import { initDeployDirectory } from './drill-deploy.ts';

/** The lab label the drill's primary stack is in (`region: local` in its config). */
const SOURCE_REGION = 'local';

export interface DrillComputeOptions {
  readonly labRoot: string;
  readonly mountPoint: string;
  readonly user: LabUserRef;
  readonly addresses: AddressRange;
  readonly params: ParameterStore;
}

/** Stops the drill's static twin host (`twin`) and frees its address for a clone; its other files (keys, Docker data root) stay for later runs. */
export async function retireStaticTwin(labRoot: string, name = 'twin'): Promise<boolean> {
  const paths = labHostPaths(labRoot, name);
  if (!existsSync(paths.sshdConfig)) return false;
  for (const node of LAB_NODES) node.stopAllUnder(paths.srvDir);
  stopLabDockerSync(labDockerPaths(labRoot, paths.root, name));
  await stopStaleSshd(paths);
  rmSync(paths.sshdConfig, { force: true });
  return true;
}

/** Terminates the hosts and deregisters the images an earlier clone of `group`'s `sourceStack` left; returns how many. */
export async function sweepEarlierDrillClone(options: DrillComputeOptions & { readonly group: string; readonly sourceStack: string }): Promise<{ readonly instances: number; readonly images: number }> {
  const compute = computeOf(options);
  const cloneId = cloneIdOf(options.group, options.sourceStack, LOCAL_TWIN_REGION);
  let instances = 0;
  let images = 0;
  for (const region of [LOCAL_TWIN_REGION, SOURCE_REGION]) {
    const found = await compute.findCloned(region, cloneId);
    await compute.terminateInstances(region, found.instanceIds);
    for (const imageId of found.imageIds) await compute.deregisterImage(region, imageId);
    instances += found.instanceIds.length;
    images += found.imageIds.length;
  }
  // The lab keeps a terminated host's record, so its client token is never launched again (as EC2's);
  // every drill run is a new lab, so the records of this clone's terminated hosts are forgotten here.
  const records = new LabComputeRecords(options.labRoot);
  for (const record of records.list<InstanceRecord>('instances')) {
    if (record.tags[CLONE_TAG] === cloneId && record.state === 'terminated') records.remove('instances', record.id);
  }
  return { instances, images };
}

/** The twin's one host as the drill's scenarios use a lab host; its `srv/app` deploy directory is made here. */
export function clonedTwinHost(options: DrillComputeOptions & { readonly twin: Stack; readonly deployUser: LabUserRef }): LoopbackHost {
  const [host] = options.twin.hosts;
  if (!host || options.twin.hosts.length !== 1) throw new Error(`the drill runs a one-host twin; clone-stack registered ${options.twin.hosts.length} hosts for ${options.twin.name}`);
  const folder = configuredLabAddresses(options.labRoot).get(`${host.address}:${host.sshPort}`);
  if (!folder) throw new Error(`no lab host listens on ${host.address}:${host.sshPort}, the address clone-stack registered for ${options.twin.name}`);
  const paths = labHostPaths(options.labRoot, folder);
  const pid = Number(readFileSync(paths.sshdPidFile, 'utf8').trim());
  if (!isProcessRunning(pid, paths.sshdConfig)) throw new Error(`the sshd of the cloned host ${folder} (PID ${pid}) does not run`);
  // runInstance makes `srv/` and `srv/run`; the deploy step needs an owned work tree (the drill makes the primary's the same way).
  initDeployDirectory(join(paths.srvDir, 'app'), options.deployUser);
  const compute = computeOf(options);
  return {
    host,
    pid,
    paths,
    stop: () => compute.terminateInstances(LOCAL_TWIN_REGION, [`i-${folder}`]),
  };
}

function computeOf(options: DrillComputeOptions): LabCompute {
  return new LabCompute({ labRoot: options.labRoot, mountPoint: options.mountPoint, user: options.user, addresses: options.addresses, params: options.params });
}
