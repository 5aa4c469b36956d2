import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { GroupAwaitingTwin } from '../../functions/core/model.ts';
import type { StepDefinition } from '../../functions/handlers/step-catalog.ts';
import { METRICS_NAMESPACE, METRICS_SERVICE } from '../../functions/handlers/deps/metric-dimensions.ts';
import { statementsFor } from './step-permissions.ts';
import { lambdaBundling } from './lambda-bundling.ts';

export interface StepFunctionProps {
  /** The catalog entry: handler file, timeout and capabilities. */
  readonly step: StepDefinition;
  /** Groups the function may act on (IAM resources are per group); groups awaiting their twin only for clone-stack's steps. */
  readonly groups: readonly GroupAwaitingTwin[];
  /**
   * Groups (awaiting their twin) of which the function may only read the config parameter, with
   * 'config:read': steps outside clone-stack load it to refuse it (twinNotClonedMessage). @default none
   */
  readonly configOnlyGroups?: readonly string[];
  /** The handler file (`functions/handlers/<file>.handler.ts`), exporting `handler`. */
  readonly entry: string;
  /** Repository root (esbuild's working directory). */
  readonly projectRoot: string;
  /** package-lock.json of the repository. */
  readonly depsLockFilePath: string;
  /** @default - CloudWatch Logs' own encryption */
  readonly logEncryptionKey?: kms.IKey;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** POWERTOOLS_LOG_LEVEL. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}


/**
 * One Lambda function for one workflow step of the catalog.
 *
 * Invariants: its own role holds only its log group's write permission, X-Ray, and
 * the statements of its capabilities (no managed policy); bundling is local esbuild
 * (ESM, minified, source maps) with the runtime's AWS SDK v3 left external.
 */
export class StepFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StepFunctionProps) {
    super(scope, id);
    const { step } = props;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${step.state}: ${step.description}`,
    });
    this.logGroup.grantWrite(this.role);

    const scoped = statementsFor(Stack.of(this), step.capabilities, props.groups, props.configOnlyGroups);
    for (const { statement } of scoped) this.role.addToPrincipalPolicy(statement);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: step.description,
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: props.depsLockFilePath,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(step.timeoutSeconds),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: METRICS_SERVICE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: lambdaBundling(),
    });

    const acknowledgements = [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords), added by active tracing, supports no resource-level permissions.',
      },
      ...scoped.flatMap((s) => s.wildcards.map((w) => ({ id: `AwsSolutions-IAM5[${w.finding}]`, reason: w.reason }))),
    ];
    const seen = new Set<string>();
    for (const ack of acknowledgements) {
      if (seen.has(ack.id)) continue;
      seen.add(ack.id);
      Validations.of(this.role).acknowledge(ack);
    }
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to NODEJS_22_X on purpose: the runtime major the handlers, their dependencies and the local runtime are built and tested for (DESIGN.md).',
    });
  }
}
