import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CLONE_TAG, STACK_TAG } from '../../functions/core/compute.ts';
import type { GroupAwaitingTwin } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import type { Capability } from '../../functions/handlers/step-catalog.ts';
import type { ScopedStatement } from './step-permissions.ts';

/**
 * The IAM of the clone-stack capabilities (`compute:read`, `compute:write`, `params:copy`,
 * `config:write`). A clone works in two regions that are not known at synth time (the
 * source stack's and the one the operator names), so ARNs have region `*`; everything a
 * clone creates carries `twinstack:clone` (core/compute.ts), so:
 * - creating is allowed only with that tag in the request (`aws:RequestTag/twinstack:clone`),
 *   and CreateTags only as part of a create call (`ec2:CreateAction`);
 * - destroying (TerminateInstances, DeregisterImage, DeleteSnapshot) and changing rules
 *   only on resources that carry it (`ec2:ResourceTag/twinstack:clone`);
 * - CreateImage only of instances tagged `twinstack:stack=<a group's primary>`;
 * - iam:PassRole only to EC2 (the instance profiles are read from the source instances);
 * - KMS (the target key re-encrypting the copied snapshots) only through EC2 (`kms:ViaService`);
 * - Describe* on `*`: EC2's Describe actions support no resource-level permissions.
 * Only each group's name and primary stack are used: a group awaiting its twin is accepted.
 */
export function computeStatementsFor(scope: Stack, capabilities: readonly Capability[], groups: readonly GroupAwaitingTwin[]): ScopedStatement[] {
  const has = (c: Capability) => capabilities.includes(c);
  const out: ScopedStatement[] = [];
  const ec2 = (resource: string) => scope.formatArn({ service: 'ec2', region: '*', resource, resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const ec2Image = `arn:${scope.partition}:ec2:*::image/*`;
  const ec2Snapshot = `arn:${scope.partition}:ec2:*::snapshot/*`;
  const nag = (resource: string) => `Resource::arn:<AWS::Partition>:ec2:*:<AWS::AccountId>:${resource}/*`;
  const nagPublic = (resource: string) => `Resource::arn:<AWS::Partition>:ec2:*::${resource}/*`;
  const tagged = { StringLike: { [`ec2:ResourceTag/${CLONE_TAG}`]: 'tc-*' } };
  const requested = { StringLike: { [`aws:RequestTag/${CLONE_TAG}`]: 'tc-*' } };
  const why = {
    region: 'A clone reads the source region and writes the target region, neither known at synth time; ',
    created: 'only with the twinstack:clone tag in the request (aws:RequestTag), which every resource a clone makes carries.',
    owned: 'only resources that carry the twinstack:clone tag (ec2:ResourceTag): what a clone made.',
  };

  if (has('compute:read') || has('compute:write')) {
    out.push({
      statement: new iam.PolicyStatement({
        actions: ['ec2:DescribeInstances', 'ec2:DescribeImages', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots'],
        resources: ['*'],
      }),
      wildcards: [{ finding: 'Resource::*', reason: 'EC2 Describe* actions support no resource-level permissions (AWS service authorization reference); they only read.' }],
    });
  }
  if (has('compute:read')) {
    out.push({
      statement: new iam.PolicyStatement({ actions: ['ec2:GetConsoleOutput'], resources: [ec2('instance')], conditions: tagged }),
      wildcards: [{ finding: nag('instance'), reason: `${why.region}the host key is read from the console output of ${why.owned}` }],
    });
  }
  if (has('compute:write')) {
    const primaries = groups.map((g) => g.primary.name);
    out.push({
      statement: new iam.PolicyStatement({ actions: ['ec2:CreateImage'], resources: [ec2('instance')], conditions: { StringEquals: { [`ec2:ResourceTag/${STACK_TAG}`]: primaries } } }),
      wildcards: [{ finding: nag('instance'), reason: `${why.region}images are made only of instances tagged twinstack:stack=<a group's primary stack>.` }],
    });
    out.push({
      statement: new iam.PolicyStatement({ actions: ['ec2:CreateImage', 'ec2:CopyImage'], resources: [ec2Image, ec2Snapshot], conditions: requested }),
      wildcards: [
        { finding: nagPublic('image'), reason: `${why.region}images and snapshots are created ${why.created}` },
        { finding: nagPublic('snapshot'), reason: `${why.region}images and snapshots are created ${why.created}` },
      ],
    });
    // CopyImage reads the source image, RunInstances uses the copy, a subnet, groups and a key pair: not created, so no tag to require.
    out.push({
      statement: new iam.PolicyStatement({ actions: ['ec2:CopyImage', 'ec2:RunInstances'], resources: [ec2Image, ec2('subnet'), ec2('security-group'), ec2('key-pair')] }),
      wildcards: [
        { finding: nagPublic('image'), reason: `${why.region}the images copied and launched are named by the clone's plan at run time.` },
        { finding: nag('subnet'), reason: `${why.region}the target subnets are given by the operator at run time.` },
        { finding: nag('security-group'), reason: `${why.region}the clone's security groups get their ids when it makes them.` },
        { finding: nag('key-pair'), reason: `${why.region}the key pair is the source instance's, read at run time.` },
      ],
    });
    out.push({
      statement: new iam.PolicyStatement({ actions: ['ec2:RunInstances', 'ec2:CreateSecurityGroup'], resources: [ec2('instance'), ec2('volume'), ec2('network-interface'), ec2('security-group')], conditions: requested }),
      wildcards: ['instance', 'volume', 'network-interface', 'security-group'].map((r) => ({ finding: nag(r), reason: `${why.region}instances, their volumes and interfaces, and security groups are created ${why.created}` })),
    });
    out.push({
      statement: new iam.PolicyStatement({ actions: ['ec2:CreateSecurityGroup'], resources: [ec2('vpc')] }),
      wildcards: [{ finding: nag('vpc'), reason: `${why.region}the target VPC is given by the operator at run time.` }],
    });
    out.push({
      statement: new iam.PolicyStatement({
        actions: ['ec2:CreateTags'],
        resources: [ec2('instance'), ec2('volume'), ec2('network-interface'), ec2('security-group'), ec2Image, ec2Snapshot],
        conditions: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateImage', 'CopyImage', 'CreateSecurityGroup'] } },
      }),
      wildcards: [...['instance', 'volume', 'network-interface', 'security-group'].map(nag), nagPublic('image'), nagPublic('snapshot')].map((finding) => ({ finding, reason: `${why.region}tags are written only by the call that creates the resource (ec2:CreateAction).` })),
    });
    out.push({
      statement: new iam.PolicyStatement({
        actions: ['ec2:TerminateInstances', 'ec2:DeregisterImage', 'ec2:DeleteSnapshot', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress'],
        resources: [ec2('instance'), ec2Image, ec2Snapshot, ec2('security-group')],
        conditions: tagged,
      }),
      wildcards: [nag('instance'), nagPublic('image'), nagPublic('snapshot'), nag('security-group')].map((finding) => ({ finding, reason: `${why.region}rollback and rule changes touch ${why.owned}` })),
    });
    out.push({
      statement: new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [scope.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })], conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } }),
      wildcards: [{ finding: 'Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*', reason: "The twin's instances get the source instances' instance profiles, read at run time; the role can only be passed to EC2 (iam:PassedToService)." }],
    });
    out.push({
      statement: new iam.PolicyStatement({
        actions: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        resources: [scope.formatArn({ service: 'kms', region: '*', resource: 'key', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
        conditions: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } },
      }),
      wildcards: [{ finding: 'Resource::arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*', reason: "The copied images' target KMS key is given by the operator at run time; it is usable only through EC2 (kms:ViaService)." }],
    });
  }
  const parameterArn = (region: string, name: string) => scope.formatArn({ service: 'ssm', region, resource: 'parameter', resourceName: name.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  if (has('params:copy')) {
    const env = groups.map((g) => `${parameterNames.groupPrefix(g.name)}/env`);
    const reason = `${why.region}only the group's env subtree (<group>/env/<stack>/<VAR>) is read there and written in the other.`;
    out.push({
      statement: new iam.PolicyStatement({ actions: ['ssm:GetParametersByPath', 'ssm:PutParameter'], resources: env.flatMap((p) => [parameterArn('*', p), parameterArn('*', `${p}/*`)]) }),
      wildcards: env.map((p) => ({ finding: `Resource::arn:<AWS::Partition>:ssm:*:<AWS::AccountId>:parameter${p}/*`, reason })).concat(env.map((p) => ({ finding: `Resource::arn:<AWS::Partition>:ssm:*:<AWS::AccountId>:parameter${p}`, reason }))),
    });
    out.push({
      statement: new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt'],
        resources: [scope.formatArn({ service: 'kms', region: '*', resource: 'key', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
        conditions: { StringLike: { 'kms:ViaService': 'ssm.*.amazonaws.com', 'kms:EncryptionContext:PARAMETER_ARN': env.map((p) => parameterArn('*', `${p}/*`)) } },
      }),
      wildcards: [{ finding: 'Resource::arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*', reason: "SecureStrings are re-encrypted by each region's aws/ssm key, unknown at synth time; only through SSM and only for the group's env parameters." }],
    });
  }
  if (has('config:write')) {
    out.push({ statement: new iam.PolicyStatement({ actions: ['ssm:PutParameter'], resources: groups.map((g) => parameterArn(scope.region, parameterNames.config(g.name))) }), wildcards: [] });
  }
  return out;
}
