/**
 * What every twinstack metric is published under. Powertools Metrics adds the `service`
 * dimension (POWERTOOLS_SERVICE_NAME) to every metric it emits, so a CloudWatch alarm must
 * watch `{service, ...dimensions}` exactly: `{group}` alone is another metric that never has data.
 * The CDK stacks and the AWS deps both read these constants (one definition).
 */

export const METRICS_NAMESPACE = 'twinstack';
export const METRICS_SERVICE = 'twinstack';

/** The dimension set a metric recorded with `dimensions` really carries in CloudWatch. */
export function emittedDimensions(dimensions: Readonly<Record<string, string>>): Record<string, string> {
  return { service: METRICS_SERVICE, ...dimensions };
}
