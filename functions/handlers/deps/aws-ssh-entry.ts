/**
 * AWS Lambda entry for a step with the `ssh` capability (step-catalog.ts): `awsEntry` plus the
 * group shell over ssh2. Only these steps' bundles contain ssh2, and they evaluate it on the
 * first shell they open (open-group-shell.ts).
 */
import { awsEntry } from './aws-entry.ts';
import { groupShellOpener } from './open-group-shell.ts';
import type { StepDeps } from './step-deps.ts';

export function awsSshEntry<E, R>(create: (deps: StepDeps) => (event: E) => Promise<R>): (event: E) => Promise<R> {
  return awsEntry(create, groupShellOpener);
}
