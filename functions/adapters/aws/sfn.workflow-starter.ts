/** WorkflowStarter over Step Functions StartExecution (Standard workflows: names are unique per state machine). */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowStarter } from '../../core/ports.ts';
import { WorkflowStartError } from '../../core/webhooks/workflow-start.error.ts';

/** The ARN of execution `name` of the state machine `stateMachineArn`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * `ExecutionAlreadyExists` (a closed execution of that name, or a running one with a
 * different input) → `{started: false}` with that execution's ARN: a duplicate starts
 * nothing. Note: StartExecution with the SAME name AND input as a RUNNING execution
 * succeeds without starting a second one; callers put a per-delivery field in the
 * input so a duplicate is always reported as such. Other failures: WorkflowStartError.
 */
export class SfnWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly arnOf: (workflow: string) => string,
  ) {}

  async start(workflow: string, executionName: string, input: unknown): Promise<{ started: boolean; executionId: string }> {
    const stateMachineArn = this.arnOf(workflow);
    try {
      const output = await this.client.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }));
      return { started: true, executionId: output.executionArn ?? executionArnOf(stateMachineArn, executionName) };
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return { started: false, executionId: executionArnOf(stateMachineArn, executionName) };
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new WorkflowStartError(`cannot start ${workflow} execution ${executionName}: ${detail}`, { cause: error });
    }
  }
}
