import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalDnsServer } from '../../../../functions/adapters/local/local-dns-server.ts';
import type { LocalDnsServer } from '../../../../functions/adapters/local/local-dns-server.ts';
import { resolveA } from '../../../../functions/adapters/local/resolve-with.ts';
import { ZoneFileDnsRouter } from '../../../../functions/adapters/local/zone-file.dns-router.ts';
import { InvalidInputError } from '../../../../functions/core/errors.ts';
import type { DnsRecordSpec } from '../../../../functions/core/model.ts';

const record: DnsRecordSpec = { zone: 'twinstack.test', name: 'shop.twinstack.test', ttl: 5 };

describe('local DNS server with ZoneFileDnsRouter', () => {
  let directory: string;
  let zoneFilePath: string;
  let server: LocalDnsServer | undefined;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'twinstack-dns-'));
    zoneFilePath = join(directory, 'zone.json');
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(directory, { recursive: true, force: true });
  });

  it('answers the record with its TTL and the new address after pointAt moves it', async () => {
    // Prepare
    const router = new ZoneFileDnsRouter(zoneFilePath);
    await router.pointAt(record, { type: 'A', value: '127.0.1.10' });
    server = await startLocalDnsServer({ address: '127.0.0.1', port: 0, zoneFilePath });
    const dns = { address: '127.0.0.1', port: server.port };

    // Act
    const before = await resolveA('shop.twinstack.test', dns);
    await router.pointAt({ ...record, ttl: 7 }, { type: 'A', value: '127.0.2.10' });
    const after = await resolveA('SHOP.twinstack.test', dns);

    // Assess
    expect(before).toEqual([{ address: '127.0.1.10', ttl: 5 }]);
    expect(after).toEqual([{ address: '127.0.2.10', ttl: 7 }]);
    expect(await router.current(record)).toEqual({ type: 'A', value: '127.0.2.10' });
  });

  it('follows a CNAME within the zone to its A record', async () => {
    // Prepare
    const router = new ZoneFileDnsRouter(zoneFilePath);
    await router.pointAt({ ...record, name: 'twin.twinstack.test' }, { type: 'A', value: '127.0.2.10' });
    await router.pointAt(record, { type: 'CNAME', value: 'twin.twinstack.test' });
    server = await startLocalDnsServer({ address: '127.0.0.1', port: 0, zoneFilePath });

    // Act
    const answers = await resolveA('shop.twinstack.test', { address: '127.0.0.1', port: server.port });

    // Assess
    expect(answers).toEqual([{ address: '127.0.2.10', ttl: 5 }]);
  });

  it('answers NXDOMAIN for a name that is not in the zone', async () => {
    // Prepare
    server = await startLocalDnsServer({ address: '127.0.0.1', port: 0, zoneFilePath });

    // Act
    const outcome = resolveA('unknown.twinstack.test', { address: '127.0.0.1', port: server.port });

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it.each(['0.0.0.0', '10.0.0.1', 'localhost'])('refuses to listen on non-loopback address %s', async (address) => {
    // Act
    const outcome = startLocalDnsServer({ address, port: 0, zoneFilePath });

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('current() is undefined for a record the zone does not hold', async () => {
    // Act
    const target = await new ZoneFileDnsRouter(zoneFilePath).current(record);

    // Assess
    expect(target).toBeUndefined();
  });

  it('rejects an A target that is not an IPv4 address with InvalidInputError', async () => {
    // Act
    const outcome = new ZoneFileDnsRouter(zoneFilePath).pointAt(record, { type: 'A', value: 'not-an-ip' });

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
  });
});
