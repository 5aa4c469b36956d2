/**
 * WorkflowStarter for the local runtime: runs the workflow in this process, in the
 * background. Execution names are remembered (for the life of the starter, like
 * Step Functions' 90 days): a second start of a name returns `started: false`
 * and runs nothing, however many arrive at once (the check and the record are one
 * synchronous step, so no interleaving can slip between them).
 */
import type { WorkflowStarter } from '../../core/ports.ts';

export interface InProcessExecution {
  readonly workflow: string;
  readonly name: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  /** Settles when the run ends (never rejects). */
  readonly done: Promise<void>;
}

export class InProcessWorkflowStarter implements WorkflowStarter {
  private readonly executions = new Map<string, InProcessExecution>();

  /** `onSettled` is told when each run ends (e.g. to log it). */
  constructor(
    private readonly run: (workflow: string, input: unknown, executionName: string) => Promise<unknown>,
    private readonly onSettled?: (execution: InProcessExecution) => void,
  ) {}

  start(workflow: string, executionName: string, input: unknown): Promise<{ started: boolean; executionId: string }> {
    const executionId = `local:${workflow}:${executionName}`;
    if (this.executions.has(executionId)) return Promise.resolve({ started: false, executionId });
    const settle = (patch: Partial<InProcessExecution>) => {
      const current = this.executions.get(executionId);
      if (!current) return;
      const next = { ...current, ...patch };
      this.executions.set(executionId, next);
      try {
        this.onSettled?.(next);
      } catch {
        // A failing observer must not turn a finished run into an unhandled rejection.
      }
    };
    const done = Promise.resolve()
      .then(() => this.run(workflow, input, executionName))
      .then(
        (output) => settle({ status: 'SUCCEEDED', output }),
        (error: unknown) => settle({ status: 'FAILED', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
      );
    this.executions.set(executionId, { workflow, name: executionName, status: 'RUNNING', done });
    return Promise.resolve({ started: true, executionId });
  }

  /** Every execution started so far, by id. */
  list(): InProcessExecution[] {
    return [...this.executions.values()];
  }

  /** Resolves once every execution started so far has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }
}
