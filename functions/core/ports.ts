/**
 * Ports: the vocabulary core and handlers use for effects. Adapters implement
 * them for AWS (Route 53, SSM, EC2, Step Functions) and for the local runtime.
 */
import type { CommandResult, RemoteCommand } from './command.ts';
import type { DnsRecordSpec, DnsTarget, Host } from './model.ts';

/**
 * Runs commands on hosts over SSH. One connection per host is reused for the
 * life of the shell (one workflow step); `close()` ends them all.
 * - Connects only after the host key matches `host.hostKey` (else HostKeyMismatchError, nothing sent).
 * - Resolves with the exit code (non-zero included); rejects with HostUnreachableError
 *   or RemoteTimeoutError for transport faults.
 */
export interface RemoteShell {
  exec(host: Host, command: RemoteCommand): Promise<CommandResult>;
  /**
   * Stream the stdout of `source` (run on `from`) into the stdin of `target` (run on
   * `to`), e.g. `docker save | docker load` between two hosts, through the control plane
   * (the hosts need no access to each other). The source's stdout is not captured.
   * Optional: a shell that cannot stream lacks it.
   */
  pipe?(from: Host, source: RemoteCommand, to: Host, target: RemoteCommand): Promise<PipeResult>;
  close(): Promise<void>;
}

export interface PipeResult {
  /** The source's exit code and stderr (its stdout went to the target). */
  readonly source: CommandResult;
  readonly target: CommandResult;
  /** Bytes streamed from source to target. */
  readonly bytes: number;
}

/** Where the group's DNS name points, and how to move it. */
export interface DnsRouter {
  /** What the authoritative source answers now for the record; undefined when it has no record. */
  current(record: DnsRecordSpec): Promise<DnsTarget | undefined>;
  /** Point the record at `target` (UPSERT) and resolve once the change is in sync. Idempotent. */
  pointAt(record: DnsRecordSpec, target: DnsTarget): Promise<void>;
}

export interface PutParameterOptions {
  /** Store encrypted (SSM SecureString; local file mode 0600). */
  readonly secret?: boolean;
}

/** Stack env vars, secrets and group state, addressed by `/`-separated names. */
export interface ParameterStore {
  get(name: string): Promise<string | undefined>;
  put(name: string, value: string, options?: PutParameterOptions): Promise<void>;
  /** Every parameter whose name starts with `prefix/` (recursively), by full name. */
  getByPath(prefix: string): Promise<Record<string, string>>;
}

export interface Clock {
  now(): Date;
}

/** Answers whether a stack's health URL serves (2xx within the timeout). */
export interface HealthProbe {
  check(url: string, timeoutMs: number): Promise<{ readonly healthy: boolean; readonly detail: string }>;
}

/** Starts workflow executions. Execution names are the idempotency key (Standard workflows). */
export interface WorkflowStarter {
  /**
   * Start `workflow` under `executionName`. `started: false` when an execution of that
   * name already exists (a duplicate): nothing new runs.
   */
  start(workflow: string, executionName: string, input: unknown): Promise<{ readonly started: boolean; readonly executionId: string }>;
}

/** Time-bounded mutual exclusion (a lease), e.g. one deploy per stack at a time. */
export interface LeaseStore {
  /** Take or renew the lease `key` for `holder` unless another holder has an unexpired one. */
  acquire(key: string, holder: string, ttlSeconds: number): Promise<boolean>;
  /** Give the lease back if `holder` still has it; a no-op otherwise. */
  release(key: string, holder: string): Promise<void>;
}
