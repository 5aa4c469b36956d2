/**
 * One CloudWatch dashboard per failover group, in the DnsStack (us-east-1, where Route 53
 * publishes health-check metrics and the checks' ids are known); every metric published in
 * the control region names that region, so one dashboard shows both.
 *
 * - both stacks' health: AWS/Route53 HealthCheckStatus of each stack's check (1 = healthy);
 * - which stack is active: in `routing-gate` mode the TrafficGate metric the failover workflow
 *   sets (1 = primary, 0 = twin) and the gate check Route 53 follows; `record` mode has no
 *   metric for it (the record is the state): a text widget says so;
 * - replication, per database: lag in the engine's unit against `replication.maxLag`, and
 *   TwinReplicating (CheckReplication's metrics, control region);
 * - workflow outcomes and durations: AWS/States executions succeeded / failed / timed out /
 *   aborted and ExecutionTime of the control plane's workflows (shared by every group).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { ArnFormat } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { engineFor } from '../../functions/core/engines/engine-registry.ts';
import type { FailoverGroup } from '../../functions/core/model.ts';
import { TRAFFIC_GATE_METRIC, trafficOf } from '../../functions/core/traffic.ts';
import { METRICS_NAMESPACE } from '../../functions/handlers/deps/metric-dimensions.ts';
import { replicationLagMetric, twinReplicatingMetric } from './replication-alarms.ts';

export interface GroupDashboardProps {
  readonly group: FailoverGroup;
  /** Route 53 health check ids of the primary and twin stacks. */
  readonly healthCheckIds: { readonly primary: string; readonly twin: string };
  /** The routing gate's health check id (routing-gate groups). */
  readonly gateHealthCheckId?: string;
  /** Region of the control stack: CheckReplication, TrafficGate and the workflows publish there. */
  readonly controlRegion: string;
  /** The workflows' state machine names (`twinstack-failover` …), in the control region. */
  readonly stateMachineNames: readonly string[];
}

const PERIOD = Duration.minutes(1);
const WIDTH = 12;

export function dashboardNameOf(group: string): string {
  return `twinstack-${group}`;
}

export class GroupDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: GroupDashboardProps) {
    super(scope, id);
    const { group, controlRegion } = props;
    const healthStatus = (healthCheckId: string, label: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/Route53', metricName: 'HealthCheckStatus', dimensionsMap: { HealthCheckId: healthCheckId }, statistic: 'Minimum', period: PERIOD, label, region: 'us-east-1' });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: dashboardNameOf(group.name), defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# twinstack group ${group.name}\n${group.dns.name}: primary **${group.primary.name}** (${group.primary.region}), twin **${group.twin.name}** (${group.twin.region}); traffic mode \`${trafficOf(group).mode}\`; control region ${controlRegion}.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Stack health (Route 53, 1 = healthy)',
        left: [healthStatus(props.healthCheckIds.primary, `primary ${group.primary.name}`), healthStatus(props.healthCheckIds.twin, `twin ${group.twin.name}`)],
        leftYAxis: { min: 0, max: 1 },
        width: WIDTH,
      }),
      props.gateHealthCheckId !== undefined
        ? new cloudwatch.GraphWidget({
            title: 'Active stack (routing gate: 1 = primary, 0 = twin)',
            left: [
              new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: TRAFFIC_GATE_METRIC, dimensionsMap: { group: group.name }, statistic: 'Minimum', period: PERIOD, label: 'gate set by the workflow', region: controlRegion }),
              healthStatus(props.gateHealthCheckId, 'gate health check Route 53 follows'),
            ],
            leftYAxis: { min: 0, max: 1 },
            width: WIDTH,
          })
        : new cloudwatch.TextWidget({
            markdown: `### Active stack\nTraffic mode \`record\`: no metric says which stack is active (the Route 53 record is the state). Ask \`dig ${group.dns.name}\`, or read the group state parameter RecordFailover writes.`,
            width: WIDTH,
            height: 6,
          }),
    );
    const databaseWidgets = group.databases.map((database) => {
      const unit = engineFor(database.engine).lagUnit;
      return new cloudwatch.GraphWidget({
        title: `Replication of ${database.name} (${database.engine}): lag in ${unit}`,
        left: [replicationLagMetric(group, database, PERIOD).with({ label: `lag (${unit})`, region: controlRegion })],
        leftAnnotations: [{ value: database.replication.maxLag, label: `replication.maxLag (${unit})`, color: cloudwatch.Color.RED }],
        leftYAxis: { min: 0, label: unit, showUnits: false },
        right: [twinReplicatingMetric(group, database, PERIOD).with({ label: 'twin replicating (1 = caught-up replica)', region: controlRegion })],
        rightYAxis: { min: 0, max: 1 },
        width: WIDTH,
      });
    });
    if (databaseWidgets.length > 0) this.dashboard.addWidgets(...databaseWidgets);

    const stack = Stack.of(this);
    const stateMachineArn = (name: string) => stack.formatArn({ service: 'states', region: controlRegion, resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const states = (metricName: string, name: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/States', metricName, dimensionsMap: { StateMachineArn: stateMachineArn(name) }, statistic, period: Duration.minutes(5), label: `${name} ${metricName}`, region: controlRegion });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Workflow outcomes (all groups)',
        left: props.stateMachineNames.flatMap((name) => ['ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((m) => states(m, name, 'Sum'))),
        stacked: false,
        width: WIDTH,
      }),
      new cloudwatch.GraphWidget({
        title: 'Workflow durations (ms, all groups)',
        left: props.stateMachineNames.flatMap((name) => [states('ExecutionTime', name, 'Average'), states('ExecutionTime', name, 'Maximum')]),
        width: WIDTH,
      }),
    );
  }
}
