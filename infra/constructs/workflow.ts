import { existsSync, readFileSync } from 'node:fs';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { InvalidConstructPropsError } from './construct-props-error.ts';

export interface WorkflowProps {
  /** Path of the ASL file (JSONPath) whose Task resources are `${<Name>}` placeholders. */
  readonly aslFile: string;
  /**
   * Function per placeholder name (`PromoteDatabaseFunctionArn`, without `${}`).
   * Must bind every placeholder of the file and nothing else.
   */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** @default - CloudFormation generates a name */
  readonly stateMachineName?: string;
  /** Topic notified when the failure alarm fires (and when it recovers). @default - alarm without actions */
  readonly alarmTopic?: sns.ITopic;
  /** Key that encrypts the execution log group. @default - the log group uses CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: kms.IKey;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Whether execution logs carry each state's input and output.
   * Our workflows carry no secrets by design (secrets stay in Parameter Store),
   * but a mistake there would then land in logs for the whole retention: off by
   * default, conservatively; turn it on temporarily to debug.
   * @default false
   */
  readonly includeExecutionData?: boolean;
}

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** Distinct `${Name}` placeholder names in an ASL text, in order of first appearance. */
export function placeholdersIn(aslText: string): string[] {
  return [...new Set([...aslText.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

/**
 * Every problem with the props, all at once (empty when valid). Reads the file;
 * returns its minified text so the construct does not read it twice.
 */
export function checkWorkflowProps(props: WorkflowProps): { issues: string[]; definition?: string } {
  const issues: string[] = [];
  if (!existsSync(props.aslFile)) {
    return { issues: [`ASL file not found: ${props.aslFile}`] };
  }
  let definition: string;
  try {
    definition = JSON.stringify(JSON.parse(readFileSync(props.aslFile, 'utf8')));
  } catch (error) {
    return { issues: [`ASL file ${props.aslFile} is not valid JSON: ${(error as Error).message}`] };
  }
  const used = placeholdersIn(definition);
  const bound = Object.keys(props.functions);
  for (const name of used) {
    if (!bound.includes(name)) issues.push(`placeholder \${${name}} in ${props.aslFile} has no function bound`);
  }
  for (const name of bound) {
    if (!used.includes(name)) issues.push(`function bound to unknown placeholder ${name}: ${props.aslFile} does not use \${${name}}`);
  }
  return { issues, definition };
}

/**
 * A Standard state machine built from an ASL file: the file stays the single
 * source of truth (the local runtime runs the very same text).
 *
 * Invariants:
 * - props are validated before anything is created, and every problem is reported at once;
 * - the DefinitionString is the file's JSON (minified) verbatim; ARNs are bound through
 *   `DefinitionSubstitutions`, so the definition stays inline and assertable;
 * - the role may invoke exactly the bound functions (unqualified ARNs, as the ASL uses);
 * - logging ALL to a dedicated log group, X-Ray on, and an alarm on failed/timed-out/aborted executions.
 */
export class Workflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const { issues, definition } = checkWorkflowProps(props);
    if (issues.length > 0 || definition === undefined) throw new InvalidConstructPropsError(`Workflow ${this.node.path}`, issues);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Runs the ${id} workflow`,
    });
    const functionArns = Object.values(props.functions).map((f) => f.functionArn);
    if (functionArns.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functionArns }));
    }

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: Object.fromEntries(Object.entries(props.functions).map(([name, f]) => [name, f.functionArn])),
      role,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: props.includeExecutionData ?? false },
    });

    const metric = (name: string) => this.stateMachine.metric(name, { statistic: 'Sum', period: Duration.minutes(1) });
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmDescription: `A ${id} execution failed, timed out or was aborted`,
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: { failed: metric('ExecutionsFailed'), timedOut: metric('ExecutionsTimedOut'), aborted: metric('ExecutionsAborted') },
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(props.alarmTopic);
      this.failureAlarm.addAlarmAction(action);
      this.failureAlarm.addOkAction(action);
    }

    // StateMachine itself adds these statements to the role; AWS accepts only `*` for them.
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only AWS-required wildcards: CloudWatch Logs vended delivery (logs:CreateLogDelivery, …) and X-Ray (xray:PutTraceSegments, …) support no resource-level permissions. lambda:InvokeFunction is on exact function ARNs.',
    });
  }
}
