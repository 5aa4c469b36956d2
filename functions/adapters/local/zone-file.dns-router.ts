/** DnsRouter over the local zone file: UPSERTs are atomic file replacements, in sync at once. */
import { resolve } from 'node:path';
import { DnsChangeError, InvalidInputError } from '../../core/errors.ts';
import type { DnsRecordSpec, DnsTarget } from '../../core/model.ts';
import type { DnsRouter } from '../../core/ports.ts';
import { atomicWriteFile } from './atomic-write-file.ts';
import { readZone, zoneKeyOf } from './dns-zone-file.ts';
import { SerialQueue } from './serial-queue.ts';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const HOST_NAME = /^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

const queues = new Map<string, SerialQueue>();

export class ZoneFileDnsRouter implements DnsRouter {
  private readonly path: string;

  constructor(zoneFilePath: string) {
    this.path = resolve(zoneFilePath);
  }

  async current(record: DnsRecordSpec): Promise<DnsTarget | undefined> {
    const zone = await readZone(this.path);
    const found = zone[zoneKeyOf(record.name)];
    return found ? { type: found.type, value: found.value } : undefined;
  }

  /** UPSERT of the record with the spec's TTL; idempotent. Serialised within this process. */
  async pointAt(record: DnsRecordSpec, target: DnsTarget): Promise<void> {
    validate(record, target);
    let queue = queues.get(this.path);
    if (!queue) {
      queue = new SerialQueue();
      queues.set(this.path, queue);
    }
    await queue.run(async () => {
      const zone = await readZone(this.path);
      const value = target.type === 'CNAME' ? zoneKeyOf(target.value) : target.value;
      zone[zoneKeyOf(record.name)] = { type: target.type, value, ttl: record.ttl };
      try {
        await atomicWriteFile(this.path, `${JSON.stringify(zone, null, 2)}\n`, 0o644);
      } catch (error) {
        throw new DnsChangeError(`cannot write zone file ${this.path}`, { cause: error });
      }
    });
  }
}

function validate(record: DnsRecordSpec, target: DnsTarget): void {
  if (!HOST_NAME.test(record.name)) throw new InvalidInputError(`invalid DNS record name ${JSON.stringify(record.name)}`);
  if (!Number.isInteger(record.ttl) || record.ttl < 0) throw new InvalidInputError(`invalid TTL ${record.ttl}`);
  const valid = target.type === 'A' ? IPV4.test(target.value) : HOST_NAME.test(target.value);
  if (!valid) throw new InvalidInputError(`invalid ${target.type} target ${JSON.stringify(target.value)}`);
}
