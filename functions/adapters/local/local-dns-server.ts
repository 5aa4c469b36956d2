/**
 * The local runtime's authoritative DNS server (UDP, loopback only), answering
 * from the zone file: A and CNAME records with their TTL (CNAMEs chased within
 * the zone), NODATA for other types of a known name, NXDOMAIN otherwise.
 * The zone file is re-read for every query (it is tiny), so changes show at once.
 */
import { isIPv4 } from 'node:net';
import dns2 from 'dns2';
import type { DnsHandler, Packet as DnsPacket } from 'dns2';
import { InvalidInputError } from '../../core/errors.ts';
import { readZone, zoneKeyOf } from './dns-zone-file.ts';
import type { Zone } from './dns-zone-file.ts';

const { Packet } = dns2;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const MAX_CNAME_CHAIN = 8;

export interface LocalDnsServerOptions {
  /** Loopback address to listen on (127.0.0.0/8 or ::1); anything else is refused. */
  readonly address: string;
  /** UDP port; 0 picks a free one. */
  readonly port: number;
  readonly zoneFilePath: string;
  readonly logger?: { debug(msg: string, extra?: object): void };
}

export interface LocalDnsServer {
  /** The UDP port actually bound. */
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. Rejects InvalidInputError for a non-loopback address. */
export async function startLocalDnsServer(options: LocalDnsServerOptions): Promise<LocalDnsServer> {
  const ipv6 = options.address === '::1';
  if (!ipv6 && !(isIPv4(options.address) && options.address.startsWith('127.'))) {
    throw new InvalidInputError(`the local DNS server listens on loopback only, not ${options.address}`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
    throw new InvalidInputError(`invalid port ${options.port}`);
  }
  const handle: DnsHandler = (request, send) => {
    answer(request, options.zoneFilePath)
      .catch((error: unknown) => {
        options.logger?.debug('local DNS query failed', { error: error instanceof Error ? error.message : String(error) });
        const response = Packet.createResponseFromRequest(request);
        response.header.rcode = RCODE_SERVFAIL;
        return response;
      })
      .then((response) => send(response))
      .catch(() => undefined);
  };
  const server = dns2.createServer({ udp: { type: ipv6 ? 'udp6' : 'udp4' }, handle });
  const failed = new Promise<never>((_, reject) => server.once('error', (error: Error) => reject(error)));
  const addresses = await Promise.race([server.listen({ udp: { port: options.port, address: options.address } }), failed]).catch(
    async (error: unknown) => {
      await Promise.race([server.close(), new Promise((done) => setTimeout(done, 500))]);
      throw error;
    },
  );
  failed.catch(() => undefined);
  const port = addresses.udp?.port;
  if (port === undefined) throw new Error('local DNS server did not report its UDP port');
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => (closing ??= server.close()),
  };
}

async function answer(request: DnsPacket, zoneFilePath: string): Promise<DnsPacket> {
  const response = Packet.createResponseFromRequest(request);
  response.header.aa = 1;
  const question = request.questions[0];
  if (!question) return response;
  const zone = await readZone(zoneFilePath);
  const name = zoneKeyOf(question.name);
  if (!zone[name]) {
    response.header.rcode = RCODE_NXDOMAIN;
    return response;
  }
  response.answers.push(...recordsFor(zone, name, question.type, question.name));
  return response;
}

/** Answers for `name` and `type`: the record itself, or its CNAME chain followed within the zone. */
function recordsFor(zone: Zone, name: string, type: number, askedName: string): DnsPacket['answers'] {
  const answers: DnsPacket['answers'] = [];
  let current = name;
  for (let hop = 0; hop < MAX_CNAME_CHAIN; hop++) {
    const record = zone[current];
    if (!record) break;
    const owner = hop === 0 ? askedName : current;
    if (record.type === 'A') {
      if (type === Packet.TYPE.A || type === Packet.TYPE.ANY) {
        answers.push({ name: owner, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: record.ttl, address: record.value } as DnsPacket['answers'][number]);
      }
      break;
    }
    answers.push({ name: owner, type: Packet.TYPE.CNAME, class: Packet.CLASS.IN, ttl: record.ttl, domain: record.value } as DnsPacket['answers'][number]);
    if (type === Packet.TYPE.CNAME) break;
    current = record.value;
  }
  return answers;
}
