import { TwinstackError } from '../errors.ts';

/** A workflow execution could not be started (throttled, service error, workflow missing). */
export class WorkflowStartError extends TwinstackError {
  override readonly name = 'WorkflowStartError';
  readonly code = 'WORKFLOW_START_FAILED';
  override readonly transient = true;
}
