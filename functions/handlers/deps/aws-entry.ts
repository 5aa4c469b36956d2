/**
 * AWS Lambda entry for a step: builds the AWS deps on the first invocation only
 * (dynamic import), so importing a handler module locally needs no AWS SDK or env.
 * Steps without the `ssh` capability use this entry and their bundle holds no ssh2;
 * steps with it use `awsSshEntry` (aws-ssh-entry.ts), which adds the group shell.
 */
import type { ParameterStore, RemoteShell } from '../../core/ports.ts';
import type { StepDeps } from './step-deps.ts';

export type ShellOpenerFactory = (params: ParameterStore) => (group: string) => Promise<RemoteShell>;

export function awsEntry<E, R>(create: (deps: StepDeps) => (event: E) => Promise<R>, shellOpener?: ShellOpenerFactory): (event: E) => Promise<R> {
  let handle: ((event: E) => Promise<R>) | undefined;
  return async (event: E) => {
    if (!handle) {
      const { awsStepDeps } = await import('./aws.step-deps.ts');
      handle = create(awsStepDeps(shellOpener));
    }
    return handle(event);
  };
}
