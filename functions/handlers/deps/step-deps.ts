/**
 * What every workflow step handler is given: our ports, a logger, and (optionally)
 * an engine lookup and a DNS verifier. AWS wiring lives in `aws.step-deps.ts`,
 * local wiring in `infra/local/runtime/local-step-deps.ts`; tests pass in-memory fakes.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DatabaseEngine } from '../../core/engines/database-engine.ts';
import type { DnsRecordSpec, DnsTarget, EngineName } from '../../core/model.ts';
import type { Compute } from '../../core/compute.ts';
import type { Clock, DnsRouter, HealthProbe, LeaseStore, ParameterStore, RemoteShell } from '../../core/ports.ts';

/** The CloudWatch units our metrics use (a count, a lag in bytes, a lag in seconds of oplog). */
export type MetricUnitName = 'Count' | 'Bytes' | 'Seconds';

export interface StepDeps {
  readonly params: ParameterStore;
  readonly dns: DnsRouter;
  /** A shell logged in with the group's key (parameterNames.sshPrivateKey(group)). The caller closes it. */
  openShell(group: string): Promise<RemoteShell>;
  readonly health: HealthProbe;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Local runtime: ask the real DNS server. Absent: `dns.current` is trusted. */
  readonly dnsVerifier?: (record: DnsRecordSpec, expected: DnsTarget) => Promise<boolean>;
  /** Engine lookup; absent: the engine registry (`engineFor`). Tests inject fake engines here. */
  readonly engineFor?: (name: EngineName) => DatabaseEngine;
  /** Per-group deploy lease (DynamoDB in AWS, a file locally). Absent: deploy steps refuse with InvalidInputError. */
  readonly lease?: LeaseStore;
  /** The machines stacks run on (EC2, or the local lab), for clone-stack. Absent: clone steps refuse with InvalidInputError. */
  readonly compute?: Compute;
  /** The ParameterStore of another region (clone-stack copies a stack's parameters there). Absent: clone steps refuse. */
  readonly paramsIn?: (region: string) => ParameterStore;
  /** Publish one metric (AWS: Powertools Metrics / CloudWatch EMF), unit Count unless given. Absent: metrics are only in step output. */
  readonly recordMetric?: (name: string, value: number, dimensions: Readonly<Record<string, string>>, unit?: MetricUnitName) => void;
}
