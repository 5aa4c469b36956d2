/**
 * StepDeps for the local runtime: parameter file, zone file DNS router, real ssh2 to
 * loopback hosts (key read from the parameter file per step), fetch health checks,
 * the system clock, a DNS verifier that asks the real local DNS server, and a lease file.
 */
import { Resolver } from 'node:dns/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { FetchHealthProbe } from '../../../functions/adapters/http/fetch.health-probe.ts';
import { FileLeaseStore } from '../../../functions/adapters/local/file.lease-store.ts';
import { FileParameterStore } from '../../../functions/adapters/local/file.parameter-store.ts';
import { resolveA, type DnsServerAddress } from '../../../functions/adapters/local/resolve-with.ts';
import { ZoneFileDnsRouter } from '../../../functions/adapters/local/zone-file.dns-router.ts';
import { systemClock } from '../../../functions/adapters/system.clock.ts';
import type { Compute } from '../../../functions/core/compute.ts';
import type { DnsRecordSpec, DnsTarget } from '../../../functions/core/model.ts';
import { groupShellOpener } from '../../../functions/handlers/deps/open-group-shell.ts';
import type { StepDeps } from '../../../functions/handlers/deps/step-deps.ts';

export interface LocalStepDepsOptions {
  readonly parameterFile: string;
  readonly zoneFile: string;
  readonly dnsServer: DnsServerAddress;
  /** Lease file (deploy serialisation). @default `<parameterFile>.leases.json` */
  readonly leaseFile?: string;
  /** @default a WARN-level logger */
  readonly logger?: Logger;
  /** The lab's Compute (lab-compute.ts), for clone-stack. @default none: clone steps refuse */
  readonly compute?: Compute;
}

const norm = (v: string) => v.replace(/\.$/, '').toLowerCase();

/** True when the local DNS server answers `expected` for the record now (NXDOMAIN/no data: false). */
export async function verifyWithDnsServer(server: DnsServerAddress, record: DnsRecordSpec, expected: DnsTarget): Promise<boolean> {
  try {
    if (expected.type === 'A') return (await resolveA(record.name, server)).some((a) => a.address === expected.value);
    const resolver = new Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers([`${server.address}:${server.port}`]);
    return (await resolver.resolveCname(record.name)).some((c) => norm(c) === norm(expected.value));
  } catch {
    return false;
  }
}

export function createLocalStepDeps(options: LocalStepDepsOptions): StepDeps {
  const params = new FileParameterStore(options.parameterFile);
  return {
    params,
    dns: new ZoneFileDnsRouter(options.zoneFile),
    openShell: groupShellOpener(params),
    health: new FetchHealthProbe(),
    clock: systemClock,
    logger: options.logger ?? new Logger({ serviceName: 'twinstack-local', logLevel: 'WARN' }),
    dnsVerifier: (record, expected) => verifyWithDnsServer(options.dnsServer, record, expected),
    lease: new FileLeaseStore(options.leaseFile ?? `${options.parameterFile}.leases.json`, systemClock),
    // Every local "region" shares the one parameter file (clone-stack copies within it, under the twin's name).
    paramsIn: () => params,
    ...(options.compute ? { compute: options.compute } : {}),
  };
}
