/**
 * The lab's Compute adapter against the real lab: a one-host source stack (sshd, dockerd
 * with a small image, one PostgreSQL primary holding a database) is imaged, copied to another
 * label, launched as a NEW loopback host and terminated. Lab root and addresses of its own:
 * /var/tmp/twinstack-it-clone, source 127.0.71.1, clones 127.0.72.1–127.0.72.20.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import type { RemoteCommand } from '../../functions/core/command.ts';
import { cloneTags } from '../../functions/core/compute.ts';
import { ComputeError, HostKeyMismatchError, InvalidInputError } from '../../functions/core/errors.ts';
import type { Host } from '../../functions/core/model.ts';
import { labDockerPaths, stopLabDockerSync } from '../../infra/local/lab/lab-docker.ts';
import { LAB_NODES } from '../../infra/local/lab/lab-nodes.ts';
import { labHostPaths } from '../../infra/local/lab/lab-paths.ts';
import { canConnect, stopStaleSshd } from '../../infra/local/lab/loopback-host.ts';
import { isProcessRunning } from '../../infra/local/lab/process-registry.ts';
import { LAB_SUBNET, LAB_VPC, type LabCompute } from '../../infra/local/runtime/lab-compute.ts';
import { LabComputeRecords, type InstanceRecord } from '../../infra/local/runtime/lab-compute-records.ts';
import { CLONE_APP_IMAGE as APP_IMAGE, CLONE_LAB_ROOT as LAB_ROOT, CLONE_MOUNT_POINT as MOUNT_POINT, CLONE_SOURCE as SOURCE, startCloneSource, type CloneSource } from './fixtures/lab-clone-source.fixture.ts';

const SOURCE_REGION = 'local';
const TARGET_REGION = 'local-twin';
const CLONE_ID = 'itclone-it-src-local-twin';

function command(argv: string[]): RemoteCommand {
  return { description: `run ${argv[0] ?? ''}`, argv, timeoutMs: 30_000 };
}

describe('LabCompute (the local Compute adapter) on the real lab', () => {
  let lab: CloneSource | undefined;
  let source: CloneSource['source'];
  let user: CloneSource['user'];
  let compute: LabCompute;
  let shell: Ssh2RemoteShell;

  beforeAll(async () => {
    lab = await startCloneSource();
    ({ source, user, compute } = lab);
    shell = new Ssh2RemoteShell({ privateKey: user.privateKey });
    // Data on the source the clone must NOT get.
    await shell.exec(source.host, command(['psql', '-h', `${MOUNT_POINT}/run`, '-p', '15432', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', 'CREATE DATABASE source_only']));
  });

  afterAll(async () => {
    await shell?.close();
    await lab?.dispose();
  });

  let imageId = '';
  let copyId = '';
  let groupId = '';
  let instanceId = '';
  let clone: Host;

  it('describes the source stack from the group config and the lab host listening at its address', async () => {
    // Act
    const stack = await compute.describeStack(SOURCE_REGION, 'it-src');

    // Assess
    expect(stack.instances).toHaveLength(1);
    expect(stack.instances[0]).toMatchObject({ id: 'i-source', hostName: 'db', state: 'running', subnetId: LAB_SUBNET, vpcId: LAB_VPC, privateAddress: SOURCE.address });
    await expect(compute.describeStack(TARGET_REGION, 'it-src')).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('images the host (Docker images and database config), idempotently by name, and copies it to the target label', async () => {
    // Act
    const tags = cloneTags(CLONE_ID, 'it-twin', 'db');
    ({ imageId } = await compute.createImage(SOURCE_REGION, 'i-source', { name: 'twinstack-itclone-db', noReboot: true, tags }));
    const again = await compute.createImage(SOURCE_REGION, 'i-source', { name: 'twinstack-itclone-db', noReboot: true, tags });
    ({ imageId: copyId } = await compute.copyImage(SOURCE_REGION, imageId, TARGET_REGION, { name: 'twinstack-itclone-db', kmsKeyId: 'local', clientToken: 'itclone-db-copy', tags }));
    const copyAgain = await compute.copyImage(SOURCE_REGION, imageId, TARGET_REGION, { name: 'twinstack-itclone-db', kmsKeyId: 'local', clientToken: 'itclone-db-copy', tags });

    // Assess
    expect(again.imageId).toBe(imageId);
    expect(copyAgain.imageId).toBe(copyId);
    expect(copyId).not.toBe(imageId);
    expect(await compute.imageState(SOURCE_REGION, imageId)).toBe('available');
    expect(await compute.imageState(TARGET_REGION, copyId)).toBe('available');
    expect(await compute.imageState(TARGET_REGION, imageId)).toBe('missing');
    await expect(compute.copyImage(SOURCE_REGION, imageId, SOURCE_REGION, { name: 'x', kmsKeyId: 'local', clientToken: 't', tags })).rejects.toThrow(/targetRegion equals the source/);
  });

  it('finds or creates the security group record by name and clone tag', async () => {
    const spec = { name: 'it-twin-app', description: 'app', ingress: [], egress: [], tags: cloneTags(CLONE_ID, 'it-twin') };
    const first = await compute.ensureSecurityGroup(TARGET_REGION, LAB_VPC, spec);
    const second = await compute.ensureSecurityGroup(TARGET_REGION, LAB_VPC, spec);
    groupId = first.groupId;
    expect(first.created).toBe(true);
    expect(second).toEqual({ groupId, created: false });
  });

  it('launches a NEW loopback host with its own pinned sshd, the same images and an empty PostgreSQL on the same port', async () => {
    // Act
    const spec = { clientToken: 'itclone-db', imageId: copyId, instanceType: 'lab', subnetId: LAB_SUBNET, securityGroupIds: [groupId], volumes: [], tags: cloneTags(CLONE_ID, 'it-twin', 'db') };
    ({ instanceId } = await compute.runInstance(TARGET_REGION, spec));
    const [described] = await compute.describeInstances(TARGET_REGION, [instanceId]);
    const hostKey = await compute.hostKeyOf(TARGET_REGION, instanceId);

    // Assess: a fresh address of the range, running, with its own host key
    expect(described).toMatchObject({ id: instanceId, hostName: 'db', state: 'running' });
    const address = described?.privateAddress ?? '';
    expect(address).toMatch(/^127\.0\.72\.([1-9]|1\d|20)$/);
    expect(hostKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(hostKey).not.toBe(source.host.hostKey);
    clone = { name: 'db', address, sshPort: SOURCE.sshPort, user: user.name, hostKey: hostKey ?? '' };

    // SSH answers with exactly that key: a login pinned to another key is refused.
    expect((await shell.exec(clone, command(['id', '-un']))).stdout.trim()).toBe(user.name);
    const other = new Ssh2RemoteShell({ privateKey: user.privateKey });
    try {
      await expect(other.exec({ ...clone, hostKey: source.host.hostKey }, command(['true']))).rejects.toBeInstanceOf(HostKeyMismatchError);
    } finally {
      await other.close();
    }

    // Its own Docker engine holds the source's image.
    const images = await shell.exec(clone, command(['docker', 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']));
    expect(images.stdout.split('\n')).toContain(APP_IMAGE);
    const file = await shell.exec(clone, command(['sh', '-c', 'docker create "$1" /app.txt >/dev/null && echo created', 'sh', APP_IMAGE]));
    expect(file.stdout.trim()).toBe('created');

    // An empty PostgreSQL server of the same engine and port, running: the source's data is not there.
    const psql = ['psql', '-h', `${MOUNT_POINT}/run`, '-p', '15432', '-d', 'postgres', '-Atc'];
    const databases = await shell.exec(clone, command([...psql, "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE NOT datistemplate"]));
    expect(databases.stdout.trim()).toBe('postgres');
    const onSource = await shell.exec(source.host, command([...psql, "SELECT count(*) FROM pg_database WHERE datname = 'source_only'"]));
    expect(onSource.stdout.trim()).toBe('1');
    const listening = await shell.exec(clone, command([...psql, 'SHOW listen_addresses']));
    expect(listening.stdout.trim()).toBe(address);
  });

  it('is idempotent by client token: a re-run finds the same host and starts nothing new', async () => {
    // Prepare
    const records = new LabComputeRecords(LAB_ROOT);
    const before = records.read<InstanceRecord>('instances', instanceId);
    const paths = labHostPaths(LAB_ROOT, before?.hostFolder ?? '');
    const sshdPid = Number(readFileSync(paths.sshdPidFile, 'utf8').trim());

    // Act
    const again = await compute.runInstance(TARGET_REGION, { clientToken: 'itclone-db', imageId: copyId, instanceType: 'lab', subnetId: LAB_SUBNET, securityGroupIds: [groupId], volumes: [], tags: cloneTags(CLONE_ID, 'it-twin', 'db') });

    // Assess
    expect(again.instanceId).toBe(instanceId);
    expect(records.list<InstanceRecord>('instances')).toHaveLength(1);
    expect(records.read<InstanceRecord>('instances', instanceId)?.address).toBe(clone.address);
    expect(isProcessRunning(sshdPid, paths.sshdConfig)).toBe(true);
    expect(Number(readFileSync(paths.sshdPidFile, 'utf8').trim())).toBe(sshdPid);
    expect(await compute.hostKeyOf(TARGET_REGION, instanceId)).toBe(clone.hostKey);
    expect(await compute.findCloned(TARGET_REGION, CLONE_ID)).toEqual({ instanceIds: [instanceId], imageIds: [copyId], securityGroupIds: [groupId] });
  });

  it('a resumed launch whose host died (its processes gone) starts the same host again: same address, same key', async () => {
    // Prepare: the host's processes die (as when the process that launched it exits).
    const record = new LabComputeRecords(LAB_ROOT).read<InstanceRecord>('instances', instanceId);
    const paths = labHostPaths(LAB_ROOT, record?.hostFolder ?? '');
    for (const node of LAB_NODES) node.stopAllUnder(paths.srvDir);
    stopLabDockerSync(labDockerPaths(LAB_ROOT, paths.root, record?.hostFolder ?? ''));
    await stopStaleSshd(paths);
    expect((await compute.describeInstances(TARGET_REGION, [instanceId]))[0]?.state).toBe('stopped');

    // Act
    const resumed = await compute.runInstance(TARGET_REGION, { clientToken: 'itclone-db', imageId: copyId, instanceType: 'lab', subnetId: LAB_SUBNET, securityGroupIds: [groupId], volumes: [], tags: cloneTags(CLONE_ID, 'it-twin', 'db') });

    // Assess
    expect(resumed.instanceId).toBe(instanceId);
    expect((await compute.describeInstances(TARGET_REGION, [instanceId]))[0]).toMatchObject({ state: 'running', privateAddress: clone.address });
    expect(await compute.hostKeyOf(TARGET_REGION, instanceId)).toBe(clone.hostKey);
    const ready = await shell.exec(clone, command(['psql', '-h', `${MOUNT_POINT}/run`, '-p', '15432', '-d', 'postgres', '-Atc', 'SELECT 1']));
    expect(ready.stdout.trim()).toBe('1');
  });

  it('refuses a malformed region label before doing anything', async () => {
    await expect(compute.describeInstances('Local Twin', [instanceId])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(compute.runInstance('local twin', { clientToken: 't', imageId: copyId, instanceType: 'lab', subnetId: LAB_SUBNET, securityGroupIds: [], volumes: [], tags: {} })).rejects.toThrow(/region must be a local region label/);
  });

  it('never terminates a host it did not launch', async () => {
    await expect(compute.terminateInstances(SOURCE_REGION, ['i-source'])).rejects.toBeInstanceOf(ComputeError);
    expect(await canConnect(SOURCE.address, SOURCE.sshPort)).toBe(true);
  });

  it('terminate stops everything the host started and removes its files; idempotent; images deregister', async () => {
    // Prepare
    const record = new LabComputeRecords(LAB_ROOT).read<InstanceRecord>('instances', instanceId);
    const paths = labHostPaths(LAB_ROOT, record?.hostFolder ?? '');

    // Act
    await compute.terminateInstances(TARGET_REGION, [instanceId]);
    await compute.terminateInstances(TARGET_REGION, [instanceId]);
    await compute.deregisterImage(TARGET_REGION, copyId);
    await compute.deregisterImage(TARGET_REGION, copyId);

    // Assess
    expect(await canConnect(clone.address, SOURCE.sshPort)).toBe(false);
    expect(await canConnect(clone.address, 15432)).toBe(false);
    expect(existsSync(paths.root)).toBe(false);
    expect((await compute.describeInstances(TARGET_REGION, [instanceId]))[0]?.state).toBe('terminated');
    expect(await compute.imageState(TARGET_REGION, copyId)).toBe('missing');
    expect((await compute.findCloned(TARGET_REGION, CLONE_ID)).instanceIds).toEqual([]);
    // The source is untouched, and its image still holds the (hard-linked) tarball.
    expect(await compute.imageState(SOURCE_REGION, imageId)).toBe('available');
    expect(await canConnect(SOURCE.address, 15432)).toBe(true);
    // The address is free again: the next launch may have it.
    const next = await compute.runInstance(TARGET_REGION, { clientToken: 'itclone-db-2', imageId: (await compute.copyImage(SOURCE_REGION, imageId, TARGET_REGION, { name: 'twinstack-itclone-db-2', kmsKeyId: 'local', clientToken: 'itclone-db-copy-2', tags: cloneTags(CLONE_ID, 'it-twin', 'db') })).imageId, instanceType: 'lab', subnetId: LAB_SUBNET, securityGroupIds: [], volumes: [], tags: cloneTags(CLONE_ID, 'it-twin', 'db') });
    const [relaunched] = await compute.describeInstances(TARGET_REGION, [next.instanceId]);
    expect(relaunched?.privateAddress).toBe(clone.address);
    await compute.terminateInstances(TARGET_REGION, [next.instanceId]);
  });
});
