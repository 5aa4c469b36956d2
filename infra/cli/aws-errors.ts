/** An AWS SDK failure as one line (its name and message, and where to look); other errors are rethrown. */
import { EXIT, type CliIo } from './cli-io.ts';

export function isAwsError(error: unknown): error is Error & { $metadata: unknown } {
  return error instanceof Error && typeof (error as { $metadata?: unknown }).$metadata === 'object';
}

/** `twinstack: AWS answered <Name>: <message> — fix: …`, exit 1 (the environment failed); non-AWS errors are rethrown. */
export function reportAwsError(error: unknown, io: CliIo): number {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const aws = isAwsError(error) ? error : isAwsError(cause) ? cause : undefined;
  if (!aws) throw error;
  const fix = /AccessDenied|UnrecognizedClient|ExpiredToken|InvalidSignature/i.test(aws.name)
    ? 'use credentials allowed to read twinstack (states:ListExecutions/DescribeExecution, ssm:GetParameter*, route53:ListResourceRecordSets)'
    : /StateMachineDoesNotExist|ParameterNotFound|NoSuchHostedZone/i.test(aws.name)
      ? 'check --region (the control region) and --account, and that the twinstack stacks are deployed there'
      : 'retry; if it persists check the AWS service health and your network';
  io.err(`twinstack: AWS answered ${aws.name}: ${aws.message.split('\n')[0] ?? ''} — fix: ${fix}`);
  return EXIT.fault;
}
