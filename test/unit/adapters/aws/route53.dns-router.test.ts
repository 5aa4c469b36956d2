import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { toHaveReceivedCommandTimes, toHaveReceivedCommandWith } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { Route53DnsRouter } from '../../../../functions/adapters/aws/route53.dns-router.ts';
import { DnsChangeError, InvalidInputError } from '../../../../functions/core/errors.ts';
import type { DnsRecordSpec, DnsTarget } from '../../../../functions/core/model.ts';

expect.extend({ toHaveReceivedCommandWith, toHaveReceivedCommandTimes });

const route53 = mockClient(Route53Client);
const record: DnsRecordSpec = { zone: 'example.com', hostedZoneId: 'Z123', name: 'Shop.Example.com', ttl: 30 };
const noSleep = () => Promise.resolve();

function router(options: { maxWaitMs?: number } = {}) {
  return new Route53DnsRouter(new Route53Client({ region: 'us-east-1' }), { pollIntervalMs: 1000, sleep: noSleep, ...options });
}

describe('Route53DnsRouter', () => {
  beforeEach(() => {
    route53.reset();
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
  });

  it('deletes the old A record in the same batch when switching to a CNAME (a name holds one or the other)', async () => {
    // Prepare
    const existing: ResourceRecordSet = { Name: 'shop.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.10' }] };
    route53.on(ListResourceRecordSetsCommand, { StartRecordType: 'A' }).resolves({ ResourceRecordSets: [existing] });
    route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C9', Status: 'INSYNC', SubmittedAt: new Date() } });

    // Act
    await router().pointAt(record, { type: 'CNAME', value: 'twin.example.net' });

    // Assess
    expect(route53).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 1);
    expect(route53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      ChangeBatch: expect.objectContaining({
        Changes: [
          { Action: 'DELETE', ResourceRecordSet: existing },
          { Action: 'UPSERT', ResourceRecordSet: { Name: 'shop.example.com.', Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: 'twin.example.net' }] } },
        ],
      }) as never,
    });
  });

  it.each([
    ['an IPv4 as an A record', { type: 'A', value: '203.0.113.10' }],
    ['a host name as a CNAME record', { type: 'CNAME', value: 'twin.example.net' }],
  ] as const)('UPSERTs %s with the spec TTL under the absolute lowercase name', async (_case, target) => {
    // Prepare
    route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });

    // Act
    await router().pointAt(record, target);

    // Assess
    expect(route53).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z123',
      ChangeBatch: expect.objectContaining({
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: 'shop.example.com.', Type: target.type, TTL: 30, ResourceRecords: [{ Value: target.value }] },
          },
        ],
      }) as never,
    });
  });

  it('polls GetChange until the change is INSYNC', async () => {
    // Prepare
    route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C2', Status: 'PENDING', SubmittedAt: new Date() } });
    route53
      .on(GetChangeCommand)
      .resolvesOnce({ ChangeInfo: { Id: '/change/C2', Status: 'PENDING', SubmittedAt: new Date() } })
      .resolvesOnce({ ChangeInfo: { Id: '/change/C2', Status: 'INSYNC', SubmittedAt: new Date() } });

    // Act
    await router().pointAt(record, { type: 'A', value: '203.0.113.10' });

    // Assess
    expect(route53).toHaveReceivedCommandTimes(GetChangeCommand, 2);
    expect(route53).toHaveReceivedCommandWith(GetChangeCommand, { Id: '/change/C2' });
  });

  it('gives up with DnsChangeError when the change stays PENDING past maxWaitMs', async () => {
    // Prepare
    route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C3', Status: 'PENDING', SubmittedAt: new Date() } });
    route53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C3', Status: 'PENDING', SubmittedAt: new Date() } });

    // Act
    const outcome = router({ maxWaitMs: 5000 }).pointAt(record, { type: 'A', value: '203.0.113.10' });

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(DnsChangeError);
    expect(route53).toHaveReceivedCommandTimes(GetChangeCommand, 5);
  });

  it('wraps an SDK fault in DnsChangeError with the fault as cause', async () => {
    // Prepare
    const fault = Object.assign(new Error('throttled'), { name: 'Throttling' });
    route53.on(ChangeResourceRecordSetsCommand).rejects(fault);

    // Act
    const outcome = router().pointAt(record, { type: 'A', value: '203.0.113.10' });

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(DnsChangeError);
    await expect(outcome).rejects.toHaveProperty('cause', fault);
  });

  it('refuses a record without hostedZoneId with InvalidInputError and calls nothing', async () => {
    // Act
    const outcome = router().pointAt({ ...record, hostedZoneId: undefined }, { type: 'A', value: '203.0.113.10' });

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(InvalidInputError);
    expect(route53.calls()).toHaveLength(0);
  });

  it.each<[string, ResourceRecordSet[], ResourceRecordSet[], DnsTarget | undefined]>([
    ['an exact A record', [{ Name: 'shop.example.com.', Type: 'A', TTL: 30, ResourceRecords: [{ Value: '203.0.113.10' }] }], [], { type: 'A', value: '203.0.113.10' }],
    ['a CNAME (trailing dot dropped)', [], [{ Name: 'shop.example.com.', Type: 'CNAME', TTL: 30, ResourceRecords: [{ Value: 'twin.example.net.' }] }], { type: 'CNAME', value: 'twin.example.net' }],
    ['only a following name', [{ Name: 'shop2.example.com.', Type: 'A', TTL: 30, ResourceRecords: [{ Value: '203.0.113.99' }] }], [], undefined],
  ])('current() reads %s', async (_case, aSets, cnameSets, expected) => {
    // Prepare
    route53.on(ListResourceRecordSetsCommand, { StartRecordType: 'A' }).resolves({ ResourceRecordSets: aSets, IsTruncated: false, MaxItems: 1 });
    route53.on(ListResourceRecordSetsCommand, { StartRecordType: 'CNAME' }).resolves({ ResourceRecordSets: cnameSets, IsTruncated: false, MaxItems: 1 });

    // Act
    const target = await router().current(record);

    // Assess
    expect(target).toEqual(expected);
    expect(route53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, { HostedZoneId: 'Z123', StartRecordName: 'shop.example.com.', StartRecordType: 'A' });
  });
});
