import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FailoverGroup } from '../../functions/core/model.ts';
import { InvalidConstructPropsError } from '../../infra/constructs/construct-props-error.ts';
import { DeployWebhook, type DeployWebhookProps } from '../../infra/constructs/deploy-webhook.ts';
import { PROJECT_ROOT } from '../../infra/stacks/control-stack.ts';
import { FIXTURE_CONFIG } from './fixtures/twinstack-config.fixture.ts';

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const SOURCE = { provider: 'github', repository: 'acme/shop', branch: 'main', gitUrl: 'git@github.com:acme/shop.git', hostConcurrency: 1 } as const;

type Json = Record<string, unknown>;

/** Both fixture groups; only the first takes webhooks. */
const GROUPS: FailoverGroup[] = FIXTURE_CONFIG.groups.map((g, i) => (i === 0 ? { ...g, source: SOURCE } : g));

function build(props: Partial<DeployWebhookProps> = {}) {
  const app = new App({ context: NO_BUNDLING });
  const stack = new Stack(app, 'Test', { env: { region: 'eu-central-1' } });
  const deployStateMachine = new sfn.StateMachine(stack, 'Deploy', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Noop')) });
  const webhook = new DeployWebhook(stack, 'Webhook', { deployStateMachine, groups: GROUPS, projectRoot: PROJECT_ROOT, ...props });
  return { app, stack, webhook, deployStateMachine };
}

/** Every IAM statement of policies attached to the webhook function's role. */
function statementsOf(template: Template, stack: Stack, webhook: DeployWebhook): Json[] {
  const roleId = stack.getLogicalId(webhook.role.node.defaultChild as never);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => ((p['Properties'] as Json)['Roles'] as Json[]).some((r) => r['Ref'] === roleId))
    .flatMap((p) => ((p['Properties'] as Json)['PolicyDocument'] as { Statement: Json[] }).Statement);
}

const text = (value: unknown) => JSON.stringify(value);

describe('DeployWebhook', () => {
  let built: ReturnType<typeof build>;
  let template: Template;

  beforeAll(() => {
    // Prepare (once: synth is the slow part)
    built = build();
    template = Template.fromStack(built.stack);
  });

  it('exposes POST /hooks/{group} on an HTTP API, integrated with the function, without IAM auth', () => {
    // Assess
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /hooks/{group}', AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('throttles the stage (20/40 by default) and writes access logs to a KMS-encrypted log group', () => {
    // Act
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]?.['Properties'] as Json;
    const destination = ((stage['AccessLogSettings'] as Json)['DestinationArn'] as Json)['Fn::GetAtt'] as string[];
    const logGroup = (template.toJSON()['Resources'] as Record<string, Json>)[destination[0] ?? ''] ?? {};

    // Assess
    expect(stage['DefaultRouteSettings']).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    expect(text((stage['AccessLogSettings'] as Json)['Format'])).toMatch(/requestId/);
    expect(logGroup['Type']).toBe('AWS::Logs::LogGroup');
    expect((logGroup['Properties'] as Json)['KmsKeyId']).toBeDefined();
  });

  it('takes the throttle from props', () => {
    // Act
    const custom = Template.fromStack(build({ throttle: { rateLimit: 5, burstLimit: 10 } }).stack);

    // Assess
    custom.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  it('runs the function on NODEJS_22_X with the deploy state machine ARN, and creates no Function URL', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: Match.objectLike({ DEPLOY_STATE_MACHINE_ARN: { Ref: built.stack.getLogicalId(built.deployStateMachine.node.defaultChild as never) } }) },
    });
    template.resourceCountIs('AWS::Lambda::Url', 0);
  });

  it.each<[string, FailoverGroup[], string]>([
    ['only the first of two groups has a source', GROUPS, GROUPS[0]?.name ?? ''],
    ['both groups have a source', FIXTURE_CONFIG.groups.map((g) => ({ ...g, source: SOURCE })), FIXTURE_CONFIG.groups.map((g) => g.name).join(',')],
  ])('names the groups it serves in TWINSTACK_WEBHOOK_GROUPS when %s', (_, groups, expected) => {
    // Act
    const custom = groups === GROUPS ? template : Template.fromStack(build({ groups }).stack);

    // Assess
    expect(expected).not.toBe('');
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TWINSTACK_WEBHOOK_GROUPS: expected }) },
    });
  });

  it('grants only GetParameter on config and webhook secrets of groups with a source, KMS via SSM, and StartExecution on deploy', () => {
    // Act
    const statements = statementsOf(template, built.stack, built.webhook);
    const actions = statements.flatMap((s) => [s['Action']].flat() as string[]);
    const ssm = statements.find((s) => s['Action'] === 'ssm:GetParameter');
    const kms = statements.find((s) => s['Action'] === 'kms:Decrypt');
    const start = statements.find((s) => s['Action'] === 'states:StartExecution');

    // Assess
    expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')).sort()).toEqual(['kms:Decrypt', 'ssm:GetParameter', 'states:StartExecution']);
    expect(text(ssm?.['Resource'])).toContain('parameter/twinstack/shop/config');
    expect(text(ssm?.['Resource'])).toContain('parameter/twinstack/shop/webhook/secrets');
    expect(text(ssm?.['Resource'])).not.toContain(`/${GROUPS[1]?.name}/`);
    expect(text(ssm?.['Resource'])).not.toContain('*');
    expect(kms?.['Condition']).toMatchObject({ StringEquals: { 'kms:ViaService': 'ssm.eu-central-1.amazonaws.com' } });
    expect(text((kms?.['Condition'] as Json)['StringLike'])).toContain('webhook/secrets');
    expect(start?.['Resource']).toEqual({ Ref: built.stack.getLogicalId(built.deployStateMachine.node.defaultChild as never) });
  });

  it('is clean under cdk-nag AwsSolutions (its findings acknowledged with reasons)', () => {
    // Act
    const violations = new AwsSolutionsChecks().validateScope(built.app).violations
      .map((v) => ({ rule: v.ruleName, paths: v.violatingResources.map((r) => r.constructPath ?? '?') }))
      // The fixture's own Pass-state machine is not this construct's concern.
      .filter((v) => v.paths.some((p) => p.includes('/Webhook/')));

    // Assess
    expect(violations).toEqual([]);
  });

  it.each<[string, Partial<DeployWebhookProps>, RegExp[]]>([
    ['no group with a source', { groups: FIXTURE_CONFIG.groups }, [/no group has a `source`/]],
    ['a bad throttle', { throttle: { rateLimit: 0, burstLimit: 0.5 } }, [/rateLimit must be a positive/, /burstLimit must be a whole number/]],
  ])('refuses %s, reporting every problem', (_, props, problems) => {
    // Act
    const failure = (() => {
      try {
        build(props);
      } catch (error) {
        return error;
      }
      return undefined;
    })();

    // Assess
    expect(failure).toBeInstanceOf(InvalidConstructPropsError);
    for (const problem of problems) expect((failure as InvalidConstructPropsError).issues.some((i) => problem.test(i))).toBe(true);
  });
});
