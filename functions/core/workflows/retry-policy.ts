/**
 * The one retry policy of every workflow Task, and its few named variants.
 * `npm run asl` writes them into statemachines/*.asl.json (every Task's `Retry`);
 * the ASL contract test requires each Task's `Retry` to equal exactly its policy,
 * so changing a retry everywhere is one edit here, then `npm run asl`.
 * Pure data: no I/O.
 */
import { LeaseStoreError } from '../deploy/lease-store-error.ts';
import {
  ComputeError,
  ComputeUnavailableError,
  ConfigError,
  DnsChangeError,
  DnsVerificationError,
  ERROR_NAMES,
  FencingError,
  HostKeyMismatchError,
  HostUnreachableError,
  IncompatibleReplicaError,
  InvalidInputError,
  LeaseLostError,
  ParameterStoreError,
  PromotionError,
  RemoteCommandError,
  RemoteTimeoutError,
  RejoinRefusedError,
  ReplicaNotCaughtUpError,
  RestoreJobFailedError,
  SshAuthenticationError,
  UnexpectedOutputError,
  type ErrorName,
  type TwinstackError,
} from '../errors.ts';

/** One entry of an ASL `Retry` array. */
export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly MaxAttempts: number;
  readonly BackoffRate: number;
  readonly MaxDelaySeconds?: number;
}

/** Every error class by its ASL name: a new name in ERROR_NAMES fails to typecheck until it is listed here. */
const ERROR_CLASSES: { readonly [N in ErrorName]: abstract new (message: string, ...rest: never[]) => TwinstackError } = {
  ConfigError,
  HostKeyMismatchError,
  SshAuthenticationError,
  HostUnreachableError,
  RemoteCommandError,
  RemoteTimeoutError,
  UnexpectedOutputError,
  ReplicaNotCaughtUpError,
  PromotionError,
  FencingError,
  DnsChangeError,
  DnsVerificationError,
  ParameterStoreError,
  InvalidInputError,
  IncompatibleReplicaError,
  LeaseLostError,
  RestoreJobFailedError,
  LeaseStoreError,
  ComputeError,
  ComputeUnavailableError,
  RejoinRefusedError,
};

function isTransient(name: ErrorName): boolean {
  const Class = ERROR_CLASSES[name] as unknown as new (message: string) => TwinstackError;
  return new Class('transient probe').transient;
}

/** The catalog's errors whose `transient` flag is set, in ERROR_NAMES order. */
export const TRANSIENT_ERRORS: readonly ErrorName[] = ERROR_NAMES.filter(isTransient);

/**
 * Transient at the platform level, whatever the handler: listed once, here.
 * - `States.Timeout`: the Task's TimeoutSeconds passed (a cold start, a slow host);
 *   every handler is idempotent on its input, so running it again is safe.
 * - `Lambda.ServiceException`, `Lambda.AWSLambdaException`, `Lambda.SdkClientException`:
 *   the invoke itself failed inside Lambda (AWS's documented retriable invoke errors).
 * - `Lambda.TooManyRequestsException`: throttled by account or function concurrency.
 */
export const PLATFORM_TRANSIENT_ERRORS = [
  'States.Timeout',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** The pace of a transient retry: 1 s, 2 s, then give up (the Task's Catch reports). */
const FAST = { IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 } as const;

/** The DNS errors, which the DNS steps retry at Route 53's pace instead of FAST. */
const DNS_ERRORS: readonly ErrorName[] = ['DnsChangeError', 'DnsVerificationError'];

const fast = (except: readonly ErrorName[] = []): Retrier => ({
  ErrorEquals: [...TRANSIENT_ERRORS.filter((n) => !except.includes(n)), ...PLATFORM_TRANSIENT_ERRORS],
  ...FAST,
});

/** Every named policy. Each Task uses exactly one (POLICY_OF_TASK, else `transient`). */
export const RETRY_POLICIES = {
  /** Every Lambda Task: the catalog's transient errors and the platform's, FAST. */
  transient: [fast()],
  /**
   * SwitchDns: Route 53 throttles and rejects changes while one is PENDING, so its
   * own DNS error backs off to a minute for about three minutes; the rest as `transient`.
   */
  dnsChange: [fast(DNS_ERRORS), { ErrorEquals: ['DnsChangeError'], IntervalSeconds: 5, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60 }],
  /** VerifyDns: a switched record takes up to its TTL to answer; poll every 5 s for 2 minutes. */
  dnsPropagation: [fast(DNS_ERRORS), { ErrorEquals: ['DnsVerificationError'], IntervalSeconds: 5, MaxAttempts: 24, BackoffRate: 1 }],
  /**
   * A direct AWS SDK integration (no Lambda, so no catalog error can reach it):
   * any task failure or timeout of the service call, backing off to 30 s.
   */
  awsService: [{ ErrorEquals: ['States.TaskFailed', 'States.Timeout'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 30 }],
} as const satisfies Record<string, readonly Retrier[]>;

export type RetryPolicyName = keyof typeof RETRY_POLICIES;

/** The Tasks (by state name, unique across workflows) whose policy is not `transient`. */
export const POLICY_OF_TASK: Readonly<Record<string, RetryPolicyName>> = {
  SwitchDns: 'dnsChange',
  VerifyDns: 'dnsPropagation',
  SetTrafficGate: 'awsService',
};

export function retryPolicyOf(task: string): RetryPolicyName {
  return POLICY_OF_TASK[task] ?? 'transient';
}

/** A fresh copy of the `Retry` array of `task`. */
export function retryOf(task: string): Retrier[] {
  return RETRY_POLICIES[retryPolicyOf(task)].map((r) => ({ ...r, ErrorEquals: [...r.ErrorEquals] }));
}
