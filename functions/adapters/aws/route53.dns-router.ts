/** DnsRouter over Route 53: UPSERT, then wait (bounded) until the change is INSYNC. */
import type { Change, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { DnsChangeError, InvalidInputError, TwinstackError } from '../../core/errors.ts';
import type { DnsRecordSpec, DnsTarget } from '../../core/model.ts';
import type { DnsRouter } from '../../core/ports.ts';

export interface Route53DnsRouterOptions {
  /** Pause between GetChange polls. @default 2000 */
  readonly pollIntervalMs?: number;
  /** Give up (DnsChangeError) after polling about this long. @default 120000 */
  readonly maxWaitMs?: number;
  /** Injected for tests. @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The SDK's command classes, loaded on first use: importing this module does not load the SDK. */
const sdk = () => import('@aws-sdk/client-route-53');

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Route 53 names: lowercase with the trailing dot. */
function absoluteName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

function hostedZoneIdOf(record: DnsRecordSpec): string {
  if (!record.hostedZoneId) throw new InvalidInputError(`DNS record ${record.name} has no hostedZoneId: Route 53 needs one`);
  return record.hostedZoneId;
}

export class Route53DnsRouter implements DnsRouter {
  private readonly pollIntervalMs: number;
  private readonly maxWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: Route53Client,
    options: Route53DnsRouterOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.maxWaitMs = options.maxWaitMs ?? 120_000;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** The record's A or CNAME target as Route 53 holds it now (exact name match), else undefined. */
  async current(record: DnsRecordSpec): Promise<DnsTarget | undefined> {
    const found = await this.currentRecordSet(record);
    const value = found?.ResourceRecords?.[0]?.Value;
    if (!found || !value) return undefined;
    const type = found.Type as 'A' | 'CNAME';
    return { type, value: type === 'CNAME' ? value.replace(/\.$/, '') : value };
  }

  /** The raw A or CNAME record set (a DELETE must repeat it exactly). */
  private async currentRecordSet(record: DnsRecordSpec): Promise<ResourceRecordSet | undefined> {
    const hostedZoneId = hostedZoneIdOf(record);
    const name = absoluteName(record.name);
    const { ListResourceRecordSetsCommand } = await sdk();
    for (const type of ['A', 'CNAME'] as const) {
      const output = await this.send(
        () => this.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: hostedZoneId, StartRecordName: name, StartRecordType: type, MaxItems: 1 })),
        `cannot read ${type} record ${name}`,
      );
      const found = output.ResourceRecordSets?.find((set) => set.Type === type && set.Name?.toLowerCase() === name);
      if (found?.ResourceRecords?.[0]?.Value) return found;
    }
    return undefined;
  }

  /** UPSERT (idempotent), then poll GetChange until INSYNC; DnsChangeError when it does not get there in time. */
  async pointAt(record: DnsRecordSpec, target: DnsTarget): Promise<void> {
    const hostedZoneId = hostedZoneIdOf(record);
    if (!Number.isInteger(record.ttl) || record.ttl < 0) throw new InvalidInputError(`invalid TTL ${record.ttl} for ${record.name}`);
    const name = absoluteName(record.name);
    // A name holds either an A or a CNAME record, never both: switching between a stack
    // with an IP endpoint and one with a host name deletes the old type in the SAME batch,
    // so the change is atomic and the name never answers nothing.
    const existing = await this.currentRecordSet(record);
    const changes: Change[] = [];
    if (existing && existing.Type !== target.type) changes.push({ Action: 'DELETE', ResourceRecordSet: existing });
    changes.push({ Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: target.type, TTL: record.ttl, ResourceRecords: [{ Value: target.value }] } });
    const { ChangeResourceRecordSetsCommand } = await sdk();
    const output = await this.send(
      () =>
        this.client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: hostedZoneId,
            ChangeBatch: { Comment: `twinstack: point ${name} at ${target.value}`, Changes: changes },
          }),
        ),
      `cannot change ${name}`,
    );
    const { GetChangeCommand } = await sdk();
    const changeId = output.ChangeInfo?.Id;
    if (!changeId) throw new DnsChangeError(`Route 53 returned no change id for ${name}`);
    let status = output.ChangeInfo?.Status;
    const polls = Math.max(1, Math.ceil(this.maxWaitMs / Math.max(1, this.pollIntervalMs)));
    for (let poll = 0; status !== 'INSYNC' && poll < polls; poll++) {
      await this.sleep(this.pollIntervalMs);
      const change = await this.send(() => this.client.send(new GetChangeCommand({ Id: changeId })), `cannot read change ${changeId}`);
      status = change.ChangeInfo?.Status;
    }
    if (status !== 'INSYNC') {
      throw new DnsChangeError(`change ${changeId} for ${name} is still ${status ?? 'unknown'} after ${this.maxWaitMs} ms`);
    }
  }

  private async send<T>(call: () => Promise<T>, message: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof TwinstackError) throw error;
      throw new DnsChangeError(`${message}: ${error instanceof Error ? error.name : 'error'}`, { cause: error });
    }
  }
}
