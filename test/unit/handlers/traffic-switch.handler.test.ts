import { describe, expect, it } from 'vitest';
import { DnsVerificationError, InvalidInputError, PromotionError } from '../../../functions/core/errors.ts';
import { dnsTargetOf } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import * as switchDns from '../../../functions/handlers/switch-dns.handler.ts';
import * as verifyDns from '../../../functions/handlers/verify-dns.handler.ts';
import { createHarness, type Harness } from './fakes/fake-world.ts';

async function withMode(h: Harness, mode: 'routing-gate' | 'record'): Promise<void> {
  await h.params.put(parameterNames.config('shop'), JSON.stringify({ ...h.group, traffic: { mode, healthCheck: { intervalSeconds: 10, failureThreshold: 3 } } }));
}

/** Every database of `address` a writable primary. */
function primaries(h: Harness, address: string): void {
  for (const d of h.group.databases) Object.assign(h.world.db(address, d.name), { role: 'primary', writable: true });
}

describe('SwitchDns', () => {
  it('routing-gate: returns gate 0 for the twin, 1 for the primary, and changes no record', async () => {
    // Prepare
    const h = await createHarness();
    await withMode(h, 'routing-gate');
    primaries(h, '127.0.2.1');
    const handle = switchDns.createHandler(h.deps);
    // Act
    const toTwin = await handle({ group: 'shop' });
    const toPrimary = await handle({ group: 'shop', to: 'primary' });
    // Assess
    expect(toTwin).toMatchObject({ mode: 'routing-gate', to: 'twin', gate: { value: 0 }, target: dnsTargetOf(h.group.twin) });
    expect(toPrimary).toMatchObject({ mode: 'routing-gate', to: 'primary', gate: { value: 1 }, target: dnsTargetOf(h.group.primary) });
    expect(h.dns.changes).toEqual([]);
  });

  it('record: fails back to the primary (the other direction) once its databases are writable primaries', async () => {
    // Prepare
    const h = await createHarness();
    h.dns.records.set(h.group.dns.name, dnsTargetOf(h.group.twin));
    // Act
    const result = await switchDns.createHandler(h.deps)({ group: 'shop', to: 'primary' });
    // Assess
    expect(result).toMatchObject({ mode: 'record', to: 'primary', changed: true });
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.primary));
  });

  it('refuses a target whose databases are not writable primaries, in either mode', async () => {
    for (const mode of ['routing-gate', 'record'] as const) {
      // Prepare
      const h = await createHarness();
      await withMode(h, mode);
      // Act + Assess (the twin's databases are not primaries)
      await expect(switchDns.createHandler(h.deps)({ group: 'shop' })).rejects.toBeInstanceOf(PromotionError);
      expect(h.dns.changes).toEqual([]);
    }
  });

  it('refuses an unknown direction', async () => {
    // Prepare
    const h = await createHarness();
    // Act + Assess
    await expect(switchDns.createHandler(h.deps)({ group: 'shop', to: 'both' as never })).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('VerifyDns', () => {
  it('needs the name on the target AND the target serving its health URL', async () => {
    // Prepare
    const h = await createHarness({ dnsVerifier: () => Promise.resolve(true) });
    h.health.healthy.set(h.group.twin.healthUrl, false);
    const handle = verifyDns.createHandler(h.deps);
    // Act + Assess
    await expect(handle({ group: 'shop' })).rejects.toThrow(DnsVerificationError);
    await expect(handle({ group: 'shop' })).rejects.toThrow(/does not serve/);
    h.health.healthy.set(h.group.twin.healthUrl, true);
    await expect(handle({ group: 'shop' })).resolves.toMatchObject({ verified: true, to: 'twin', health: 'HTTP 200' });
  });

  it('verifies the primary for a failback', async () => {
    // Prepare
    const h = await createHarness();
    // Act + Assess (DNS is on the primary in a fresh harness)
    await expect(verifyDns.createHandler(h.deps)({ group: 'shop', to: 'primary' })).resolves.toMatchObject({ to: 'primary', target: dnsTargetOf(h.group.primary) });
    await expect(verifyDns.createHandler(h.deps)({ group: 'shop' })).rejects.toThrow(DnsVerificationError);
  });
});
