import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { InvalidConstructPropsError } from '../../infra/constructs/construct-props-error.ts';
import { Workflow, placeholdersIn } from '../../infra/constructs/workflow.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const ASL = join(FIXTURES, 'two-steps.asl.json');
const ARN = (name: string) => `arn:aws:lambda:eu-central-1:111111111111:function:${name}`;

function stackWith(): { stack: Stack; fn: (name: string) => lambda.IFunction } {
  const stack = new Stack(new App(), 'Test', { env: { region: 'eu-central-1' } });
  return { stack, fn: (name) => lambda.Function.fromFunctionArn(stack, name, ARN(name)) };
}

function errorOf(act: () => unknown): InvalidConstructPropsError {
  try {
    act();
  } catch (error) {
    if (error instanceof InvalidConstructPropsError) return error;
    throw error;
  }
  throw new Error('expected InvalidConstructPropsError, nothing was thrown');
}

describe('placeholdersIn', () => {
  it.each([
    { text: '{"Resource":"${AFunctionArn}"}', expected: ['AFunctionArn'] },
    { text: '"${A}" "${B}" "${A}"', expected: ['A', 'B'] },
    { text: '"$.input" "States.Format(\'{}\', $.x)"', expected: [] },
  ])('finds $expected in $text', ({ text, expected }) => {
    // Act / Assess
    expect(placeholdersIn(text)).toEqual(expected);
  });
});

describe('Workflow', () => {
  it('keeps the ASL file as the definition and binds each placeholder through DefinitionSubstitutions', () => {
    // Prepare
    const { stack, fn } = stackWith();

    // Act
    new Workflow(stack, 'Wf', { aslFile: ASL, functions: { FirstFunctionArn: fn('first'), SecondFunctionArn: fn('second') }, stateMachineName: 'wf' });
    const template = Template.fromStack(stack);

    // Assess
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as { Properties: Record<string, unknown> }[];
    expect(machine!.Properties['StateMachineName']).toBe('wf');
    expect(machine!.Properties['DefinitionSubstitutions']).toEqual({ FirstFunctionArn: ARN('first'), SecondFunctionArn: ARN('second') });
    expect(JSON.parse(machine!.Properties['DefinitionString'] as string)).toEqual({
      Comment: 'Fixture: two Task states with placeholders',
      QueryLanguage: 'JSONPath',
      StartAt: 'First',
      States: {
        First: { Type: 'Task', Resource: '${FirstFunctionArn}', TimeoutSeconds: 10, Next: 'Second' },
        Second: { Type: 'Task', Resource: '${SecondFunctionArn}', TimeoutSeconds: 10, End: true },
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: [ARN('first'), ARN('second')] }]) },
    });
  });

  it('reports an unbound and an unknown placeholder together', () => {
    // Prepare
    const { stack, fn } = stackWith();

    // Act
    const error = errorOf(() => new Workflow(stack, 'Wf', { aslFile: ASL, functions: { FirstFunctionArn: fn('first'), ThirdFunctionArn: fn('third') } }));

    // Assess
    expect(error.issues).toEqual([
      `placeholder \${SecondFunctionArn} in ${ASL} has no function bound`,
      `function bound to unknown placeholder ThirdFunctionArn: ${ASL} does not use \${ThirdFunctionArn}`,
    ]);
    expect(stack.node.tryFindChild('Wf')?.node.children ?? []).toEqual([]);
  });

  it.each([
    { case: 'a missing file', file: join(FIXTURES, 'absent.asl.json'), issue: /ASL file not found: .*absent\.asl\.json/ },
    { case: 'a file that is not JSON', file: join(FIXTURES, 'broken.asl.json'), issue: /broken\.asl\.json is not valid JSON/ },
  ])('reports $case', ({ file, issue }) => {
    // Prepare
    const { stack } = stackWith();

    // Act
    const error = errorOf(() => new Workflow(stack, 'Wf', { aslFile: file, functions: {} }));

    // Assess
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatch(issue);
  });

  it('alarms on failures with the topic as alarm and OK action', () => {
    // Prepare
    const { stack, fn } = stackWith();
    const topic = new sns.Topic(stack, 'Topic');

    // Act
    new Workflow(stack, 'Wf', { aslFile: ASL, functions: { FirstFunctionArn: fn('first'), SecondFunctionArn: fn('second') }, alarmTopic: topic, includeExecutionData: true });
    const template = Template.fromStack(stack);

    // Assess
    const topicRef = { Ref: stack.getLogicalId(topic.node.defaultChild as never) };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topicRef], OKActions: [topicRef], Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { LoggingConfiguration: { IncludeExecutionData: true, Level: 'ALL' } });
  });
});
