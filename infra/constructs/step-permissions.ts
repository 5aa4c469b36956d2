import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Capability } from '../../functions/handlers/step-catalog.ts';
import type { GroupAwaitingTwin } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { computeStatementsFor } from './compute-permissions.ts';

/**
 * A policy statement plus the cdk-nag IAM5 findings its wildcards cause, each with
 * the reason the wildcard is needed (the caller acknowledges exactly these).
 */
export interface ScopedStatement {
  readonly statement: iam.PolicyStatement;
  readonly wildcards: readonly { readonly finding: string; readonly reason: string }[];
}

/** `Z123` for `/hostedzone/Z123` or `Z123`. */
export function bareZoneId(hostedZoneId: string): string {
  return hostedZoneId.replace(/^\/?hostedzone\//, '');
}

/** Route 53 compares lower-case names without the trailing dot. */
export function normalizeRecordName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** What cdk-nag prints for an ARN built by `formatArn` in an env-agnostic-account stack. */
function nagArn(service: string, region: string, resource: string): string {
  return `arn:<AWS::Partition>:${service}:${region}:<AWS::AccountId>:${resource}`;
}

/**
 * The narrowest IAM statements for one step's capabilities over the given groups.
 *
 * Invariants:
 * - no capability → no statement (the function keeps only its logs and X-Ray);
 * - 'ssh' and 'http' are network-only, except that 'ssh' reads the group's SSH
 *   private key (`/twinstack/<group>/ssh/private-key`), without which no SSH step can log in;
 * - SSM resources are per group and per parameter or subtree, never `/twinstack/*`;
 * - KMS use is limited to SSM (`kms:ViaService`) and to the parameters of the
 *   capability (`kms:EncryptionContext:PARAMETER_ARN`, which SSM always sets);
 * - route53 changes are limited to the group zones, the group record names and A/CNAME;
 *   'dns:write' includes 'dns:read' (ListResourceRecordSets on the same zones): a writer observes first;
 * - 'deploy:write' includes 'deploy:read' (GetParameter of `<group>/deploy/state`);
 * - 'lease' adds nothing here: the stack that owns the lease table grants on that one table;
 * - only the group's name, databases, DNS zone and primary are used, so a group awaiting its
 *   twin (`GroupAwaitingTwin`) is accepted: ControlStack passes it to clone-stack's steps only;
 * - `configOnly` (groups awaiting their twin, for every other step): 'config:read' reads their
 *   config parameter and nothing else of theirs, so that loadGroup can refuse them with
 *   twinNotClonedMessage instead of failing AccessDenied.
 */
export function statementsFor(scope: Stack, capabilities: readonly Capability[], groups: readonly GroupAwaitingTwin[], configOnly: readonly string[] = []): ScopedStatement[] {
  const region = scope.region;
  const parameterArn = (name: string) =>
    scope.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const nagParameter = (name: string) => nagArn('ssm', region, `parameter${name}`);
  const kmsKeys = scope.formatArn({ service: 'kms', resource: 'key', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const kmsWildcard = {
    finding: `Resource::${nagArn('kms', region, 'key/*')}`,
    reason:
      'The AWS-managed aws/ssm key has no id known at synth time; use is limited to SSM (kms:ViaService) and to this capability\'s parameters (kms:EncryptionContext:PARAMETER_ARN).',
  };
  const has = (c: Capability) => capabilities.includes(c);
  const out: ScopedStatement[] = [];
  const configOnlyRead = () => ({ statement: new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: configOnly.map((name) => parameterArn(parameterNames.config(name))) }), wildcards: [] });
  // No group to act on (every group awaits its clone and this step is not clone-stack's): only the refusal read.
  if (groups.length === 0) return has('config:read') && configOnly.length > 0 ? [configOnlyRead()] : [];

  /** Parameters under a subtree: `<prefix>/*` (with its IAM5 acknowledgement). */
  const subtree = (prefix: string, why: string) => ({
    arn: parameterArn(`${prefix}/*`),
    finding: { finding: `Resource::${nagParameter(`${prefix}/*`)}`, reason: why },
  });

  const kms = (action: string, parameterArns: string[]) => ({
    statement: new iam.PolicyStatement({
      actions: [action],
      resources: [kmsKeys],
      conditions: {
        StringEquals: { 'kms:ViaService': `ssm.${region}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': parameterArns },
      },
    }),
    wildcards: [kmsWildcard],
  });

  if (has('config:read')) {
    out.push({
      statement: new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: groups.flatMap((g) => [
          parameterArn(parameterNames.config(g.name)),
          parameterArn(parameterNames.state(g.name)),
          ...g.databases.map((db) => parameterArn(parameterNames.observation(g.name, db.name))),
        ]),
      }),
      wildcards: [],
    });
    if (configOnly.length > 0) out.push(configOnlyRead());
  }
  if (has('state:write')) {
    out.push({
      statement: new iam.PolicyStatement({
        actions: ['ssm:PutParameter'],
        resources: groups.flatMap((g) => [parameterArn(parameterNames.state(g.name)), ...g.databases.map((db) => parameterArn(parameterNames.observation(g.name, db.name)))]),
      }),
      wildcards: [],
    });
  }

  const secretsPrefix = (g: GroupAwaitingTwin) => `${parameterNames.groupPrefix(g.name)}/secrets`;
  const secrets = groups.map((g) => subtree(secretsPrefix(g), 'Secrets are per database (<group>/secrets/<db>/<secret>); the subtree of one group is the narrowest stable scope.'));
  if (has('secrets:read')) {
    out.push({
      statement: new iam.PolicyStatement({
        actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
        // GetParametersByPath is authorised on the path itself.
        resources: [...secrets.map((s) => s.arn), ...groups.map((g) => parameterArn(secretsPrefix(g)))],
      }),
      wildcards: secrets.map((s) => s.finding),
    });
    out.push(kms('kms:Decrypt', secrets.map((s) => s.arn)));
  }
  if (has('secrets:write')) {
    out.push({ statement: new iam.PolicyStatement({ actions: ['ssm:PutParameter'], resources: secrets.map((s) => s.arn) }), wildcards: secrets.map((s) => s.finding) });
    out.push(kms('kms:Encrypt', secrets.map((s) => s.arn)));
  }
  if (has('env:write')) {
    const env = groups.map((g) => subtree(`${parameterNames.groupPrefix(g.name)}/env`, 'Env vars are per stack and variable (<group>/env/<stack>/<VAR>), named by the apps; the subtree of one group is the narrowest stable scope.'));
    out.push({ statement: new iam.PolicyStatement({ actions: ['ssm:PutParameter'], resources: env.map((e) => e.arn) }), wildcards: env.map((e) => e.finding) });
    out.push(kms('kms:Encrypt', env.map((e) => e.arn)));
  }
  if (has('env:read')) {
    const env = groups.map((g) => subtree(`${parameterNames.groupPrefix(g.name)}/env`, 'Env vars are per stack and variable (<group>/env/<stack>/<VAR>), named by the apps; the subtree of one group is the narrowest stable scope.'));
    out.push({
      statement: new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        // GetParametersByPath is authorised on the path itself (DeployHost reads <group>/env/<stack>).
        resources: [...env.map((e) => e.arn), ...groups.map((g) => parameterArn(`${parameterNames.groupPrefix(g.name)}/env`))],
      }),
      wildcards: env.map((e) => e.finding),
    });
    out.push(kms('kms:Decrypt', env.map((e) => e.arn)));
  }
  // 'deploy:write' observes before it acts (RequestDeploy, PlanDeploy read-modify-write the deploy state).
  if (has('deploy:read') || has('deploy:write')) {
    out.push({ statement: new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: groups.flatMap((g) => [parameterArn(parameterNames.deployState(g.name)), parameterArn(parameterNames.deployDesired(g.name))]) }), wildcards: [] });
  }
  if (has('deploy:write')) {
    out.push({ statement: new iam.PolicyStatement({ actions: ['ssm:PutParameter'], resources: groups.flatMap((g) => [parameterArn(parameterNames.deployState(g.name)), parameterArn(parameterNames.deployDesired(g.name))]) }), wildcards: [] });
  }
  // 'lease' gets no statement here: ControlStack owns the lease table and grants PutItem/DeleteItem on it.
  if (has('ssh')) {
    const keys = groups.map((g) => parameterArn(parameterNames.sshPrivateKey(g.name)));
    out.push({ statement: new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: keys }), wildcards: [] });
    out.push(kms('kms:Decrypt', keys));
  }

  const zones = zonesOf(groups);
  const zoneArn = (id: string) => `arn:${scope.partition}:route53:::hostedzone/${id}`;
  // 'dns:write' observes before it acts (steps are idempotent: SwitchDns reads the current record
  // first), so it includes the read; the catalog lists only 'dns:write' for SwitchDns.
  if (has('dns:read') || has('dns:write')) {
    out.push({ statement: new iam.PolicyStatement({ actions: ['route53:ListResourceRecordSets'], resources: [...zones.keys()].map(zoneArn) }), wildcards: [] });
  }
  if (has('dns:write')) {
    for (const [zoneId, names] of zones) {
      out.push({
        statement: new iam.PolicyStatement({
          actions: ['route53:ChangeResourceRecordSets'],
          resources: [zoneArn(zoneId)],
          conditions: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [...names],
              'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'CNAME'],
            },
          },
        }),
        wildcards: [],
      });
    }
    out.push({
      statement: new iam.PolicyStatement({ actions: ['route53:GetChange'], resources: [`arn:${scope.partition}:route53:::change/*`] }),
      wildcards: [{ finding: 'Resource::arn:<AWS::Partition>:route53:::change/*', reason: 'Change ids are generated by Route 53 per ChangeResourceRecordSets call; GetChange only reads their status.' }],
    });
  }
  // The clone-stack capabilities (compute:read/write, params:copy, config:write): compute-permissions.ts.
  out.push(...computeStatementsFor(scope, capabilities, groups));
  return out;
}

/** Hosted zone id → normalized record names of the groups in it (groups without a zone id are skipped). */
export function zonesOf(groups: readonly GroupAwaitingTwin[]): Map<string, Set<string>> {
  const zones = new Map<string, Set<string>>();
  for (const g of groups) {
    if (!g.dns.hostedZoneId) continue;
    const id = bareZoneId(g.dns.hostedZoneId);
    const names = zones.get(id) ?? new Set<string>();
    names.add(normalizeRecordName(g.dns.name));
    zones.set(id, names);
  }
  return zones;
}
