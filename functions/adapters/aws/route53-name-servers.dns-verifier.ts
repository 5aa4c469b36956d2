/**
 * What a group's name answers, asked of its zone's authoritative name servers (Route 53's DNS
 * data plane, not its API): with failover records this is the health-based choice Route 53
 * makes right now, the answer resolvers will cache next.
 */
import { Resolver } from 'node:dns/promises';
import type { DnsRecordSpec, DnsTarget } from '../../core/model.ts';

/** The slice of node's Resolver this uses (tests inject a fake). */
export interface NameResolver {
  setServers(servers: string[]): void;
  resolveNs(name: string): Promise<string[]>;
  resolve4(name: string): Promise<string[]>;
  resolveCname(name: string): Promise<string[]>;
}

export interface AuthoritativeDnsVerifierOptions {
  /** @default node:dns/promises Resolver with a 2 s timeout and 2 tries */
  readonly createResolver?: () => NameResolver;
}

const norm = (value: string) => value.replace(/\.$/, '').toLowerCase();

export class AuthoritativeDnsVerifier {
  private readonly createResolver: () => NameResolver;

  constructor(options: AuthoritativeDnsVerifierOptions = {}) {
    this.createResolver = options.createResolver ?? (() => new Resolver({ timeout: 2000, tries: 2 }));
  }

  /**
   * True when the zone's authoritative servers answer `expected` for the record. Any lookup
   * failure (no answer, timeout, NXDOMAIN) is "not yet": the workflow retries the verification.
   */
  async answers(record: DnsRecordSpec, expected: DnsTarget): Promise<boolean> {
    try {
      const system = this.createResolver();
      const nameServers = await system.resolveNs(record.zone);
      const addresses = (await Promise.all(nameServers.map((ns) => system.resolve4(ns).catch(() => [] as string[])))).flat();
      if (addresses.length === 0) return false;
      const authoritative = this.createResolver();
      authoritative.setServers(addresses);
      const answer = expected.type === 'A' ? await authoritative.resolve4(record.name) : await authoritative.resolveCname(record.name);
      return answer.length > 0 && answer.every((value) => norm(value) === norm(expected.value));
    } catch {
      return false;
    }
  }
}
