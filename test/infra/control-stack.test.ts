import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TwinstackConfig } from '../../functions/core/model.ts';
import { STEPS, placeholderOf, type Capability } from '../../functions/handlers/step-catalog.ts';
import { InvalidConstructPropsError } from '../../infra/constructs/construct-props-error.ts';
import { createControlApp } from '../../infra/stacks/control-app.ts';
import { CONTROL_WORKFLOWS, PROJECT_ROOT, type ControlStack } from '../../infra/stacks/control-stack.ts';
import { AWAITING_CONFIG, BLOG_ZONE_ID, CONTROL_REGION, FIXTURE_CONFIG, SHOP_ZONE_ID } from './fixtures/twinstack-config.fixture.ts';

/** Skips esbuild: these tests read the template; bundling is covered in step-function.test.ts. */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

/** Actions AWS accepts only on `*`, and why we use them. */
const STAR_ALLOWED = new Set([
  'xray:PutTraceSegments', // X-Ray tracing: no resource-level permissions
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery', // Step Functions vended log delivery: no resource-level permissions
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'ec2:DescribeInstances', // clone-stack: EC2 Describe actions support no resource-level permissions
  'ec2:DescribeImages',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVolumes',
  'ec2:DescribeSnapshots',
  'cloudwatch:PutMetricData', // the routing gate: no resources, scoped by the cloudwatch:namespace condition (asserted below)
]);

/** The actions each capability must (and may only) add, over and above logs and X-Ray. */
const ACTIONS_OF: Record<Capability, readonly string[]> = {
  'config:read': ['ssm:GetParameter'],
  'state:write': ['ssm:PutParameter'],
  'secrets:read': ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'kms:Decrypt'],
  'secrets:write': ['ssm:PutParameter', 'kms:Encrypt'],
  'env:write': ['ssm:PutParameter', 'kms:Encrypt'],
  'dns:read': ['route53:ListResourceRecordSets'],
  'dns:write': ['route53:ChangeResourceRecordSets', 'route53:GetChange', 'route53:ListResourceRecordSets'], // observes before it acts
  ssh: ['ssm:GetParameter', 'kms:Decrypt'],
  http: [],
  'env:read': ['ssm:GetParametersByPath', 'kms:Decrypt'],
  'deploy:read': ['ssm:GetParameter'],
  'deploy:write': ['ssm:GetParameter', 'ssm:PutParameter'], // observes before it acts
  lease: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], // on the lease table, granted by ControlStack
  // clone-stack (infra/constructs/compute-permissions.ts)
  'config:write': ['ssm:PutParameter'],
  'compute:read': ['ec2:DescribeInstances', 'ec2:DescribeImages', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots', 'ec2:GetConsoleOutput'],
  'compute:write': [
    'ec2:DescribeInstances', 'ec2:DescribeImages', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVolumes', 'ec2:DescribeSnapshots',
    'ec2:CreateImage', 'ec2:CopyImage', 'ec2:RunInstances', 'ec2:CreateSecurityGroup', 'ec2:CreateTags',
    'ec2:TerminateInstances', 'ec2:DeregisterImage', 'ec2:DeleteSnapshot', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress',
    'iam:PassRole', 'kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
  ],
  'params:copy': ['ssm:GetParametersByPath', 'ssm:PutParameter', 'kms:Decrypt', 'kms:Encrypt'],
};
const BASELINE_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Replaces `{Fn::GetAtt: [id, 'Arn']}`, `{Ref}` and `{Fn::Join}` by readable strings. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Ref']) return `<${v['Ref'] as string}>`;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(sep);
  }
  return JSON.stringify(value);
}

describe('ControlStack', () => {
  let stack: ControlStack;
  let template: Template;
  let resources: Record<string, { Type: string; Properties: Json }>;
  let nagViolations: { ruleName: string; paths: string[] }[];

  beforeAll(() => {
    // Prepare (once per file: synth is the slow part)
    const built = createControlApp(FIXTURE_CONFIG, { context: NO_BUNDLING, nag: false });
    stack = built.stack;
    template = Template.fromStack(stack);
    resources = template.toJSON()['Resources'] as typeof resources;
    nagViolations = new AwsSolutionsChecks().validateScope(built.app).violations.map((v) => ({
      ruleName: v.ruleName,
      paths: v.violatingResources.map((r) => r.constructPath ?? '?'),
    }));
  });

  const logicalIdOf = (placeholder: string) => stack.getLogicalId(stack.functions[placeholder]!.node.defaultChild as never);
  const statementsOfFunction = (state: string): Statement[] => {
    const fn = resources[logicalIdOf(placeholderOf(state))]!;
    const roleId = ((fn.Properties['Role'] as Json)['Fn::GetAtt'] as string[])[0]!;
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties['Roles'] as Json[]).some((ref) => ref['Ref'] === roleId))
      .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
  };

  describe('workflows', () => {
    it.each(CONTROL_WORKFLOWS)('%s: DefinitionString is the ASL file, with every placeholder bound to its step function', (name) => {
      // Prepare
      const asl = JSON.parse(readFileSync(join(PROJECT_ROOT, 'statemachines', `${name}.asl.json`), 'utf8')) as unknown;
      const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties['StateMachineName'] === `twinstack-${name}`)!;

      // Act
      const definition = JSON.parse(machine.Properties['DefinitionString'] as string) as unknown;
      const substitutions = machine.Properties['DefinitionSubstitutions'] as Record<string, unknown>;
      const used = [...new Set([...JSON.stringify(asl).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))];

      // Assess
      expect(definition).toEqual(asl);
      expect(Object.keys(substitutions).sort()).toEqual([...used].sort());
      for (const placeholder of used) {
        expect(substitutions[placeholder]).toEqual({ 'Fn::GetAtt': [logicalIdOf(placeholder), 'Arn'] });
      }
    });

    it.each(CONTROL_WORKFLOWS)('%s: STANDARD, logs ALL without execution data to an encrypted log group, X-Ray on', (name) => {
      // Act
      const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties['StateMachineName'] === `twinstack-${name}`)!;
      const logging = machine.Properties['LoggingConfiguration'] as { Level: string; IncludeExecutionData: boolean; Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: Json } }[] };
      const logGroupId = (logging.Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'] as string[])[0]!;

      // Assess
      expect(machine.Properties['StateMachineType']).toBe('STANDARD');
      expect(logging.Level).toBe('ALL');
      expect(logging.IncludeExecutionData).toBe(false);
      expect(machine.Properties['TracingConfiguration']).toEqual({ Enabled: true });
      expect(resources[logGroupId]!.Properties['KmsKeyId']).toBeDefined();
      expect(resources[logGroupId]!.Properties['RetentionInDays']).toBeGreaterThan(0);
    });

    it.each(CONTROL_WORKFLOWS)('%s: the role invokes exactly the functions of its file', (name) => {
      // Prepare
      const text = readFileSync(join(PROJECT_ROOT, 'statemachines', `${name}.asl.json`), 'utf8');
      const expected = [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => `<${logicalIdOf(m[1]!)}.Arn>`))].sort();
      const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties['StateMachineName'] === `twinstack-${name}`)!;
      const roleId = ((machine.Properties['RoleArn'] as Json)['Fn::GetAtt'] as string[])[0]!;

      // Act
      const invoke = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties['Roles'] as Json[]).some((ref) => ref['Ref'] === roleId))
        .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement)
        .filter((s) => asArray(s.Action).some((a) => a.startsWith('lambda:')));

      // Assess
      expect(invoke).toHaveLength(1);
      expect(asArray(invoke[0]!.Action)).toEqual(['lambda:InvokeFunction']);
      expect(asArray(invoke[0]!.Resource).map(flatten).sort()).toEqual(expected);
    });

    it('alarms on failed, timed-out and aborted executions of each workflow, notifying the topic', () => {
      // Act
      const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties['Metrics'] !== undefined);

      // Assess
      expect(alarms).toHaveLength(CONTROL_WORKFLOWS.length);
      for (const alarm of alarms) {
        const metrics = (alarm.Properties['Metrics'] as { MetricStat?: { Metric: { MetricName: string } } }[])
          .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []))
          .sort();
        expect(metrics).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
        expect(alarm.Properties['AlarmActions']).toEqual([{ Ref: stack.getLogicalId(stack.alarmTopic.node.defaultChild as never) }]);
      }
    });

    it('outputs both state machine ARNs', () => {
      // Assess
      template.hasOutput('ReplicateStateMachineArn', {});
      template.hasOutput('FailoverStateMachineArn', {});
    });
  });

  describe('step functions', () => {
    it('creates one NODEJS_22_X arm64 function per catalog step, with its timeout, tracing and Powertools env', () => {
      // Act
      const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');

      // Assess
      expect(functions).toHaveLength(STEPS.length);
      for (const step of STEPS) {
        const fn = resources[logicalIdOf(placeholderOf(step.state))]!.Properties;
        expect(fn['Runtime']).toBe('nodejs22.x');
        expect(fn['Architectures']).toEqual(['arm64']);
        expect(fn['MemorySize']).toBe(256);
        expect(fn['Timeout']).toBe(step.timeoutSeconds);
        expect(fn['TracingConfig']).toEqual({ Mode: 'Active' });
        expect((fn['Environment'] as { Variables: Json }).Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'twinstack', POWERTOOLS_LOG_LEVEL: 'INFO' });
      }
    });

    it.each(STEPS.map((s) => [s.state, s] as const))('%s: its role grants exactly its capabilities', (_state, step) => {
      // Prepare
      const expected = new Set([...BASELINE_ACTIONS, ...step.capabilities.flatMap((c) => ACTIONS_OF[c])]);

      // Act
      const actions = new Set(statementsOfFunction(step.state).flatMap((s) => asArray(s.Action)));

      // Assess
      expect([...actions].sort()).toEqual([...expected].sort());
    });

    it('DecideFailover (no capabilities) touches neither SSM, KMS nor Route 53', () => {
      // Act
      const actions = statementsOfFunction('DecideFailover').flatMap((s) => asArray(s.Action));

      // Assess
      expect(actions.filter((a) => /^(ssm|kms|route53):/.test(a))).toEqual([]);
    });

    it('SwitchDns changes records only in the group zones, for the group names, A or CNAME', () => {
      // Act
      const changes = statementsOfFunction('SwitchDns').filter((s) => asArray(s.Action).includes('route53:ChangeResourceRecordSets'));

      // Assess
      expect(changes.map((s) => [asArray(s.Resource).map(flatten), s.Condition])).toEqual([
        [
          [`arn:<AWS::Partition>:route53:::hostedzone/${SHOP_ZONE_ID}`],
          { 'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['shop.example.com'], 'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'CNAME'] } },
        ],
        [
          [`arn:<AWS::Partition>:route53:::hostedzone/${BLOG_ZONE_ID}`],
          { 'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['blog.example.com'], 'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'CNAME'] } },
        ],
      ]);
    });

    it('scopes SSM to per-group parameters and KMS to SSM and those parameters', () => {
      // Act
      const statements = statementsOfFunction('PreparePrimary');
      const ssm = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('ssm:'))).flatMap((s) => asArray(s.Resource).map(flatten));
      const kmsStatements = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('kms:')));

      // Assess
      const prefix = `arn:<AWS::Partition>:ssm:${CONTROL_REGION}:<AWS::AccountId>:parameter/twinstack/`;
      expect(ssm.every((arn) => /^(shop|blog)\//.test(arn.slice(prefix.length)) && arn.startsWith(prefix))).toBe(true);
      expect(ssm).toContain(`${prefix}shop/secrets/*`);
      expect(ssm).toContain(`${prefix}shop/ssh/private-key`);
      expect(kmsStatements.length).toBeGreaterThan(0);
      for (const s of kmsStatements) {
        expect(s.Condition?.['StringEquals']).toEqual({ 'kms:ViaService': `ssm.${CONTROL_REGION}.amazonaws.com` });
        expect(s.Condition?.['StringLike']).toHaveProperty(['kms:EncryptionContext:PARAMETER_ARN']);
      }
    });

    it('uses `*` resources only for actions AWS does not scope', () => {
      // Act
      const starActions = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement)
        .filter((s) => asArray(s.Resource).includes('*'))
        .flatMap((s) => asArray(s.Action));

      // Assess
      expect(starActions.length).toBeGreaterThan(0);
      expect(starActions.filter((a) => !STAR_ALLOWED.has(a))).toEqual([]);
    });

    it('logs every function to its own encrypted log group with retention, and exposes no Function URL', () => {
      // Act
      const functions = STEPS.map((step) => resources[logicalIdOf(placeholderOf(step.state))]!.Properties);
      const logGroupIds = functions.map((fn) => ((fn['LoggingConfig'] as { LogGroup: Json }).LogGroup['Ref'] as string));

      // Assess
      expect(new Set(logGroupIds).size).toBe(STEPS.length);
      for (const id of logGroupIds) {
        expect(resources[id]!.Properties['KmsKeyId']).toBeDefined();
        expect(resources[id]!.Properties['RetentionInDays']).toBeGreaterThan(0);
      }
      // Not covered by the AwsSolutions pack (DESIGN.md): checked here.
      expect(Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Url')).toEqual([]);
    });

    it('attaches no managed policies to any role', () => {
      // Assess
      for (const role of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role')) {
        expect(role.Properties['ManagedPolicyArns']).toBeUndefined();
      }
    });
  });

  describe('deploy workflow and lease table', () => {
    it('creates one PAY_PER_REQUEST lease table keyed by pk, with PITR, encryption and the expiresAt TTL', () => {
      // Act
      const tables = Object.values(resources).filter((r) => r.Type === 'AWS::DynamoDB::Table');

      // Assess
      expect(tables).toHaveLength(1);
      expect(tables[0]!.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    });

    it.each(STEPS.filter((s) => (s.capabilities as readonly string[]).includes('lease')).map((s) => s.state))('%s: may put and delete items of the lease table only, whose name it is given', (state) => {
      // Prepare
      const tableId = stack.getLogicalId(stack.leaseTable.node.defaultChild as never);
      // Act
      const dynamo = statementsOfFunction(state).filter((s) => asArray(s.Action).some((a) => a.startsWith('dynamodb:')));
      const fn = resources[logicalIdOf(placeholderOf(state))]!.Properties;
      // Assess
      expect(dynamo.flatMap((s) => asArray(s.Action)).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem']);
      expect(dynamo.flatMap((s) => asArray(s.Resource).map(flatten))).toEqual([`<${tableId}.Arn>`]);
      expect((fn['Environment'] as { Variables: Json }).Variables['TWINSTACK_LEASE_TABLE']).toEqual({ Ref: tableId });
    });

    it('grants no other function any DynamoDB action', () => {
      // Act
      const others = STEPS.filter((s) => !(s.capabilities as readonly string[]).includes('lease'));
      // Assess
      expect(others.length).toBeGreaterThan(0);
      for (const step of others) expect(statementsOfFunction(step.state).flatMap((s) => asArray(s.Action)).filter((a) => a.startsWith('dynamodb:')), step.state).toEqual([]);
    });

    it('scopes the deploy state to <group>/deploy/state and /desired, and env reads to <group>/env', () => {
      // Act
      const put = statementsOfFunction('RecordStackRevision').filter((s) => asArray(s.Action).includes('ssm:PutParameter')).flatMap((s) => asArray(s.Resource).map(flatten));
      const byPath = statementsOfFunction('DeployHost').filter((s) => asArray(s.Action).includes('ssm:GetParametersByPath')).flatMap((s) => asArray(s.Resource).map(flatten));
      // Assess
      const prefix = `arn:<AWS::Partition>:ssm:${CONTROL_REGION}:<AWS::AccountId>:parameter/twinstack/`;
      expect(put.sort()).toEqual([`${prefix}blog/deploy/desired`, `${prefix}blog/deploy/state`, `${prefix}shop/deploy/desired`, `${prefix}shop/deploy/state`]);
      expect(byPath.sort()).toEqual([`${prefix}blog/env`, `${prefix}blog/env/*`, `${prefix}shop/env`, `${prefix}shop/env/*`]);
    });

    it('outputs the deploy state machine ARN', () => {
      // Assess
      template.hasOutput('DeployStateMachineArn', {});
    });
  });

  describe('held failover alarm', () => {
    it('alarms the topic when a failover of any group is held', () => {
      // Assess
      for (const group of FIXTURE_CONFIG.groups) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'FailoverHeld',
          Namespace: 'twinstack',
          // Exactly what Powertools emits: it adds `service` (see dns-stack.test.ts for the EMF check).
          Dimensions: [{ Name: 'group', Value: group.name }, { Name: 'service', Value: 'twinstack' }],
          Threshold: 1,
          AlarmActions: Match.anyValue(),
        });
      }
    });
  });

  describe('replication check schedule', () => {
    it('runs CheckReplication every minute for every database of every group', () => {
      // Prepare
      const checkId = logicalIdOf(placeholderOf('CheckReplication'));
      // Assess
      for (const group of FIXTURE_CONFIG.groups) {
        for (const db of group.databases) {
          template.hasResourceProperties('AWS::Events::Rule', {
            ScheduleExpression: 'rate(1 minute)',
            Targets: Match.arrayWith([Match.objectLike({ Arn: { 'Fn::GetAtt': [checkId, 'Arn'] }, Input: JSON.stringify({ group: group.name, database: db.name }) })]),
          });
        }
      }
    });
  });

  describe('group config and alarm topic', () => {
    it('stores each group config as JSON at /twinstack/<group>/config', () => {
      // Act
      const parameters = Object.values(resources).filter((r) => r.Type === 'AWS::SSM::Parameter');

      // Assess
      expect(parameters.map((p) => p.Properties['Name']).sort()).toEqual(['/twinstack/blog/config', '/twinstack/shop/config']);
      for (const group of FIXTURE_CONFIG.groups) {
        const parameter = parameters.find((p) => p.Properties['Name'] === `/twinstack/${group.name}/config`)!;
        expect(parameter.Properties['Type']).toBe('String');
        expect(JSON.parse(parameter.Properties['Value'] as string)).toEqual(group);
      }
    });

    it('encrypts the alarm topic and refuses non-TLS publishing', () => {
      // Assess
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(stack.key.node.defaultChild as never), 'Arn'] } });
      const policies = Object.values(resources).filter((r) => r.Type === 'AWS::SNS::TopicPolicy');
      const statements = policies.flatMap((p) => (p.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
      expect(statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }))).toBe(true);
    });

    it('deploys into the twin region', () => {
      // Assess
      expect(stack.region).toBe(CONTROL_REGION);
      expect(Stack.of(stack).account).toMatch(/AccountId/);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has no unacknowledged error or warning', () => {
      // Assess
      expect(nagViolations).toEqual([]);
    });
  });

  describe('props validation', () => {
    const withGroups = (edit: (g: TwinstackConfig['groups'][number], i: number) => TwinstackConfig['groups'][number]): TwinstackConfig => ({
      ...FIXTURE_CONFIG,
      groups: FIXTURE_CONFIG.groups.map(edit),
    });

    it.each([
      {
        case: 'a twin in another region than the control plane',
        config: withGroups((g, i) => (i === 1 ? { ...g, twin: { ...g.twin, region: 'us-east-1' } } : g)),
        issues: [/group blog: twin region us-east-1 differs from the control stack region eu-central-1/],
      },
      {
        case: 'a primary in the control region',
        config: withGroups((g, i) => (i === 0 ? { ...g, primary: { ...g.primary, region: 'eu-central-1' } } : g)),
        issues: [/group shop: primary region eu-central-1 is the control stack region/],
      },
      {
        case: 'every problem at once',
        config: withGroups((g, i) => ({ ...g, dns: { ...g.dns, hostedZoneId: undefined }, twin: { ...g.twin, region: i === 1 ? 'us-west-2' : g.twin.region } })),
        issues: [/group shop: dns.hostedZoneId is required/, /group blog: twin region us-west-2 differs/, /group blog: dns.hostedZoneId is required/],
      },
      { case: 'no group', config: { version: 1 as const, groups: [] }, issues: [/config has no failover group/] },
    ])('refuses $case, listing every problem', ({ config, issues }) => {
      // Act
      let thrown: unknown;
      try {
        createControlApp(config, { context: NO_BUNDLING, nag: false });
      } catch (error) {
        thrown = error;
      }

      // Assess
      expect(thrown).toBeInstanceOf(InvalidConstructPropsError);
      const error = thrown as InvalidConstructPropsError;
      for (const pattern of issues) expect(error.issues.some((i) => pattern.test(i))).toBe(true);
      expect(error.message).toContain(error.issues[0]);
    });
  });
});

describe('ControlStack with a deploy source', () => {
  it('adds the DeployWebhook, starting only the deploy state machine, and stays cdk-nag clean', () => {
    // Prepare
    const shop = FIXTURE_CONFIG.groups[0]!;
    const config: TwinstackConfig = {
      ...FIXTURE_CONFIG,
      groups: [{ ...shop, source: { provider: 'github', repository: 'acme/shop', branch: 'main', gitUrl: 'git@github.com:acme/shop.git', hostConcurrency: 1 } }, FIXTURE_CONFIG.groups[1]!],
    };
    // Act
    const built = createControlApp(config, { context: NO_BUNDLING, nag: false });
    const template = Template.fromStack(built.stack);
    const violations = new AwsSolutionsChecks().validateScope(built.app).violations.map((v) => v.ruleName);
    // Assess
    expect(built.stack.deployWebhook).toBeDefined();
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    const deployMachineId = built.stack.getLogicalId(built.stack.workflows.deploy.stateMachine.node.defaultChild as never);
    const starts = Object.values(template.toJSON()['Resources'] as Record<string, { Type: string; Properties: Json }>)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement)
      .filter((st) => asArray(st.Action).includes('states:StartExecution'));
    // The webhook starts only deploys; the only other starter is the health-alarm rule, on failover only.
    const failoverMachineId = built.stack.getLogicalId(built.stack.workflows.failover.stateMachine.node.defaultChild as never);
    expect(starts.flatMap((st) => asArray(st.Resource)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([{ Ref: deployMachineId }, { Ref: failoverMachineId }]);
    expect(violations).toEqual([]);
    // A failure alarm per workflow, a held-failover alarm per group, one drift alarm for the group with a source,
    // one traffic-gate alarm for the routing-gate group (shop), and a lag and a not-replicating alarm per database.
    const databases = config.groups.reduce((n, g) => n + g.databases.length, 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', CONTROL_WORKFLOWS.length + config.groups.length + 1 + 1 + 2 * databases);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'twinstack',
      MetricName: 'DeployDrift',
      Dimensions: [{ Name: 'group', Value: 'shop' }, { Name: 'service', Value: 'twinstack' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('adds no webhook when no group has a source', () => {
    // Act
    const built = createControlApp(FIXTURE_CONFIG, { context: NO_BUNDLING, nag: false });
    // Assess
    expect(built.stack.deployWebhook).toBeUndefined();
  });
});

describe('ControlStack with a group awaiting its twin', () => {
  const blog = AWAITING_CONFIG.awaitingClone![0]!;
  const nagOf = (app: Parameters<AwsSolutionsChecks['validateScope']>[0]) => new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName);
  const statementsOf = (stack: ControlStack, resources: Record<string, { Type: string; Properties: Json }>, state: string): Statement[] => {
    const fn = resources[stack.getLogicalId(stack.functions[placeholderOf(state)]!.node.defaultChild as never)]!;
    const roleId = ((fn.Properties['Role'] as Json)['Fn::GetAtt'] as string[])[0]!;
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties['Roles'] as Json[]).some((ref) => ref['Ref'] === roleId))
      .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
  };

  it('next to a cloned group: every role still grants exactly its capabilities, and the stack stays cdk-nag clean', () => {
    // Act
    const built = createControlApp(AWAITING_CONFIG, { context: NO_BUNDLING, nag: false });
    const resources = Template.fromStack(built.stack).toJSON()['Resources'] as Record<string, { Type: string; Properties: Json }>;
    // Assess
    for (const step of STEPS) {
      const expected = new Set([...BASELINE_ACTIONS, ...step.capabilities.flatMap((c) => ACTIONS_OF[c])]);
      expect([...new Set(statementsOf(built.stack, resources, step.state).flatMap((s) => asArray(s.Action)))].sort(), step.state).toEqual([...expected].sort());
    }
    const parameter = Object.values(resources).find((r) => r.Type === 'AWS::SSM::Parameter' && r.Properties['Name'] === '/twinstack/blog/config')!;
    expect(JSON.parse(parameter.Properties['Value'] as string)).toEqual(blog);
    expect(nagOf(built.app)).toEqual([]);
  });

  it('alone: deploys the control stack in env.region without the DNS stack (nothing to health-check yet), cdk-nag clean', () => {
    // Prepare
    const config: TwinstackConfig = { version: 1, groups: [], awaitingClone: [blog] };
    // Act
    const built = createControlApp(config, { context: NO_BUNDLING, nag: false, stack: { env: { region: CONTROL_REGION } } });
    const template = Template.fromStack(built.stack);
    // Assess
    expect(built.dnsStack).toBeUndefined();
    expect(built.stack.region).toBe(CONTROL_REGION);
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/twinstack/blog/config', Type: 'String' });
    // Only the workflow-outcome rule: no health alarm to forward, no failover trigger, no replication check.
    const rules = Object.values(template.toJSON()['Resources'] as Record<string, { Type: string; Properties: Json }>).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(rules.map((r) => (r.Properties['EventPattern'] as Json)['source'])).toEqual([['aws.states']]);
    expect(nagOf(built.app)).toEqual([]);
  });

  it('sizes its config parameter for the twin RegisterTwin will add (Advanced when the two stacks exceed 4 KB)', () => {
    // Prepare: a primary of 12 hosts: the group alone fits 4 KB, with a twin of the same size it does not.
    const hosts = Array.from({ length: 12 }, (_, i) => ({ ...blog.primary.hosts[0]!, name: `app${i}`, address: `198.51.100.${i + 10}` }));
    const big = { ...blog, primary: { ...blog.primary, hosts } };
    const alone = Buffer.byteLength(JSON.stringify(big), 'utf8');
    const withTwin = Buffer.byteLength(JSON.stringify({ ...big, twin: big.primary }), 'utf8');
    // Act
    const built = createControlApp({ ...AWAITING_CONFIG, awaitingClone: [big] }, { context: NO_BUNDLING, nag: false });
    // Assess
    expect([alone < 4096, withTwin > 4096]).toEqual([true, true]);
    Template.fromStack(built.stack).hasResourceProperties('AWS::SSM::Parameter', { Name: '/twinstack/blog/config', Tier: 'Advanced' });
  });

  it.each([
    {
      case: 'its primary in the control region',
      config: { ...AWAITING_CONFIG, awaitingClone: [{ ...blog, primary: { ...blog.primary, region: CONTROL_REGION } }] },
      issues: [/group blog \(awaiting its twin\): primary region eu-central-1 is the control stack region/],
    },
    {
      case: 'no hosted zone id',
      config: { ...AWAITING_CONFIG, awaitingClone: [{ ...blog, dns: { ...blog.dns, hostedZoneId: undefined } }] },
      issues: [/group blog \(awaiting its twin\): dns.hostedZoneId is required/],
    },
    {
      case: 'a name also configured with a twin',
      config: { ...AWAITING_CONFIG, awaitingClone: [{ ...blog, name: 'shop' }] },
      issues: [/group shop: configured twice/],
    },
    {
      case: 'no region to run in (no group has a twin, no env.region)',
      config: { version: 1 as const, groups: [], awaitingClone: [blog] },
      issues: [/no region: set env.region/],
    },
  ])('refuses $case, listing the problem', ({ config, issues }) => {
    // Act
    let thrown: unknown;
    try {
      createControlApp(config, { context: NO_BUNDLING, nag: false });
    } catch (error) {
      thrown = error;
    }
    // Assess
    expect(thrown).toBeInstanceOf(InvalidConstructPropsError);
    for (const pattern of issues) expect((thrown as InvalidConstructPropsError).issues.some((i) => pattern.test(i)), String(pattern)).toBe(true);
  });
});
