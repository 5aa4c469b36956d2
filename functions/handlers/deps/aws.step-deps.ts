/**
 * StepDeps in AWS Lambda: SSM Parameter Store, Route 53, DynamoDB, fetch, system clock, and
 * (for steps with the `ssh` capability, through `awsSshEntry`) ssh2.
 *
 * Cold start: the AWS SDK is external to the bundles (the runtime has it) and is loaded with
 * `import()` when a port is first used (lazyPort, and the adapters' own command imports), so a
 * step loads only the clients its capabilities use: DecideFailover none, CheckDrift SSM only,
 * SwitchDns SSM and Route 53. Each client is created once per container.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDbLeaseStore } from '../../adapters/aws/dynamodb.lease-store.ts';
import { AuthoritativeDnsVerifier } from '../../adapters/aws/route53-name-servers.dns-verifier.ts';
import { Route53DnsRouter } from '../../adapters/aws/route53.dns-router.ts';
import { SsmParameterStore } from '../../adapters/aws/ssm.parameter-store.ts';
import { FetchHealthProbe } from '../../adapters/http/fetch.health-probe.ts';
import { systemClock } from '../../adapters/system.clock.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { Compute } from '../../core/compute.ts';
import type { DnsRouter, LeaseStore, ParameterStore } from '../../core/ports.ts';
import type { ShellOpenerFactory } from './aws-entry.ts';
import { lazyPort } from './lazy-port.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE } from './metric-dimensions.ts';
import type { MetricUnitName, StepDeps } from './step-deps.ts';

let deps: StepDeps | undefined;

/** Env var naming the deploy lease table (set by ControlStack on functions with the 'lease' capability). */
export const LEASE_TABLE_ENV = 'TWINSTACK_LEASE_TABLE';

/**
 * Publish one metric now as CloudWatch EMF (Powertools Metrics). Powertools adds the `service`
 * dimension: alarms watch `emittedDimensions(dimensions)` (metric-dimensions.ts).
 */
export function recordMetric(name: string, value: number, dimensions: Readonly<Record<string, string>>, unit: MetricUnitName = MetricUnit.Count): void {
  const metrics = new Metrics({ namespace: process.env['POWERTOOLS_METRICS_NAMESPACE'] ?? METRICS_NAMESPACE, serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? METRICS_SERVICE });
  metrics.addDimensions({ ...dimensions });
  metrics.addMetric(name, unit, value);
  metrics.publishStoredMetrics();
}

export function awsStepDeps(shellOpener?: ShellOpenerFactory): StepDeps {
  if (deps) return deps;
  const params = lazyPort<ParameterStore>(async () => {
    const { SSMClient } = await import('@aws-sdk/client-ssm');
    return new SsmParameterStore(new SSMClient({}));
  });
  // Route 53 is a global service: its API lives in us-east-1 whatever the Lambda's region.
  const dns = lazyPort<DnsRouter>(async () => {
    const { Route53Client } = await import('@aws-sdk/client-route-53');
    return new Route53DnsRouter(new Route53Client({ region: 'us-east-1' }));
  });
  const dnsVerifier = new AuthoritativeDnsVerifier();
  // clone-stack: EC2 and other regions' Parameter Stores, loaded on first use like every port.
  const compute = lazyPort<Compute>(async () => new (await import('../../adapters/aws/ec2.compute.ts')).Ec2Compute());
  const regionStores = new Map<string, ParameterStore>();
  const paramsIn = (region: string): ParameterStore => {
    let store = regionStores.get(region);
    if (!store) {
      store = lazyPort<ParameterStore>(async () => {
        const { SSMClient } = await import('@aws-sdk/client-ssm');
        return new SsmParameterStore(new SSMClient({ region }));
      });
      regionStores.set(region, store);
    }
    return store;
  };
  deps = {
    params,
    dns,
    openShell: shellOpener
      ? shellOpener(params)
      : () => Promise.reject(new InvalidInputError('this step has no ssh capability (its handler uses awsEntry, not awsSshEntry)')),
    health: new FetchHealthProbe(),
    clock: systemClock,
    logger: new Logger({ serviceName: 'twinstack' }),
    recordMetric,
    dnsVerifier: (record, expected) => dnsVerifier.answers(record, expected),
    compute,
    paramsIn,
  };
  const leaseTable = process.env[LEASE_TABLE_ENV];
  if (leaseTable) {
    const lease = lazyPort<LeaseStore>(async () => {
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      return new DynamoDbLeaseStore(new DynamoDBClient({}), leaseTable, systemClock);
    });
    deps = { ...deps, lease };
  }
  return deps;
}
