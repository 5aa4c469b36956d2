/**
 * Names that two stacks in two regions must agree on without a CloudFormation reference
 * (cross-region references do not exist): alarm names, the control event bus.
 */
import type { StackRole } from '../../functions/core/model.ts';

/** The custom event bus in the control region that receives the us-east-1 health alarm events. */
export const FAILOVER_EVENT_BUS_NAME = 'twinstack-failover';

/** Route 53 health-check alarms (AWS/Route53 HealthCheckStatus) exist only in us-east-1. */
export const ROUTE53_METRICS_REGION = 'us-east-1';

/** The us-east-1 alarm on a stack's Route 53 health check. */
export function stackHealthAlarmName(group: string, role: StackRole): string {
  return `twinstack-${group}-${role}-health`;
}

/** The control-region alarm on the routing gate metric; the PRIMARY record's health follows it. */
export function trafficGateAlarmName(group: string): string {
  return `twinstack-${group}-traffic-gate`;
}

/** A control workflow's state machine name (`twinstack-failover`): the DnsStack's dashboards name it across regions. */
export function workflowStateMachineName(workflow: string): string {
  return `twinstack-${workflow}`;
}
