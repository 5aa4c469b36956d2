/**
 * The AWS side of the CLI: which region and account a command talks to, and a bounded
 * check that the standard credential chain yields credentials before anything is sent.
 * One definition, used by replicate | failover | deploy, status and history.
 */
import { CliInputError } from './cli-io.ts';

export interface AwsTargetOptions {
  readonly region?: string;
  readonly account?: string;
}

export interface AwsTarget {
  readonly region: string;
  readonly account: string;
}

export { WORKFLOW_NAMES } from '../../functions/core/workflows/workflow-names.ts';

/** `--region` / `--account`, else AWS_REGION (AWS_DEFAULT_REGION) / TWINSTACK_AWS_ACCOUNT; CliInputError naming the fix. */
export function awsTarget(what: string, options: AwsTargetOptions, env: NodeJS.ProcessEnv = process.env): AwsTarget {
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new CliInputError(`no AWS region for ${what}`, 'pass --region REGION (the control region) or set AWS_REGION, or add --local');
  const account = options.account ?? env.TWINSTACK_AWS_ACCOUNT;
  if (!account || !/^\d{12}$/.test(account)) throw new CliInputError(`no AWS account id for ${what}`, 'pass --account 123456789012 (or set TWINSTACK_AWS_ACCOUNT), or add --local');
  return { region, account };
}

/** The ARN of the state machine `twinstack-<workflow>`. */
export function stateMachineArnOf(target: AwsTarget, workflow: string): string {
  return `arn:aws:states:${target.region}:${target.account}:stateMachine:twinstack-${workflow}`;
}

/** Resolves the client's credentials within `timeoutMs`, else CliInputError (`no AWS credentials for <what>, <nothingDone>`). */
export async function ensureAwsCredentials(client: { config: { credentials: () => Promise<unknown> } }, what: string, nothingDone = 'nothing started', timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.config.credentials(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the credential chain did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
        timer.unref();
      }),
    ]);
  } catch (error) {
    const why = error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
    throw new CliInputError(`no AWS credentials for ${what}, ${nothingDone} (${why})`, 'set AWS_PROFILE (run `aws configure` or `aws sso login`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add --local');
  } finally {
    clearTimeout(timer);
  }
}
