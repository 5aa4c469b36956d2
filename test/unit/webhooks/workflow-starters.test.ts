import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { toHaveReceivedCommandTimes, toHaveReceivedCommandWith } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { executionArnOf, SfnWorkflowStarter } from '../../../functions/adapters/aws/sfn.workflow-starter.ts';
import { InProcessWorkflowStarter } from '../../../functions/adapters/local/in-process.workflow-starter.ts';
import { WorkflowStartError } from '../../../functions/core/webhooks/workflow-start.error.ts';

expect.extend({ toHaveReceivedCommandWith, toHaveReceivedCommandTimes });

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-central-1:123456789012:stateMachine:twinstack-deploy';
const starter = () => new SfnWorkflowStarter(new SFNClient({ region: 'eu-central-1' }), (workflow) => (workflow === 'deploy' ? ARN : 'arn:unknown'));

describe('SfnWorkflowStarter', () => {
  beforeEach(() => {
    sfn.reset();
  });

  it('starts an execution under the given name with the JSON input', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${executionArnOf(ARN, 'shop-abc')}`, startDate: new Date() });

    // Act
    const result = await starter().start('deploy', 'shop-abc', { group: 'shop' });

    // Assess
    expect(result).toEqual({ started: true, executionId: 'arn:aws:states:eu-central-1:123456789012:execution:twinstack-deploy:shop-abc' });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: ARN, name: 'shop-abc', input: '{"group":"shop"}' });
  });

  it('reports ExecutionAlreadyExists as a duplicate: started false, the existing execution', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    // Act
    const result = await starter().start('deploy', 'shop-abc', {});

    // Assess
    expect(result).toEqual({ started: false, executionId: executionArnOf(ARN, 'shop-abc') });
  });

  it('wraps any other failure in a WorkflowStartError with its cause', async () => {
    // Prepare
    const cause = new StateMachineDoesNotExist({ message: 'gone', $metadata: {} });
    sfn.on(StartExecutionCommand).rejects(cause);

    // Act
    const failure = await starter().start('deploy', 'shop-abc', {}).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(WorkflowStartError);
    expect(failure).toMatchObject({ name: 'WorkflowStartError', code: 'WORKFLOW_START_FAILED', cause });
  });
});

describe('InProcessWorkflowStarter', () => {
  it('runs a new name in the background and refuses the same name again', async () => {
    // Prepare
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runs: unknown[] = [];
    const local = new InProcessWorkflowStarter(async (workflow, input) => {
      runs.push([workflow, input]);
      await gate;
      return 'done';
    });

    // Act
    const first = await local.start('deploy', 'shop-abc', { n: 1 });
    const second = await local.start('deploy', 'shop-abc', { n: 2 });
    const runningBeforeRelease = local.list().map((e) => e.status);
    release();
    await local.idle();

    // Assess
    expect([first.started, second.started]).toEqual([true, false]);
    expect(first.executionId).toBe(second.executionId);
    expect(runningBeforeRelease).toEqual(['RUNNING']);
    expect(runs).toEqual([['deploy', { n: 1 }]]);
    expect(local.list()).toEqual([expect.objectContaining({ status: 'SUCCEEDED', output: 'done' })]);
  });

  it('starts one run for 20 concurrent starts of one name', async () => {
    // Prepare
    let runs = 0;
    const local = new InProcessWorkflowStarter(() => Promise.resolve(++runs));

    // Act
    const results = await Promise.all(Array.from({ length: 20 }, () => local.start('deploy', 'same', {})));
    await local.idle();

    // Assess
    expect(results.filter((r) => r.started)).toHaveLength(1);
    expect(runs).toBe(1);
  });

  it('records a failed run without an unhandled rejection, and tells the observer', async () => {
    // Prepare
    const settled: string[] = [];
    const local = new InProcessWorkflowStarter(() => Promise.reject(new TypeError('broken')), (e) => settled.push(`${e.status} ${e.error ?? ''}`));

    // Act
    await local.start('deploy', 'x', {});
    await local.idle();

    // Assess
    expect(settled).toEqual(['FAILED TypeError: broken']);
  });
});
