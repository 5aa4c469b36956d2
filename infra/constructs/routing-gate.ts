import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { FailoverGroup, Stack as TwinStack } from '../../functions/core/model.ts';
import { dnsTargetOf } from '../../functions/core/model.ts';
import { bareZoneId } from './step-permissions.ts';
import { InvalidConstructPropsError } from './construct-props-error.ts';
import { trafficGateAlarmName } from './group-alarm-names.ts';

export interface RoutingGateProps {
  readonly group: FailoverGroup;
  /** Region of the control stack, where the workflow sets the gate metric and its alarm lives. */
  readonly controlRegion: string;
}

/** Every problem with the props, at once. */
export function checkRoutingGateProps(props: RoutingGateProps): string[] {
  const { group } = props;
  const issues: string[] = [];
  if (!group.dns.hostedZoneId) issues.push(`group ${group.name}: dns.hostedZoneId is required for failover records`);
  const primary = dnsTargetOf(group.primary);
  const twin = dnsTargetOf(group.twin);
  if (primary.type !== twin.type) {
    issues.push(`group ${group.name}: failover records need one type, but the primary endpoint is ${primary.type} and the twin's ${twin.type}: give both an IP or both a host name, or use traffic.mode record`);
  }
  return issues;
}

/**
 * The data-plane traffic switch of a `routing-gate` group: two Route 53 failover records for
 * the group name (PRIMARY = primary stack, SECONDARY = twin) and, on the PRIMARY, a health check
 * that follows the control region's gate alarm (`trafficGateAlarmName`).
 *
 * Invariants: the PRIMARY's health is the gate only, never the primary stack's own endpoint
 * check, so Route 53 never moves traffic to a twin the workflow has not promoted (and never back
 * to a fenced primary); the gate keeps its last known status when the metric stops (a new gate
 * starts healthy: traffic on the primary); the SECONDARY has no health check, so a closed gate
 * always answers the twin.
 */
export class RoutingGate extends Construct {
  readonly gateHealthCheck: route53.CfnHealthCheck;
  readonly primaryRecord: route53.CfnRecordSet;
  readonly secondaryRecord: route53.CfnRecordSet;

  constructor(scope: Construct, id: string, props: RoutingGateProps) {
    super(scope, id);
    const issues = checkRoutingGateProps(props);
    if (issues.length > 0) throw new InvalidConstructPropsError(`RoutingGate ${this.node.path}`, issues);
    const { group } = props;
    this.gateHealthCheck = new route53.CfnHealthCheck(this, 'GateHealthCheck', {
      healthCheckConfig: {
        type: 'CLOUDWATCH_METRIC',
        alarmIdentifier: { name: trafficGateAlarmName(group.name), region: props.controlRegion },
        insufficientDataHealthStatus: 'LastKnownStatus',
      },
      healthCheckTags: [{ key: 'Name', value: `twinstack ${group.name} traffic gate (healthy = primary stack serves)` }],
    });
    const record = (role: 'PRIMARY' | 'SECONDARY', stack: TwinStack, healthCheckId?: string) => {
      const target = dnsTargetOf(stack);
      return new route53.CfnRecordSet(this, role === 'PRIMARY' ? 'PrimaryRecord' : 'SecondaryRecord', {
        hostedZoneId: bareZoneId(group.dns.hostedZoneId ?? ''),
        name: group.dns.name,
        type: target.type,
        ttl: String(group.dns.ttl),
        resourceRecords: [target.value],
        failover: role,
        setIdentifier: `twinstack-${group.name}-${role.toLowerCase()}`,
        ...(healthCheckId ? { healthCheckId } : {}),
      });
    };
    this.primaryRecord = record('PRIMARY', group.primary, this.gateHealthCheck.attrHealthCheckId);
    this.secondaryRecord = record('SECONDARY', group.twin);
  }
}
