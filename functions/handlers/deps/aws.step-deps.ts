/**
 * StepDeps in AWS Lambda: SSM Parameter Store, Route 53, ssh2, fetch, system clock.
 * SDK clients are created once per module and lazily (first call), so importing
 * this module needs no AWS environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDbLeaseStore } from '../../adapters/aws/dynamodb.lease-store.ts';
import { AuthoritativeDnsVerifier } from '../../adapters/aws/route53-name-servers.dns-verifier.ts';
import { Route53DnsRouter } from '../../adapters/aws/route53.dns-router.ts';
import { SsmParameterStore } from '../../adapters/aws/ssm.parameter-store.ts';
import { FetchHealthProbe } from '../../adapters/http/fetch.health-probe.ts';
import { systemClock } from '../../adapters/system.clock.ts';
import { groupShellOpener } from './open-group-shell.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './metric-dimensions.ts';
import type { StepDeps } from './step-deps.ts';

let deps: StepDeps | undefined;

/** Env var naming the deploy lease table (set by ControlStack on functions with the 'lease' capability). */
export const LEASE_TABLE_ENV = 'TWINSTACK_LEASE_TABLE';

/**
 * Publish one metric now as CloudWatch EMF (Powertools Metrics). Powertools adds the `service`
 * dimension: alarms watch `emittedDimensions(dimensions)` (metric-dimensions.ts).
 */
export function recordMetric(name: string, value: number, dimensions: Readonly<Record<string, string>>, unit: (typeof MetricUnit)[keyof typeof MetricUnit] = MetricUnit.Count): void {
  const metrics = new Metrics({ namespace: process.env['POWERTOOLS_METRICS_NAMESPACE'] ?? METRICS_NAMESPACE, serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? METRICS_SERVICE });
  metrics.addDimensions({ ...dimensions });
  metrics.addMetric(name, unit, value);
  metrics.publishStoredMetrics();
}

export function awsStepDeps(): StepDeps {
  if (deps) return deps;
  const params = new SsmParameterStore(new SSMClient({}));
  const dnsVerifier = new AuthoritativeDnsVerifier();
  deps = {
    params,
    // Route 53 is a global service: its API lives in us-east-1 whatever the Lambda's region.
    dns: new Route53DnsRouter(new Route53Client({ region: 'us-east-1' })),
    openShell: groupShellOpener(params),
    health: new FetchHealthProbe(),
    clock: systemClock,
    logger: new Logger({ serviceName: 'twinstack' }),
    recordMetric,
    dnsVerifier: (record, expected) => dnsVerifier.answers(record, expected),
  };
  const leaseTable = process.env[LEASE_TABLE_ENV];
  if (leaseTable) deps = { ...deps, lease: new DynamoDbLeaseStore(new DynamoDBClient({}), leaseTable, systemClock) };
  return deps;
}
