/**
 * The local runtime's DNS zone: one JSON file
 * `{ "<fqdn lowercased, no trailing dot>": { "type": "A"|"CNAME", "value": "...", "ttl": N } }`,
 * written by ZoneFileDnsRouter and served by the local DNS server.
 */
import { readFile } from 'node:fs/promises';
import { DnsChangeError } from '../../core/errors.ts';

export interface ZoneRecord {
  readonly type: 'A' | 'CNAME';
  readonly value: string;
  readonly ttl: number;
}
export type Zone = Record<string, ZoneRecord>;

/** Canonical key of a DNS name: lowercase, without the trailing dot. */
export function zoneKeyOf(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Reads and validates the zone; a missing file is an empty zone. Throws DnsChangeError when malformed. */
export async function readZone(path: string): Promise<Zone> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new DnsChangeError(`cannot read zone file ${path}`, { cause: error });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    const zone: Zone = Object.create(null) as Zone;
    for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
      const record = entry as Partial<ZoneRecord> | null;
      if ((record?.type !== 'A' && record?.type !== 'CNAME') || typeof record.value !== 'string') {
        throw new Error(`record ${name} is not {type: A|CNAME, value}`);
      }
      if (typeof record.ttl !== 'number' || !Number.isInteger(record.ttl) || record.ttl < 0) throw new Error(`record ${name} has an invalid ttl`);
      zone[zoneKeyOf(name)] = { type: record.type, value: record.value, ttl: record.ttl };
    }
    return zone;
  } catch (error) {
    throw new DnsChangeError(`zone file ${path} is malformed`, { cause: error });
  }
}
