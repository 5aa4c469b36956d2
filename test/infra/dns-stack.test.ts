import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FAILOVER_HELD_METRIC } from '../../functions/handlers/decide-failover.handler.ts';
import { recordMetric } from '../../functions/handlers/deps/aws.step-deps.ts';
import { createControlApp } from '../../infra/stacks/control-app.ts';
import type { ControlStack } from '../../infra/stacks/control-stack.ts';
import type { DnsStack } from '../../infra/stacks/dns-stack.ts';
import { CONTROL_REGION, FIXTURE_CONFIG, OPS_TOPIC_ARN, SHOP_ZONE_ID } from './fixtures/twinstack-config.fixture.ts';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties: Json }>;

const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

describe('the failover group in AWS: TwinstackDns (us-east-1) → TwinstackControl', () => {
  let control: ControlStack;
  let dns: DnsStack;
  let controlT: Template;
  let dnsT: Template;
  let dnsResources: Resources;
  let controlResources: Resources;
  let violations: { ruleName: string }[];

  beforeAll(() => {
    const built = createControlApp(FIXTURE_CONFIG, { context: NO_BUNDLING, nag: false });
    control = built.stack;
    dns = built.dnsStack!;
    controlT = Template.fromStack(control);
    dnsT = Template.fromStack(dns);
    dnsResources = dnsT.toJSON()['Resources'] as Resources;
    controlResources = controlT.toJSON()['Resources'] as Resources;
    violations = new AwsSolutionsChecks().validateScope(built.app).violations;
  });

  it('puts the DNS stack in us-east-1, the control stack in the twin region, and both pass cdk-nag', () => {
    // Assess
    expect(dns.region).toBe('us-east-1');
    expect(control.region).toBe(CONTROL_REGION);
    expect(violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('checks each stack health URL with the group settings (HTTPS on an IP with the group name as SNI; string match)', () => {
    // Assess
    dnsT.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'HTTPS', IPAddress: '198.51.100.10', FullyQualifiedDomainName: 'Shop.Example.com', EnableSNI: true, Port: 443, ResourcePath: '/health', RequestInterval: 10, FailureThreshold: 3 },
    });
    dnsT.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'HTTPS_STR_MATCH', IPAddress: '203.0.113.10', EnableSNI: false, ResourcePath: '/deep', SearchString: 'ok', RequestInterval: 30, FailureThreshold: 2 },
    });
    // 2 groups × 2 stacks + the shop routing gate.
    dnsT.resourceCountIs('AWS::Route53::HealthCheck', 5);
  });

  it('alarms on HealthCheckStatus of each check, named so the control region can match it', () => {
    // Act
    const alarms = ofType(dnsResources, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    // Assess
    expect(alarms.map((a) => a['AlarmName']).sort()).toEqual(['twinstack-blog-primary-health', 'twinstack-blog-twin-health', 'twinstack-shop-primary-health', 'twinstack-shop-twin-health']);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ Namespace: 'AWS/Route53', MetricName: 'HealthCheckStatus', Statistic: 'Minimum', Threshold: 1, ComparisonOperator: 'LessThanThreshold', Period: 60 });
      expect((alarm['Dimensions'] as { Name: string }[]).map((d) => d.Name)).toEqual(['HealthCheckId']);
    }
  });

  it('forwards every health alarm change to the control region bus, with a role that may put events on exactly that bus', () => {
    // Act
    const rules = ofType(dnsResources, 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const rule = rules[0]![1];
    const target = (rule.Properties['Targets'] as Json[])[0] as Json;
    const busArn = JSON.stringify(target['Arn']);
    const policies = ofType(dnsResources, 'AWS::IAM::Policy').flatMap(([, p]) => (p.Properties['PolicyDocument'] as { Statement: Json[] }).Statement);
    // Assess
    expect(rule.Properties['EventPattern']).toMatchObject({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] });
    expect(((rule.Properties['EventPattern'] as Json)['resources'] as unknown[]).length).toBe(4);
    expect(busArn).toContain(`:events:${CONTROL_REGION}:`);
    expect(busArn).toContain(':event-bus/twinstack-failover');
    expect(policies).toEqual([expect.objectContaining({ Action: 'events:PutEvents', Resource: target['Arn'] })]);
    controlT.hasResourceProperties('AWS::Events::EventBus', { Name: 'twinstack-failover' });
  });

  it("starts the failover of the right group on its primary's alarm, with the alarm event as input", () => {
    // Act
    const triggers = ofType(controlResources, 'AWS::Events::Rule').filter(([id]) => id.startsWith('FailoverTrigger'));
    const shop = triggers.find(([id]) => id.startsWith('FailoverTriggershop'))?.[1].Properties as Json;
    const target = (shop['Targets'] as Json[])[0] as { Arn: unknown; RoleArn: unknown; InputTransformer: { InputPathsMap: Json; InputTemplate: string } };
    const input = JSON.parse(target.InputTransformer.InputTemplate.replace('<f1>', '{"detail":{"alarmName":"twinstack-shop-primary-health"}}')) as Json;
    const failoverId = control.getLogicalId(control.workflows.failover.stateMachine.node.defaultChild as never);
    const starters = ofType(controlResources, 'AWS::IAM::Policy')
      .flatMap(([, p]) => (p.Properties['PolicyDocument'] as { Statement: Json[] }).Statement)
      .filter((s) => s['Action'] === 'states:StartExecution');
    // Assess
    expect(triggers).toHaveLength(2);
    expect(shop['EventBusName']).toEqual({ Ref: control.getLogicalId(control.failoverBus.node.defaultChild as never) });
    expect(JSON.stringify((shop['EventPattern'] as Json)['resources'])).toContain(':cloudwatch:us-east-1:');
    expect(JSON.stringify((shop['EventPattern'] as Json)['resources'])).toContain(':alarm:twinstack-shop-primary-health');
    // Only the transition into ALARM starts one: an OK or a repeated state does not.
    expect((shop['EventPattern'] as Json)['detail']).toEqual({ state: { value: ['ALARM'] } });
    expect(target.InputTransformer.InputPathsMap).toEqual({ f1: '$' });
    expect(input).toEqual({ group: 'shop', reason: 'Route 53 health check alarm twinstack-shop-primary-health', alarm: { detail: { alarmName: 'twinstack-shop-primary-health' } } });
    expect(target.Arn).toEqual({ Ref: failoverId });
    expect(starters.map((s) => s['Resource'])).toContainEqual({ Ref: failoverId });
  });

  it('routing-gate groups get PRIMARY/SECONDARY failover records, the PRIMARY gated by the control-region gate alarm only', () => {
    // Assess
    dnsT.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: { Type: 'CLOUDWATCH_METRIC', AlarmIdentifier: { Name: 'twinstack-shop-traffic-gate', Region: CONTROL_REGION }, InsufficientDataHealthStatus: 'LastKnownStatus' },
    });
    const records = ofType(dnsResources, 'AWS::Route53::RecordSet').map(([, r]) => r.Properties);
    expect(records).toHaveLength(2);
    const primary = records.find((r) => r['Failover'] === 'PRIMARY');
    const secondary = records.find((r) => r['Failover'] === 'SECONDARY');
    expect(primary).toMatchObject({ HostedZoneId: SHOP_ZONE_ID, Name: 'Shop.Example.com.', Type: 'A', ResourceRecords: ['198.51.100.10'] });
    expect(JSON.stringify(primary?.['HealthCheckId'])).toContain('GateshopGateHealthCheck');
    expect(secondary).toMatchObject({ ResourceRecords: ['203.0.113.10'] });
    expect(secondary?.['HealthCheckId']).toBeUndefined();
    controlT.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'twinstack-shop-traffic-gate',
      Namespace: 'twinstack',
      MetricName: 'TrafficGate',
      Dimensions: [{ Name: 'group', Value: 'shop' }],
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'ignore',
    });
    expect(control.gateAlarms['blog']).toBeUndefined();
  });

  it('lets only the failover workflow set the gate, and only in the twinstack namespace', () => {
    // Act
    const puts = ofType(controlResources, 'AWS::IAM::Policy').flatMap(([id, p]) =>
      (p.Properties['PolicyDocument'] as { Statement: Json[] }).Statement.filter((s) => s['Action'] === 'cloudwatch:PutMetricData').map((s) => ({ id, s })),
    );
    // Assess
    expect(puts).toHaveLength(1);
    expect(puts[0]?.id).toMatch(/^FailoverWorkflowRole/);
    expect(puts[0]?.s['Condition']).toEqual({ StringEquals: { 'cloudwatch:namespace': 'twinstack' } });
  });

  it('subscribes each notification target once and notifies every workflow outcome and health change', () => {
    // Assess
    controlT.resourceCountIs('AWS::SNS::Subscription', 2);
    controlT.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    controlT.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'https', Endpoint: 'https://alerts.example.com/sns' });
    const outcomes = ofType(controlResources, 'AWS::Events::Rule').find(([id]) => id.startsWith('NotifyWorkflowOutcomes'))?.[1].Properties as Json;
    expect((outcomes['EventPattern'] as { detail: { status: string[] } }).detail.status).toEqual(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
    // The alarm topic and the existing topic a group named.
    expect(JSON.stringify(outcomes['Targets'])).toContain(OPS_TOPIC_ARN);
    const held = ofType(controlResources, 'AWS::CloudWatch::Alarm').find(([id]) => id.startsWith('FailoverHeldAlarmshop'))?.[1].Properties as Json;
    expect(JSON.stringify(held['AlarmActions'])).toContain(OPS_TOPIC_ARN);
  });
});

describe('FailoverHeld alarm against the EMF Powertools really writes', () => {
  afterEach(() => vi.restoreAllMocks());

  it('watches exactly the namespace, metric and dimension set of the emitted metric', () => {
    // Prepare
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { lines.push(args.map(String).join(' ')); });
    // Act: the very function DecideFailover's AWS deps publish with.
    recordMetric(FAILOVER_HELD_METRIC, 1, { group: 'shop' });
    log.mockRestore();
    const emf = lines.map((l) => { try { return JSON.parse(l) as Json; } catch { return undefined; } }).find((l) => l?.['_aws']) as
      | { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Json
      | undefined;
    const built = createControlApp(FIXTURE_CONFIG, { context: NO_BUNDLING, nag: false });
    const alarm = Object.values(Template.fromStack(built.stack).toJSON()['Resources'] as Resources).find(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties['MetricName'] === FAILOVER_HELD_METRIC && JSON.stringify(r.Properties['Dimensions']).includes('"shop"'),
    )?.Properties as { Namespace: string; Dimensions: { Name: string; Value: string }[] };
    // Assess
    expect(emf, lines.join('\n')).toBeDefined();
    const [directive] = emf?._aws.CloudWatchMetrics ?? [];
    expect(directive?.Metrics.map((m) => m.Name)).toEqual([FAILOVER_HELD_METRIC]);
    expect(alarm.Namespace).toBe(directive?.Namespace);
    const emitted = Object.fromEntries((directive?.Dimensions[0] ?? []).map((name) => [name, emf?.[name]]));
    expect(Object.fromEntries(alarm.Dimensions.map((d) => [d.Name, d.Value]))).toEqual(emitted);
  });
});
