import { ArnFormat, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import type { TwinstackConfig } from '../../functions/core/model.ts';
import { trafficOf } from '../../functions/core/traffic.ts';
import { InvalidConstructPropsError } from '../constructs/construct-props-error.ts';
import { FAILOVER_EVENT_BUS_NAME, ROUTE53_METRICS_REGION, workflowStateMachineName } from '../constructs/group-alarm-names.ts';
import { GroupDashboard } from '../constructs/group-dashboard.ts';
import { CONTROL_WORKFLOWS } from './control-stack.ts';
import { RoutingGate } from '../constructs/routing-gate.ts';
import { StackHealthCheck } from '../constructs/stack-health-check.ts';

export interface DnsStackProps extends Omit<StackProps, 'env'> {
  readonly config: TwinstackConfig;
  /** Region of the control stack (the twin region): its event bus receives every health alarm event. */
  readonly controlRegion: string;
  /** @default - environment-agnostic account */
  readonly account?: string;
}

/**
 * What must live in us-east-1: Route 53 publishes health-check metrics only there, so the health
 * checks of both stacks of every group, their alarms, and the rule that forwards each alarm's
 * state changes to the control region's event bus (where a rule starts the failover). For
 * `routing-gate` groups also the failover records and the gate health check (Route 53 resources
 * are global; they sit here with the checks).
 *
 * Invariant: nothing here acts on its own. An alarm only sends an event; the failover workflow
 * in the control region takes the group lease, confirms the outage itself (AssessFailover) and
 * decides; the failover records follow the gate the workflow sets, not the stacks' own checks.
 */
export class DnsStack extends Stack {
  readonly healthChecks: Readonly<Record<string, { primary: StackHealthCheck; twin: StackHealthCheck }>>;
  readonly gates: Readonly<Record<string, RoutingGate>>;
  readonly forwardRule: events.Rule;
  /** Per group: health, active stack, replication lag, workflow outcomes and durations. */
  readonly dashboards: Readonly<Record<string, GroupDashboard>>;

  constructor(scope: Construct, id: string, props: DnsStackProps) {
    const { groups } = props.config;
    if (groups.length === 0) throw new InvalidConstructPropsError(`DnsStack ${id}`, ['config has no failover group']);
    super(scope, id, {
      ...props,
      description: props.description ?? 'twinstack DNS: Route 53 health checks and alarms (us-east-1), failover records and routing gates, alarm events forwarded to the control region',
      env: { region: ROUTE53_METRICS_REGION, ...(props.account ? { account: props.account } : {}) },
    });

    const healthChecks: Record<string, { primary: StackHealthCheck; twin: StackHealthCheck }> = {};
    const gates: Record<string, RoutingGate> = {};
    for (const group of groups) {
      healthChecks[group.name] = {
        primary: new StackHealthCheck(this, `Health-${group.name}-primary`, { group, role: 'primary' }),
        twin: new StackHealthCheck(this, `Health-${group.name}-twin`, { group, role: 'twin' }),
      };
      if (trafficOf(group).mode === 'routing-gate') gates[group.name] = new RoutingGate(this, `Gate-${group.name}`, { group, controlRegion: props.controlRegion });
    }
    this.healthChecks = healthChecks;
    this.gates = gates;

    const dashboards: Record<string, GroupDashboard> = {};
    for (const group of groups) {
      const checks = healthChecks[group.name];
      if (!checks) continue;
      dashboards[group.name] = new GroupDashboard(this, `Dashboard-${group.name}`, {
        group,
        healthCheckIds: { primary: checks.primary.healthCheck.attrHealthCheckId, twin: checks.twin.healthCheck.attrHealthCheckId },
        ...(gates[group.name] ? { gateHealthCheckId: gates[group.name]?.gateHealthCheck.attrHealthCheckId } : {}),
        controlRegion: props.controlRegion,
        stateMachineNames: CONTROL_WORKFLOWS.map(workflowStateMachineName),
      });
    }
    this.dashboards = dashboards;

    const controlBus = events.EventBus.fromEventBusArn(
      this,
      'ControlBus',
      this.formatArn({ service: 'events', region: props.controlRegion, resource: 'event-bus', resourceName: FAILOVER_EVENT_BUS_NAME, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    );
    const alarms = Object.values(healthChecks).flatMap((h) => [h.primary.alarm, h.twin.alarm]);
    // Cross-region target: EventBridge delivers to the bus in the control region with its own role
    // (events:PutEvents on exactly that bus), created by the target.
    this.forwardRule = new events.Rule(this, 'ForwardHealthAlarms', {
      description: 'twinstack: every state change of a stack health alarm, to the control region (failover trigger and notifications)',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: alarms.map((a) => a.alarmArn),
      },
      targets: [new targets.EventBus(controlBus)],
    });
  }
}
