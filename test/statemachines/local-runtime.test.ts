import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { FileParameterStore } from '../../functions/adapters/local/file.parameter-store.ts';
import { startLocalDnsServer } from '../../functions/adapters/local/local-dns-server.ts';
import { ZoneFileDnsRouter } from '../../functions/adapters/local/zone-file.dns-router.ts';
import { dnsTargetOf } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { createLocalStepDeps, verifyWithDnsServer } from '../../infra/local/runtime/local-step-deps.ts';
import { provisionGroup } from '../../infra/local/runtime/provision-group.ts';
import { runWorkflow } from '../../infra/local/runtime/run-workflow.ts';
import { sampleGroup } from '../unit/handlers/fakes/fake-world.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinstack-runtime-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('provisionGroup', () => {
  it('writes config, initial state and the key as a secret, and never resets an existing state', async () => {
    // Prepare
    const file = join(tempDir(), 'parameters.json');
    const params = new FileParameterStore(file);
    const group = sampleGroup();
    // Act
    await provisionGroup(params, group, { sshPrivateKey: 'KEY' });
    await params.put(parameterNames.state('shop'), JSON.stringify({ active: 'twin' }));
    await provisionGroup(params, group, { sshPrivateKey: 'KEY2' });
    // Assess
    expect(JSON.parse((await params.get(parameterNames.config('shop'))) ?? '{}')).toEqual(group);
    expect(JSON.parse((await params.get(parameterNames.state('shop'))) ?? '{}')).toEqual({ active: 'twin' });
    expect(await params.get(parameterNames.sshPrivateKey('shop'))).toBe('KEY2');
  });
});

describe('local step deps', () => {
  it('verifies DNS against the real local DNS server on loopback', async () => {
    // Prepare
    const zoneFile = join(tempDir(), 'zone.json');
    const group = sampleGroup();
    await new ZoneFileDnsRouter(zoneFile).pointAt(group.dns, dnsTargetOf(group.primary));
    const server = await startLocalDnsServer({ address: '127.0.0.1', port: 0, zoneFilePath: zoneFile });
    try {
      const address = { address: '127.0.0.1', port: server.port };
      // Act
      const onPrimary = await verifyWithDnsServer(address, group.dns, dnsTargetOf(group.primary));
      const onTwin = await verifyWithDnsServer(address, group.dns, dnsTargetOf(group.twin));
      // Assess
      expect([onPrimary, onTwin]).toEqual([true, false]);
    } finally {
      await server.close();
    }
  });

  it('runs a workflow end to end on the file-based deps until it needs SSH (no key: reported failure, nothing changed)', async () => {
    // Prepare
    const dir = tempDir();
    const deps = createLocalStepDeps({ parameterFile: join(dir, 'p.json'), zoneFile: join(dir, 'z.json'), dnsServer: { address: '127.0.0.1', port: 9 }, logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }) });
    const group = sampleGroup();
    await deps.params.put(parameterNames.config('shop'), JSON.stringify(group));
    await deps.dns.pointAt(group.dns, dnsTargetOf(group.primary));
    // Act
    const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps, timing: { retryIntervalMs: 0, waitMs: 0 } });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInputError');
    expect(result.cause).toMatch(/no SSH key/);
    expect(result.events.some((e) => e.state === 'ReportFailure' && e.type === 'succeeded')).toBe(true);
    expect(await deps.dns.current(group.dns)).toEqual(dnsTargetOf(group.primary));
  });
});
