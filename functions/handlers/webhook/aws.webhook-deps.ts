/**
 * ReceiveWebhook deps in AWS Lambda: SSM Parameter Store and Step Functions, clients
 * created once per module; the deploy state machine ARN from DEPLOY_STATE_MACHINE_ARN and
 * the served groups from TWINSTACK_WEBHOOK_GROUPS (others: 404 before any SSM read).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SsmParameterStore } from '../../adapters/aws/ssm.parameter-store.ts';
import { SfnWorkflowStarter } from '../../adapters/aws/sfn.workflow-starter.ts';
import { ConfigError } from '../../core/errors.ts';
import type { ReceiveWebhookDeps } from '../receive-webhook.handler.ts';
import { DEPLOY_STATE_MACHINE_ARN_ENV, parseWebhookGroups, WEBHOOK_GROUPS_ENV } from './webhook-env.ts';

/** The value of a required environment variable; ConfigError naming it when absent. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

let deps: ReceiveWebhookDeps | undefined;

export function awsWebhookDeps(): ReceiveWebhookDeps {
  if (deps) return deps;
  const deployArn = requiredEnv(DEPLOY_STATE_MACHINE_ARN_ENV);
  const knownGroups = parseWebhookGroups(process.env[WEBHOOK_GROUPS_ENV]);
  deps = {
    ...(knownGroups !== undefined ? { knownGroups } : {}),
    params: new SsmParameterStore(new SSMClient({})),
    starter: new SfnWorkflowStarter(new SFNClient({}), (workflow) => {
      if (workflow !== 'deploy') throw new ConfigError(`this function starts only the deploy workflow, not ${workflow}`);
      return deployArn;
    }),
    logger: new Logger({ serviceName: 'twinstack' }),
  };
  return deps;
}
