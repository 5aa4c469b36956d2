import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { FailoverGroup, HealthCheckSettings, StackRole } from '../../functions/core/model.ts';
import { trafficOf } from '../../functions/core/traffic.ts';
import { InvalidConstructPropsError } from './construct-props-error.ts';
import { stackHealthAlarmName } from './group-alarm-names.ts';

export interface StackHealthCheckProps {
  readonly group: FailoverGroup;
  readonly role: StackRole;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * The Route 53 health check config for one stack's healthUrl: protocol, host, port and path from
 * the URL, interval, threshold, path and search string from the group's `traffic.healthCheck`.
 * Throws (every problem at once) on what Route 53 would refuse or silently misread.
 */
export function healthCheckConfigOf(group: FailoverGroup, role: StackRole): route53.CfnHealthCheck.HealthCheckConfigProperty {
  const settings: HealthCheckSettings = trafficOf(group).healthCheck;
  const stack = group[role];
  const url = new URL(stack.healthUrl);
  const https = url.protocol === 'https:';
  const bareIp = IPV4.test(url.hostname);
  const issues: string[] = [];
  if (https && bareIp && settings.sni === undefined) issues.push(`${stack.healthUrl} is HTTPS on a bare IP: set traffic.healthCheck.sni`);
  if (settings.path !== undefined && !settings.path.startsWith('/')) issues.push(`health check path ${settings.path} does not start with /`);
  if (issues.length > 0) throw new InvalidConstructPropsError(`StackHealthCheck ${group.name}/${role}`, issues);
  const type = `${https ? 'HTTPS' : 'HTTP'}${settings.searchString !== undefined ? '_STR_MATCH' : ''}`;
  const port = url.port !== '' ? Number(url.port) : https ? 443 : 80;
  const host = bareIp
    ? { ipAddress: url.hostname, ...(settings.sni === 'group-name' ? { fullyQualifiedDomainName: group.dns.name.replace(/\.$/, '') } : {}) }
    : { fullyQualifiedDomainName: url.hostname };
  return {
    type,
    ...host,
    port,
    resourcePath: settings.path ?? `${url.pathname}${url.search}`,
    requestInterval: settings.intervalSeconds,
    failureThreshold: settings.failureThreshold,
    ...(settings.searchString !== undefined ? { searchString: settings.searchString } : {}),
    ...(https ? { enableSni: settings.sni !== 'none' && (!bareIp || settings.sni === 'group-name') } : {}),
  };
}

/**
 * A Route 53 health check on one stack's healthUrl and the alarm on its `HealthCheckStatus`
 * (us-east-1 only: Route 53 publishes its metrics there). The alarm has a fixed name
 * (`stackHealthAlarmName`) so the control region can match its events without a reference.
 */
export class StackHealthCheck extends Construct {
  readonly healthCheck: route53.CfnHealthCheck;
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: StackHealthCheckProps) {
    super(scope, id);
    const { group, role } = props;
    this.healthCheck = new route53.CfnHealthCheck(this, 'HealthCheck', {
      healthCheckConfig: healthCheckConfigOf(group, role),
      healthCheckTags: [{ key: 'Name', value: `twinstack ${group.name} ${role} (${group[role].name})` }],
    });
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmName: stackHealthAlarmName(group.name, role),
      alarmDescription: `twinstack group ${group.name}: Route 53 finds the ${role} stack ${group[role].name} unhealthy (${group[role].healthUrl})`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Route53',
        metricName: 'HealthCheckStatus',
        dimensionsMap: { HealthCheckId: this.healthCheck.attrHealthCheckId },
        statistic: 'Minimum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // No data is not an outage (a new check, a metrics delay): only a measured failure alarms.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
