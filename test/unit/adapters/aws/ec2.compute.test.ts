import { readFileSync } from 'node:fs';
import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CopyImageCommand,
  CreateImageCommand,
  CreateSecurityGroupCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  EC2ServiceException,
  GetConsoleOutputCommand,
  RevokeSecurityGroupEgressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { toHaveReceivedCommandTimes, toHaveReceivedCommandWith, toHaveReceivedCommand } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Ec2Compute, hostKeyFromConsoleOutput } from '../../../../functions/adapters/aws/ec2.compute.ts';
import { cloneTags } from '../../../../functions/core/compute.ts';
import { ComputeError, ComputeUnavailableError, InvalidInputError } from '../../../../functions/core/errors.ts';

expect.extend({ toHaveReceivedCommandWith, toHaveReceivedCommandTimes, toHaveReceivedCommand });

const ec2 = mockClient(EC2Client);
const sleeps: number[] = [];
const compute = () => new Ec2Compute({ consistency: { attempts: 4, delayMs: 100 }, sleep: (ms) => (sleeps.push(ms), Promise.resolve()) });

/** An EC2 error as the SDK raises it: the code is its name. */
function ec2Error(code: string, status = 400): EC2ServiceException {
  return new EC2ServiceException({ name: code, message: `${code} message`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

const FIXTURES = new URL('./fixtures/', import.meta.url);
const consoleText = readFileSync(new URL('ec2-console-output.ubuntu-22.04.txt', FIXTURES), 'utf8');
/** `ssh-keygen -lf` of the fixture's ed25519 key: the independent answer. */
const ED25519_FINGERPRINT = readFileSync(new URL('ec2-console-output.ed25519-fingerprint.txt', FIXTURES), 'utf8').split(' ')[1];

function instance(id: string, host: string, extra: Partial<Instance> = {}): Instance {
  return {
    InstanceId: id,
    State: { Name: 'running' },
    ImageId: 'ami-0source',
    InstanceType: 't3.small',
    SubnetId: 'subnet-a',
    VpcId: 'vpc-1',
    Placement: { AvailabilityZone: 'eu-west-1a' },
    SecurityGroups: [{ GroupId: 'sg-web', GroupName: 'web' }],
    IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/app', Id: 'AIPA' },
    KeyName: 'ops',
    PrivateIpAddress: '10.0.1.23',
    BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: `vol-${id}` } }],
    Tags: [
      { Key: 'twinstack:stack', Value: 'shop-eu' },
      { Key: 'twinstack:host', Value: host },
    ],
    ...extra,
  };
}

describe('Ec2Compute', () => {
  beforeEach(() => {
    ec2.reset();
    sleeps.length = 0;
  });

  describe('describeStack', () => {
    it('reads every page of the tagged instances, their volumes and security groups', async () => {
      // Prepare
      ec2.on(DescribeInstancesCommand).resolvesOnce({ Reservations: [{ Instances: [instance('i-1', 'app1')] }], NextToken: 'page2' }).resolvesOnce({ Reservations: [{ Instances: [instance('i-2', 'app2')] }] });
      ec2.on(DescribeVolumesCommand).resolves({
        Volumes: [
          { VolumeId: 'vol-i-1', Size: 30, VolumeType: 'gp3', Encrypted: true, Iops: 3000, Throughput: 125 },
          { VolumeId: 'vol-i-2', Size: 40, VolumeType: 'gp2', Encrypted: false, Iops: 120 },
        ],
      });
      ec2.on(DescribeSecurityGroupsCommand).resolves({
        SecurityGroups: [
          {
            GroupId: 'sg-web',
            GroupName: 'web',
            Description: 'web tier',
            VpcId: 'vpc-1',
            IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'https' }], UserIdGroupPairs: [{ GroupId: 'sg-lb' }] }],
            IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
            Tags: [{ Key: 'Name', Value: 'web' }],
          },
        ],
      });

      // Act
      const stack = await compute().describeStack('eu-west-1', 'shop-eu');

      // Assess
      expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 2);
      expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, { Filters: expect.arrayContaining([{ Name: 'tag:twinstack:stack', Values: ['shop-eu'] }]) as never, NextToken: 'page2' });
      expect(stack.instances.map((i) => [i.id, i.hostName])).toEqual([['i-1', 'app1'], ['i-2', 'app2']]);
      expect(stack.instances[0]).toMatchObject({ instanceType: 't3.small', availabilityZone: 'eu-west-1a', instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/app', keyName: 'ops', securityGroupIds: ['sg-web'] });
      expect(stack.instances[0]?.volumes).toEqual([{ device: '/dev/xvda', sizeGiB: 30, volumeType: 'gp3', encrypted: true, iops: 3000, throughput: 125 }]);
      // gp2's Iops is derived from its size: not a launch parameter.
      expect(stack.instances[1]?.volumes).toEqual([{ device: '/dev/xvda', sizeGiB: 40, volumeType: 'gp2', encrypted: false }]);
      expect(ec2).toHaveReceivedCommandWith(DescribeSecurityGroupsCommand, { GroupIds: ['sg-web'] });
      expect(stack.securityGroups).toEqual([
        {
          id: 'sg-web',
          name: 'web',
          description: 'web tier',
          vpcId: 'vpc-1',
          ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['0.0.0.0/0'], ipv6Cidrs: [], groupIds: ['sg-lb'], description: 'https' }],
          egress: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], ipv6Cidrs: [], groupIds: [] }],
          tags: { Name: 'web' },
        },
      ]);
    });

    it('refuses an instance without its host tag, naming the fix', async () => {
      // Prepare
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance('i-1', 'app1', { Tags: [{ Key: 'twinstack:stack', Value: 'shop-eu' }] })] }] });
      ec2.on(DescribeVolumesCommand).resolves({ Volumes: [] });
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });

      // Act / Assess
      await expect(compute().describeStack('eu-west-1', 'shop-eu')).rejects.toThrow(/i-1 has no twinstack:host tag/);
    });

    it('maps throttling to the transient ComputeUnavailableError', async () => {
      // Prepare
      ec2.on(DescribeInstancesCommand).rejects(ec2Error('RequestLimitExceeded', 503));

      // Act
      const error = await compute().describeStack('eu-west-1', 'shop-eu').catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ComputeUnavailableError);
      expect((error as ComputeUnavailableError).transient).toBe(true);
      expect((error as Error).message).toMatch(/DescribeInstances throttled/);
    });

    it('maps 5xx and network faults to transient, access denied to a ComputeError naming the fix', async () => {
      // Prepare
      ec2.on(DescribeInstancesCommand).rejectsOnce(ec2Error('InternalError', 500)).rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).rejectsOnce(ec2Error('UnauthorizedOperation', 403));

      // Act
      const errors = [];
      for (let i = 0; i < 3; i += 1) errors.push(await compute().describeStack('eu-west-1', 'shop-eu').catch((e: unknown) => e));

      // Assess
      expect(errors[0]).toBeInstanceOf(ComputeUnavailableError);
      expect(errors[1]).toBeInstanceOf(ComputeUnavailableError);
      expect(errors[2]).toBeInstanceOf(ComputeError);
      expect((errors[2] as ComputeError).transient).toBe(false);
      expect((errors[2] as Error).message).toMatch(/DescribeInstances refused \(UnauthorizedOperation.*grant this EC2 action/);
    });

    it('refuses a malformed region before any call', async () => {
      await expect(compute().describeStack('Europe', 'shop-eu')).rejects.toBeInstanceOf(InvalidInputError);
      expect(ec2).not.toHaveReceivedCommand(DescribeInstancesCommand);
    });
  });

  describe('images', () => {
    const tags = cloneTags('drill-eu-us', 'shop-us', 'app1');

    it('createImage returns an image of the same name instead of making a second', async () => {
      // Prepare
      ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-already', Name: 'twinstack-c1-app1', State: 'pending' }] });

      // Act
      const result = await compute().createImage('eu-west-1', 'i-1', { name: 'twinstack-c1-app1', noReboot: true, tags });

      // Assess
      expect(result).toEqual({ imageId: 'ami-already' });
      expect(ec2).toHaveReceivedCommandWith(DescribeImagesCommand, { Owners: ['self'], Filters: [{ Name: 'name', Values: ['twinstack-c1-app1'] }] });
      expect(ec2).not.toHaveReceivedCommand(CreateImageCommand);
    });

    it('createImage creates with NoReboot and tags image and snapshots', async () => {
      // Prepare
      ec2.on(DescribeImagesCommand).resolves({ Images: [] });
      ec2.on(CreateImageCommand).resolves({ ImageId: 'ami-new' });

      // Act
      const result = await compute().createImage('eu-west-1', 'i-1', { name: 'twinstack-c1-app1', noReboot: false, tags });

      // Assess
      expect(result).toEqual({ imageId: 'ami-new' });
      const tagList = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
      expect(ec2).toHaveReceivedCommandWith(CreateImageCommand, {
        InstanceId: 'i-1',
        Name: 'twinstack-c1-app1',
        NoReboot: false,
        TagSpecifications: [
          { ResourceType: 'image', Tags: tagList },
          { ResourceType: 'snapshot', Tags: tagList },
        ],
      });
    });

    it('createImage that lost a race to a duplicate name returns the winner', async () => {
      // Prepare
      ec2.on(DescribeImagesCommand).resolvesOnce({ Images: [] }).resolves({ Images: [{ ImageId: 'ami-winner', State: 'pending' }] });
      ec2.on(CreateImageCommand).rejects(ec2Error('InvalidAMIName.Duplicate'));

      // Act / Assess
      await expect(compute().createImage('eu-west-1', 'i-1', { name: 'n', noReboot: true, tags })).resolves.toEqual({ imageId: 'ami-winner' });
    });

    it('copyImage copies encrypted with the target KMS key, by client token, tagged, in the target region', async () => {
      // Prepare
      const regions: string[] = [];
      const c = new Ec2Compute({ clientFor: (region) => (regions.push(region), new EC2Client({ region })) });
      ec2.on(DescribeImagesCommand).resolves({ Images: [] });
      ec2.on(CopyImageCommand).resolves({ ImageId: 'ami-copy' });

      // Act
      const result = await c.copyImage('eu-west-1', 'ami-src', 'us-east-2', { name: 'twinstack-c1-app1', kmsKeyId: 'arn:aws:kms:us-east-2:123456789012:key/k', clientToken: 'c1-app1-copy', tags });
      await c.imageState('us-east-2', 'ami-copy');

      // Assess
      expect(result).toEqual({ imageId: 'ami-copy' });
      expect(ec2).toHaveReceivedCommandWith(CopyImageCommand, {
        SourceImageId: 'ami-src',
        SourceRegion: 'eu-west-1',
        Encrypted: true,
        KmsKeyId: 'arn:aws:kms:us-east-2:123456789012:key/k',
        ClientToken: 'c1-app1-copy',
        TagSpecifications: expect.arrayContaining([expect.objectContaining({ ResourceType: 'image' })]) as never,
      });
      // One client per region, made once.
      expect(regions).toEqual(['eu-west-1', 'us-east-2']);
      const copyClient = ec2.commandCalls(CopyImageCommand)[0]?.thisValue as EC2Client;
      expect(await copyClient.config.region()).toBe('us-east-2');
    });

    it('copyImage refuses the same region and an empty KMS key before any call', async () => {
      await expect(compute().copyImage('eu-west-1', 'ami-src', 'eu-west-1', { name: 'n', kmsKeyId: 'k', clientToken: 't', tags })).rejects.toThrow(/targetRegion equals the source/);
      await expect(compute().copyImage('eu-west-1', 'ami-src', 'us-east-2', { name: 'n', kmsKeyId: '', clientToken: 't', tags })).rejects.toThrow(/kmsKeyId is empty/);
      expect(ec2).not.toHaveReceivedCommand(CopyImageCommand);
    });

    it('imageState answers missing for an id not yet visible, and maps states', async () => {
      // Prepare
      ec2
        .on(DescribeImagesCommand)
        .rejectsOnce(ec2Error('InvalidAMIID.NotFound'))
        .rejectsOnce(ec2Error('InvalidAMIID.Unavailable'))
        .resolvesOnce({ Images: [] })
        .resolvesOnce({ Images: [{ ImageId: 'ami-copy', State: 'pending' }] })
        .resolvesOnce({ Images: [{ ImageId: 'ami-copy', State: 'available' }] })
        .resolvesOnce({ Images: [{ ImageId: 'ami-copy', State: 'failed' }] });

      // Act
      const states = [];
      for (let i = 0; i < 6; i += 1) states.push(await compute().imageState('us-east-2', 'ami-copy'));

      // Assess
      expect(states).toEqual(['missing', 'missing', 'missing', 'pending', 'available', 'failed']);
    });

    it('deregisterImage deletes its snapshots, and a retry after the image went still finds them', async () => {
      // Prepare
      ec2.on(DescribeImagesCommand).resolvesOnce({ Images: [{ ImageId: 'ami-copy', State: 'available', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-1' } }] }] }).rejects(ec2Error('InvalidAMIID.NotFound'));
      ec2.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-1', Description: 'Copied for DestinationAmi ami-copy from SourceAmi ami-src' }] });
      ec2.on(DeregisterImageCommand).resolves({});
      ec2.on(DeleteSnapshotCommand).rejectsOnce(ec2Error('RequestLimitExceeded', 503)).resolves({});

      // Act
      const first = await compute().deregisterImage('us-east-2', 'ami-copy').catch((e: unknown) => e);
      await compute().deregisterImage('us-east-2', 'ami-copy');

      // Assess
      expect(first).toBeInstanceOf(ComputeUnavailableError);
      expect(ec2).toHaveReceivedCommandTimes(DeregisterImageCommand, 1);
      expect(ec2).toHaveReceivedCommandWith(DescribeSnapshotsCommand, { OwnerIds: ['self'], Filters: [{ Name: 'description', Values: ['*ami-copy*'] }] });
      expect(ec2).toHaveReceivedCommandTimes(DeleteSnapshotCommand, 2);
      expect(ec2).toHaveReceivedCommandWith(DeleteSnapshotCommand, { SnapshotId: 'snap-1' });
    });
  });

  describe('ensureSecurityGroup', () => {
    const spec = {
      name: 'web',
      description: 'web tier',
      ingress: [
        { protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['0.0.0.0/0'], ipv6Cidrs: [], groupIds: [], description: 'https' },
        { protocol: 'tcp', fromPort: 5432, toPort: 5432, cidrs: [], ipv6Cidrs: [], groupIds: ['sg-new-app'] },
      ],
      egress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['0.0.0.0/0'], ipv6Cidrs: [], groupIds: [] }],
      tags: cloneTags('c1', 'shop-us'),
    };

    it('creates the group, authorizes each rule and drops the default egress the source lacks', async () => {
      // Prepare
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
      ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-new-web' });
      ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
      ec2.on(AuthorizeSecurityGroupEgressCommand).resolves({});
      ec2.on(RevokeSecurityGroupEgressCommand).resolves({});

      // Act
      const result = await compute().ensureSecurityGroup('us-east-2', 'vpc-9', spec);

      // Assess
      expect(result).toEqual({ groupId: 'sg-new-web', created: true });
      expect(ec2).toHaveReceivedCommandWith(DescribeSecurityGroupsCommand, {
        Filters: [
          { Name: 'vpc-id', Values: ['vpc-9'] },
          { Name: 'group-name', Values: ['web'] },
          { Name: 'tag:twinstack:clone', Values: ['c1'] },
        ],
      });
      expect(ec2).toHaveReceivedCommandWith(CreateSecurityGroupCommand, { GroupName: 'web', VpcId: 'vpc-9', TagSpecifications: [{ ResourceType: 'security-group', Tags: expect.arrayContaining([{ Key: 'twinstack:clone', Value: 'c1' }]) as never }] });
      expect(ec2).toHaveReceivedCommandTimes(AuthorizeSecurityGroupIngressCommand, 2);
      expect(ec2).toHaveReceivedCommandWith(AuthorizeSecurityGroupIngressCommand, { GroupId: 'sg-new-web', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'https' }] }] });
      expect(ec2).toHaveReceivedCommandWith(AuthorizeSecurityGroupIngressCommand, { GroupId: 'sg-new-web', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-new-app' }] }] });
      expect(ec2).toHaveReceivedCommandWith(RevokeSecurityGroupEgressCommand, { GroupId: 'sg-new-web', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] });
    });

    it('after a partial failure (one authorize refused), a retry finds the group and completes; duplicates are success', async () => {
      // Prepare: first attempt creates, the second rule fails; the retry finds the group and re-authorizes.
      ec2.on(DescribeSecurityGroupsCommand).resolvesOnce({ SecurityGroups: [] }).resolves({ SecurityGroups: [{ GroupId: 'sg-new-web', GroupName: 'web' }] });
      ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-new-web' });
      ec2
        .on(AuthorizeSecurityGroupIngressCommand)
        .resolvesOnce({})
        .rejectsOnce(ec2Error('InvalidGroup.NotFound'))
        .rejectsOnce(ec2Error('InvalidPermission.Duplicate'))
        .resolves({});
      ec2.on(AuthorizeSecurityGroupEgressCommand).rejects(ec2Error('InvalidPermission.Duplicate'));
      ec2.on(RevokeSecurityGroupEgressCommand).rejects(ec2Error('InvalidPermission.NotFound'));

      // Act
      const first = await compute().ensureSecurityGroup('us-east-2', 'vpc-9', spec).catch((e: unknown) => e);
      const second = await compute().ensureSecurityGroup('us-east-2', 'vpc-9', spec);

      // Assess
      expect(first).toBeInstanceOf(ComputeError);
      expect((first as Error).message).toMatch(/AuthorizeSecurityGroupIngress \(tcp 5432-5432\) refused \(InvalidGroup.NotFound/);
      expect(second).toEqual({ groupId: 'sg-new-web', created: false });
      expect(ec2).toHaveReceivedCommandTimes(CreateSecurityGroupCommand, 1);
      expect(ec2).toHaveReceivedCommandTimes(AuthorizeSecurityGroupIngressCommand, 4);
    });

    it('keeps the default egress when the source group had it', async () => {
      // Prepare
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
      ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-new-web' });
      ec2.on(AuthorizeSecurityGroupEgressCommand).rejects(ec2Error('InvalidPermission.Duplicate'));

      // Act
      await compute().ensureSecurityGroup('us-east-2', 'vpc-9', { ...spec, ingress: [], egress: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], ipv6Cidrs: [], groupIds: [] }] });

      // Assess
      expect(ec2).not.toHaveReceivedCommand(RevokeSecurityGroupEgressCommand);
    });

    it('refuses a spec without the clone tag (it could not be found again on resume)', async () => {
      await expect(compute().ensureSecurityGroup('us-east-2', 'vpc-9', { ...spec, tags: {} })).rejects.toThrow(/tags lack twinstack:clone/);
      expect(ec2).not.toHaveReceivedCommand(CreateSecurityGroupCommand);
    });
  });

  describe('instances', () => {
    const launch = {
      clientToken: 'c1-app1',
      imageId: 'ami-copy',
      instanceType: 't3.small',
      subnetId: 'subnet-b',
      securityGroupIds: ['sg-new-web'],
      instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/app',
      keyName: 'ops',
      volumes: [{ device: '/dev/xvda', sizeGiB: 30, volumeType: 'gp3', encrypted: true, iops: 3000, throughput: 125 }],
      tags: cloneTags('c1', 'shop-us', 'app1'),
    };

    it('runInstance launches one instance by client token, with profile, key, volumes and tags', async () => {
      // Prepare
      ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-new' }] });

      // Act
      const first = await compute().runInstance('us-east-2', launch);
      const retried = await compute().runInstance('us-east-2', launch);

      // Assess
      expect(first).toEqual({ instanceId: 'i-new' });
      expect(retried).toEqual(first);
      const tagList = Object.entries(launch.tags).map(([Key, Value]) => ({ Key, Value }));
      expect(ec2).toHaveReceivedCommandWith(RunInstancesCommand, {
        ClientToken: 'c1-app1',
        ImageId: 'ami-copy',
        InstanceType: 't3.small',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: 'subnet-b',
        SecurityGroupIds: ['sg-new-web'],
        IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/app' },
        KeyName: 'ops',
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: 30, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: true, Iops: 3000, Throughput: 125 } }],
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tagList },
          { ResourceType: 'volume', Tags: tagList },
        ],
      });
      // Both calls carry the same token: EC2 answers the first instance again.
      expect(ec2.commandCalls(RunInstancesCommand).map((c) => c.args[0].input.ClientToken)).toEqual(['c1-app1', 'c1-app1']);
    });

    it('runInstance with a reused token and other parameters is a ComputeError naming the fix', async () => {
      ec2.on(RunInstancesCommand).rejects(ec2Error('IdempotentParameterMismatch'));
      await expect(compute().runInstance('us-east-2', launch)).rejects.toThrow(/start a new clone id/);
    });

    it('describeInstances absorbs InvalidInstanceID.NotFound right after launch, bounded', async () => {
      // Prepare
      ec2
        .on(DescribeInstancesCommand)
        .rejectsOnce(ec2Error('InvalidInstanceID.NotFound'))
        .rejectsOnce(ec2Error('InvalidInstanceID.NotFound'))
        .resolves({ Reservations: [{ Instances: [instance('i-new', 'app1', { State: { Name: 'pending' } })] }] });
      ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: 'vol-i-new', Size: 30, VolumeType: 'gp3', Encrypted: true }] });

      // Act
      const instances = await compute().describeInstances('us-east-2', ['i-new']);

      // Assess
      expect(instances.map((i) => [i.id, i.state])).toEqual([['i-new', 'pending']]);
      expect(sleeps).toEqual([100, 200]);
    });

    it('describeInstances gives up after its bound with a ComputeError', async () => {
      ec2.on(DescribeInstancesCommand).rejects(ec2Error('InvalidInstanceID.NotFound'));
      await expect(compute().describeInstances('us-east-2', ['i-gone'])).rejects.toBeInstanceOf(ComputeError);
      expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 4);
    });

    it('findCloned lists instances, images and groups by the clone tag, every page', async () => {
      // Prepare
      ec2.on(DescribeInstancesCommand).resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-a' }] }], NextToken: 't' }).resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-b' }] }] });
      ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: 'ami-copy' }] });
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-new-web' }] });

      // Act
      const found = await compute().findCloned('us-east-2', 'c1');

      // Assess
      expect(found).toEqual({ instanceIds: ['i-a', 'i-b'], imageIds: ['ami-copy'], securityGroupIds: ['sg-new-web'] });
      expect(ec2).toHaveReceivedCommandWith(DescribeImagesCommand, { Owners: ['self'], Filters: [{ Name: 'tag:twinstack:clone', Values: ['c1'] }] });
    });

    it('terminateInstances is idempotent: an id already gone does not stop the others', async () => {
      // Prepare
      ec2.on(TerminateInstancesCommand, { InstanceIds: ['i-a', 'i-gone'] }).rejects(ec2Error('InvalidInstanceID.NotFound'));
      ec2.on(TerminateInstancesCommand, { InstanceIds: ['i-gone'] }).rejects(ec2Error('InvalidInstanceID.NotFound'));
      ec2.on(TerminateInstancesCommand, { InstanceIds: ['i-a'] }).resolves({ TerminatingInstances: [{ InstanceId: 'i-a' }] });

      // Act
      await compute().terminateInstances('us-east-2', ['i-a', 'i-gone']);
      await compute().terminateInstances('us-east-2', []);

      // Assess
      expect(ec2).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: ['i-a'] });
      expect(ec2).toHaveReceivedCommandTimes(TerminateInstancesCommand, 3);
    });
  });

  describe('hostKeyOf', () => {
    it('reads the ed25519 key cloud-init printed to the console and fingerprints it as ssh-keygen does', async () => {
      // Prepare
      ec2.on(GetConsoleOutputCommand).resolves({ InstanceId: 'i-new', Output: Buffer.from(consoleText).toString('base64') });

      // Act
      const fingerprint = await compute().hostKeyOf('us-east-2', 'i-new');

      // Assess
      expect(ED25519_FINGERPRINT).toMatch(/^SHA256:/);
      expect(fingerprint).toBe(ED25519_FINGERPRINT);
      expect(ec2).toHaveReceivedCommandWith(GetConsoleOutputCommand, { InstanceId: 'i-new', Latest: true });
    });

    it('is undefined while nothing (or only half a block) was printed', async () => {
      // Prepare
      const half = consoleText.slice(0, consoleText.indexOf('-----END SSH HOST KEY FINGERPRINTS-----'));
      ec2.on(GetConsoleOutputCommand).resolvesOnce({ InstanceId: 'i-new' }).resolvesOnce({ Output: Buffer.from(half).toString('base64') }).rejectsOnce(ec2Error('InvalidInstanceID.NotFound'));

      // Act / Assess
      await expect(compute().hostKeyOf('us-east-2', 'i-new')).resolves.toBeUndefined();
      await expect(compute().hostKeyOf('us-east-2', 'i-new')).resolves.toBeUndefined();
      await expect(compute().hostKeyOf('us-east-2', 'i-new')).resolves.toBeUndefined();
    });

    it('falls back to the printed fingerprint when the keys block is absent', () => {
      const onlyFingerprints = consoleText.slice(0, consoleText.indexOf('-----BEGIN SSH HOST KEY KEYS-----'));
      expect(hostKeyFromConsoleOutput(onlyFingerprints)).toBe(ED25519_FINGERPRINT);
    });

    it('takes the last boot, and refuses keys that disagree with their printed fingerprints', () => {
      const lines = consoleText.split('\n');
      const ed25519Line = lines.find((l) => l.startsWith('ssh-ed25519 ')) ?? '';
      const otherKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aOqjfbXWWOHzhvNQ7Qb3cUq3fO1Ycd2XJ0Wqd root@evil';
      expect(() => hostKeyFromConsoleOutput(consoleText.replace(ed25519Line, otherKey))).toThrow(ComputeError);
      // An earlier boot's block before the latest one: the latest wins.
      const earlier = consoleText.replace(ed25519Line, otherKey).replace(/\(ED25519\)/, '(OLD)');
      expect(hostKeyFromConsoleOutput(`${earlier}\n${consoleText}`)).toBe(ED25519_FINGERPRINT);
    });
  });
});
