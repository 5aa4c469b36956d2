/** Ask one specific DNS server (address:port) for A records, bypassing the system resolver. */
import { Resolver } from 'node:dns/promises';

export interface DnsServerAddress {
  readonly address: string;
  readonly port: number;
}

export interface ResolveOptions {
  /** Per-try timeout. @default 2000 */
  readonly timeoutMs?: number;
  /** @default 2 */
  readonly tries?: number;
}

/**
 * The A records `server` answers for `name`, with their TTLs. Rejects with the
 * node:dns error (`code` ENOTFOUND for NXDOMAIN, ENODATA for no A record, ETIMEOUT).
 */
export async function resolveA(
  name: string,
  server: DnsServerAddress,
  options: ResolveOptions = {},
): Promise<{ address: string; ttl: number }[]> {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
  resolver.setServers([`${server.address}:${server.port}`]);
  return resolver.resolve4(name, { ttl: true });
}
