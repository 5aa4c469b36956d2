import { join } from 'node:path';
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FailoverGroup } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { DEPLOY_STATE_MACHINE_ARN_ENV, WEBHOOK_GROUPS_ENV } from '../../functions/handlers/webhook/webhook-env.ts';
import { InvalidConstructPropsError } from './construct-props-error.ts';
import { lambdaBundling } from './lambda-bundling.ts';

export interface DeployWebhookProps {
  /** The deploy workflow the webhook starts. */
  readonly deployStateMachine: sfn.IStateMachine;
  /** Groups whose webhooks this endpoint takes (only those with a `source` are served; at least one). */
  readonly groups: readonly FailoverGroup[];
  /** The handler file exporting `handler`. @default `<projectRoot>/functions/handlers/receive-webhook.handler.ts` */
  readonly handlerEntry?: string;
  /** Repository root (esbuild's working directory; package-lock.json lives there). Required with handlerEntry's default. */
  readonly projectRoot: string;
  /** Stage throttling at the edge. @default {rateLimit: 20, burstLimit: 40} */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** Key of the access-log and function log groups. @default - a new key with rotation */
  readonly logEncryptionKey?: kms.IKey;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

export const DEFAULT_WEBHOOK_THROTTLE = { rateLimit: 20, burstLimit: 40 } as const;

/** Every problem with the props, at once. */
export function checkDeployWebhookProps(props: DeployWebhookProps): string[] {
  const issues: string[] = [];
  if (!props.groups.some((g) => g.source !== undefined)) issues.push('no group has a `source` block: there is no webhook to receive');
  const throttle = props.throttle;
  if (throttle) {
    if (!Number.isFinite(throttle.rateLimit) || throttle.rateLimit <= 0) issues.push(`throttle.rateLimit must be a positive number, not ${throttle.rateLimit}`);
    if (!Number.isInteger(throttle.burstLimit) || throttle.burstLimit < 1) issues.push(`throttle.burstLimit must be a whole number ≥ 1, not ${throttle.burstLimit}`);
    if (Number.isFinite(throttle.rateLimit) && Number.isInteger(throttle.burstLimit) && throttle.burstLimit < throttle.rateLimit) {
      issues.push(`throttle.burstLimit (${throttle.burstLimit}) is below rateLimit (${throttle.rateLimit})`);
    }
  }
  return issues;
}

/**
 * The deploy webhook endpoint: `POST /hooks/{group}` on an API Gateway HTTP API,
 * served by the ReceiveWebhook function, which starts the deploy workflow.
 *
 * Why an HTTP API and not a Lambda Function URL: the stage throttles at the edge
 * (a flood is refused before any Lambda runs or any secret is read), it writes
 * access logs (who called, with what status) to an encrypted log group, and there
 * is no publicly invokable, unauthenticated Function URL. The route has no IAM
 * authorizer because webhook providers cannot sign SigV4: the provider signature
 * (or GitLab token), verified in the function against the group's secrets in SSM,
 * IS the authentication. Payloads are limited by the function (1 MiB → 413).
 *
 * Invariants: the function's role reads only the groups' config and webhook-secret
 * parameters (kms:Decrypt only via SSM and only for those secrets) and may only
 * start executions of the deploy state machine; no Function URL exists.
 */
export class DeployWebhook extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly accessLogGroup: logs.LogGroup;
  /** `https://…/hooks/` — append the group name. */
  readonly hooksUrl: string;

  constructor(scope: Construct, id: string, props: DeployWebhookProps) {
    const issues = checkDeployWebhookProps(props);
    if (issues.length > 0) throw new InvalidConstructPropsError(`DeployWebhook ${id}`, issues);
    super(scope, id);
    const stack = Stack.of(this);
    const groups = props.groups.filter((g) => g.source !== undefined);
    const retention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const key = props.logEncryptionKey ?? this.createLogKey(stack);

    // Function: its own role, logs, X-Ray, the narrowest SSM/KMS/Step Functions rights.
    const functionLogs = new logs.LogGroup(this, 'FunctionLogs', { retention, encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ReceiveWebhook: verify deploy webhooks and start the deploy workflow',
    });
    functionLogs.grantWrite(this.role);
    const parameterArn = (name: string) =>
      stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const secretArns = groups.map((g) => parameterArn(parameterNames.webhookSecrets(g.name)));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [...groups.map((g) => parameterArn(parameterNames.config(g.name))), ...secretArns],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
        conditions: {
          StringEquals: { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': secretArns },
        },
      }),
    );
    props.deployStateMachine.grantStartExecution(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'twinstack: receive deploy webhooks (verify, classify, start the deploy workflow)',
      entry: props.handlerEntry ?? join(props.projectRoot, 'functions', 'handlers', 'receive-webhook.handler.ts'),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // Providers wait ~10 s for an answer; the deploy itself runs in the workflow.
      timeout: Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: functionLogs,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'twinstack',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        [DEPLOY_STATE_MACHINE_ARN_ENV]: props.deployStateMachine.stateMachineArn,
        // Deliveries to any other group are answered 404 before any SSM read.
        [WEBHOOK_GROUPS_ENV]: groups.map((g) => g.name).join(','),
      },
      bundling: lambdaBundling(),
    });

    // API: one route, throttled default stage, JSON access logs.
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention, encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'twinstack deploy webhooks: POST /hooks/{group}',
      createDefaultStage: false,
    });
    const throttle = props.throttle ?? DEFAULT_WEBHOOK_THROTTLE;
    const stage = new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });
    const routes = this.api.addRoutes({
      path: '/hooks/{group}',
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('ReceiveWebhook', this.function),
    });
    this.hooksUrl = `${stage.url.replace(/\/$/, '')}/hooks/`;

    for (const route of routes) {
      for (const rule of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
        Validations.of(route).acknowledge({
          id: rule,
          reason: 'Webhook providers (GitHub, GitLab, Bitbucket) cannot sign SigV4 or present Cognito tokens: the provider signature (or GitLab token), verified in constant time against the group\'s SSM secrets before any parsing, is the authentication.',
        });
      }
    }
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords), added by active tracing, supports no resource-level permissions.',
    });
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${stack.region}:<AWS::AccountId>:key/*]`,
      reason: 'The AWS-managed aws/ssm key has no id known at synth time; use is limited to SSM (kms:ViaService) and to the webhook-secret parameters (kms:EncryptionContext:PARAMETER_ARN).',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to NODEJS_22_X on purpose: the runtime major the handlers, their dependencies and the local runtime are built and tested for (DESIGN.md).',
    });

    new CfnOutput(this, 'HooksUrl', { description: 'Deploy webhook URL: append the group name', value: this.hooksUrl });
  }

  private createLogKey(stack: Stack): kms.Key {
    const key = new kms.Key(this, 'LogKey', { description: 'twinstack deploy webhook: log groups', enableKeyRotation: true });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    return key;
  }
}
