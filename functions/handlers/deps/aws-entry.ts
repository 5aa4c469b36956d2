/**
 * AWS Lambda entry for a step: builds the AWS deps on the first invocation only
 * (dynamic import), so importing a handler module locally needs no AWS SDK or env.
 */
import type { StepDeps } from './step-deps.ts';

export function awsEntry<E, R>(create: (deps: StepDeps) => (event: E) => Promise<R>): (event: E) => Promise<R> {
  let handle: ((event: E) => Promise<R>) | undefined;
  return async (event: E) => {
    if (!handle) {
      const { awsStepDeps } = await import('./aws.step-deps.ts');
      handle = create(awsStepDeps());
    }
    return handle(event);
  };
}
