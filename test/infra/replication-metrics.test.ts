import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { lagMetricName, lagMetricUnit } from '../../functions/core/engines/lag-unit.ts';
import { TWIN_REPLICATING_METRIC } from '../../functions/handlers/check-replication.handler.ts';
import { recordMetric } from '../../functions/handlers/deps/aws.step-deps.ts';
import { createControlApp } from '../../infra/stacks/control-app.ts';
import { CONTROL_REGION, FIXTURE_CONFIG } from './fixtures/twinstack-config.fixture.ts';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties: Json }>;
interface AlarmProps { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[]; Threshold: number; EvaluationPeriods: number; ComparisonOperator: string; TreatMissingData: string; AlarmActions: unknown[]; OKActions: unknown[] }

/** The dashboard body with its references reduced to their logical ids. */
function bodyOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Fn::Join']) return (v['Fn::Join'] as [string, unknown[]])[1].map(bodyOf).join('');
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v['Ref']) return `<${v['Ref'] as string}>`;
  return JSON.stringify(value);
}

describe('replication metrics, alarms and the group dashboards', () => {
  let controlResources: Resources;
  let dnsResources: Resources;
  let violations: string[];

  beforeAll(() => {
    const built = createControlApp(FIXTURE_CONFIG, { context: NO_BUNDLING, nag: false });
    controlResources = Template.fromStack(built.stack).toJSON()['Resources'] as Resources;
    dnsResources = Template.fromStack(built.dnsStack!).toJSON()['Resources'] as Resources;
    violations = new AwsSolutionsChecks().validateScope(built.app).violations.map((v) => v.ruleName);
  });

  const alarmsOn = (metricName: string) =>
    Object.values(controlResources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties['MetricName'] === metricName).map((r) => r.Properties as unknown as AlarmProps);

  it('alarms per database on lag beyond replication.maxLag, in the engine unit, and notifies', () => {
    // Act
    const lag = alarmsOn(lagMetricName('bytes'));
    // Assess: two groups × one postgres database each.
    expect(lag).toHaveLength(2);
    for (const alarm of lag) {
      expect(alarm).toMatchObject({ Namespace: 'twinstack', Threshold: 16 * 1024 * 1024, EvaluationPeriods: 3, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
      expect(alarm.AlarmActions.length).toBeGreaterThan(0);
      expect(alarm.OKActions.length).toBeGreaterThan(0);
    }
    expect(lag.map((a) => Object.fromEntries(a.Dimensions.map((d) => [d.Name, d.Value])))).toEqual(
      expect.arrayContaining([{ service: 'twinstack', group: 'shop', database: 'main' }, { service: 'twinstack', group: 'blog', database: 'main' }]),
    );
    expect(alarmsOn('ReplicationLagTransactions')).toEqual([]);
  });

  it('alarms per database when the twin is not a caught-up replica, or was not observed, for 3 checks', () => {
    // Act
    const twin = alarmsOn(TWIN_REPLICATING_METRIC);
    // Assess
    expect(twin).toHaveLength(2);
    for (const alarm of twin) expect(alarm).toMatchObject({ Threshold: 1, EvaluationPeriods: 3, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
  });

  it('gives each group a dashboard: both health checks, the active stack, lag against maxLag, workflow outcomes and durations', () => {
    // Act
    const dashboards = Object.entries(dnsResources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard');
    const shop = bodyOf(dashboards.find(([, r]) => r.Properties['DashboardName'] === 'twinstack-shop')?.[1].Properties['DashboardBody']);
    const blog = bodyOf(dashboards.find(([, r]) => r.Properties['DashboardName'] === 'twinstack-blog')?.[1].Properties['DashboardBody']);
    // Assess
    expect(dashboards).toHaveLength(2);
    expect(shop).toMatch(/"AWS\/Route53","HealthCheckStatus","HealthCheckId","<Healthshopprimary\w+\.HealthCheckId>"/);
    expect(shop).toMatch(/"AWS\/Route53","HealthCheckStatus","HealthCheckId","<Healthshoptwin\w+\.HealthCheckId>"/);
    expect(shop).toContain('"twinstack","TrafficGate","group","shop"');
    expect(shop).toMatch(/<GateshopGateHealthCheck\w+\.HealthCheckId>/);
    expect(shop).toContain(`"twinstack","ReplicationLagBytes","database","main","group","shop","service","twinstack",{"label":"lag (bytes)","region":"${CONTROL_REGION}"`);
    expect(shop).toContain(`"value":${16 * 1024 * 1024}`);
    expect(shop).toContain(`"twinstack","TwinReplicating","database","main","group","shop","service","twinstack",{"label":"twin replicating (1 = caught-up replica)","region":"${CONTROL_REGION}"`);
    for (const metric of ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionTime']) expect(shop).toContain(`"AWS/States","${metric}","StateMachineArn"`);
    expect(shop).toContain(`:states:${CONTROL_REGION}:`);
    expect(shop).toContain(':stateMachine:twinstack-failover');
    // Record mode has no metric for the active stack, and says so.
    expect(blog).not.toContain('TrafficGate');
    expect(blog).toContain('no metric says which stack is active');
    expect(violations).toEqual([]);
  });
});

describe('replication alarms against the EMF Powertools really writes', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([lagMetricName('bytes'), TWIN_REPLICATING_METRIC])('%s: the alarm watches exactly the namespace, metric and dimensions emitted', (metricName) => {
    // Prepare
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { lines.push(args.map(String).join(' ')); });
    // Act: the very function CheckReplication's AWS deps publish with.
    recordMetric(metricName, 4096, { group: 'shop', database: 'main' }, metricName === TWIN_REPLICATING_METRIC ? 'Count' : lagMetricUnit('bytes'));
    vi.restoreAllMocks();
    const emf = lines.map((l) => { try { return JSON.parse(l) as Json; } catch { return undefined; } }).find((l) => l?.['_aws']) as
      | { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } } & Json
      | undefined;
    const alarm = Object.values(controlResources()).find(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties['MetricName'] === metricName && JSON.stringify(r.Properties['Dimensions']).includes('"shop"'),
    )?.Properties as unknown as AlarmProps;
    // Assess
    expect(emf, lines.join('\n')).toBeDefined();
    const [directive] = emf?._aws.CloudWatchMetrics ?? [];
    expect(directive?.Metrics).toEqual([{ Name: metricName, Unit: metricName === TWIN_REPLICATING_METRIC ? 'Count' : 'Bytes' }]);
    expect(alarm.Namespace).toBe(directive?.Namespace);
    const emitted = Object.fromEntries((directive?.Dimensions[0] ?? []).map((name) => [name, emf?.[name]]));
    expect(Object.fromEntries(alarm.Dimensions.map((d) => [d.Name, d.Value]))).toEqual(emitted);
  });
});

let cached: Resources | undefined;
function controlResources(): Resources {
  cached ??= Template.fromStack(createControlApp(FIXTURE_CONFIG, { context: NO_BUNDLING, nag: false }).stack).toJSON()['Resources'] as Resources;
  return cached;
}
