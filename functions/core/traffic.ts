/**
 * The traffic settings of a group with their defaults applied, and the routing gate's
 * vocabulary. One definition for the config schema, the CDK stacks and the handlers.
 */
import type { FailoverGroup, HealthCheckSettings, StackRole, TrafficMode, TrafficSettings } from './model.ts';

export const DEFAULT_HEALTH_CHECK: HealthCheckSettings = { intervalSeconds: 10, failureThreshold: 3 };

/** The local runtime has no Route 53: its DNS server holds plain records, so its groups switch by record. */
export function defaultTrafficMode(group: Pick<FailoverGroup, 'primary'>): TrafficMode {
  return group.primary.region === 'local' ? 'record' : 'routing-gate';
}

/** The group's traffic settings, every default applied. */
export function trafficOf(group: Pick<FailoverGroup, 'primary' | 'traffic'>): TrafficSettings {
  return {
    mode: group.traffic?.mode ?? defaultTrafficMode(group),
    healthCheck: { ...DEFAULT_HEALTH_CHECK, ...group.traffic?.healthCheck },
  };
}

/**
 * The routing gate: metric `TrafficGate` (dimension `group`) that the workflow sets.
 * 1 = the PRIMARY failover record may answer (traffic on the primary stack);
 * 0 = the PRIMARY record is unhealthy, Route 53 answers the SECONDARY (the twin).
 */
export const TRAFFIC_GATE_METRIC = 'TrafficGate';

export function gateValueFor(role: StackRole): 0 | 1 {
  return role === 'primary' ? 1 : 0;
}
