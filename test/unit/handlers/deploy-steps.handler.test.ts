import { describe, expect, it } from 'vitest';
import type { DeployState } from '../../../functions/core/deploy/deploy-state.ts';
import { InvalidInputError, RemoteCommandError } from '../../../functions/core/errors.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import * as acquireDeployLease from '../../../functions/handlers/acquire-deploy-lease.handler.ts';
import * as checkDrift from '../../../functions/handlers/check-drift.handler.ts';
import * as checkStackHealth from '../../../functions/handlers/check-stack-health.handler.ts';
import * as deployHost from '../../../functions/handlers/deploy-host.handler.ts';
import * as planDeploy from '../../../functions/handlers/plan-deploy.handler.ts';
import * as recordStackRevision from '../../../functions/handlers/record-stack-revision.handler.ts';
import * as releaseDeployLease from '../../../functions/handlers/release-deploy-lease.handler.ts';
import * as requestDeploy from '../../../functions/handlers/request-deploy.handler.ts';
import { createDeployHarness, REV_A, REV_B, type DeployHarness } from './fakes/fake-deploy-hosts.ts';

const request = (revision = REV_A, receivedAt = '2026-01-01T12:00:00.000Z') => ({ group: 'shop', revision, branch: 'main', deliveryId: 'd-1', receivedAt, holder: 'exec-1' });
/** The stored deploy state: per-stack records and, in its own parameter, the desired revision. */
const state = async (h: DeployHarness): Promise<DeployState> => {
  const stored = JSON.parse((await h.params.get(parameterNames.deployState('shop'))) ?? '{}') as DeployState;
  const desired = JSON.parse((await h.params.get(parameterNames.deployDesired('shop'))) ?? 'null') as DeployState['desired'] | null;
  return { ...stored, ...(desired ? { desired } : {}) };
};

describe('RequestDeploy handler', () => {
  it('records the first push as desired, and writes nothing for the same push again', async () => {
    // Prepare
    const h = await createDeployHarness();
    const handle = requestDeploy.createHandler(h.deps);
    // Act
    const first = await handle(request());
    const puts = h.params.puts.length;
    const again = await handle(request());
    // Assess
    expect(first).toMatchObject({ action: 'queued', holder: 'exec-1', version: { revision: REV_A, sequence: 1 } });
    expect(again.action).toBe('queued');
    expect(h.params.puts.length).toBe(puts);
    expect((await state(h)).desired?.revision).toBe(REV_A);
  });

  it.each([
    { name: 'a short revision', change: { revision: 'abc' } },
    { name: 'another branch', change: { branch: 'dev' } },
    { name: 'a bad time', change: { receivedAt: 'yesterday' } },
    { name: 'an invalid holder', change: { holder: 'a b' } },
  ])('refuses $name with InvalidInputError and records nothing', async ({ change }) => {
    // Prepare
    const h = await createDeployHarness();
    // Act
    const failure = await requestDeploy.createHandler(h.deps)({ ...request(), ...change }).catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(await h.params.get(parameterNames.deployState('shop'))).toBeUndefined();
    expect(await h.params.get(parameterNames.deployDesired('shop'))).toBeUndefined();
  });

  it('writes only the desired revision, never the per-stack records a deploy holding the lease may be writing', async () => {
    // Prepare: a deploy (holding the lease) recorded a stack outcome
    const h = await createDeployHarness();
    const recorded = JSON.stringify({ stacks: { 'shop-eu': { deployed: 'c'.repeat(40), status: 'deployed' } } });
    await h.params.put(parameterNames.deployState('shop'), recorded);
    // Act
    await requestDeploy.createHandler(h.deps)(request());
    // Assess
    expect(await h.params.get(parameterNames.deployState('shop'))).toBe(recorded);
    expect(await h.params.get(parameterNames.deployDesired('shop'))).toContain(request().revision);
  });
});

describe('AcquireDeployLease / ReleaseDeployLease handlers', () => {
  it('acquire is idempotent for the holder, refused for another; release frees it', async () => {
    // Prepare
    const h = await createDeployHarness();
    const acquire = acquireDeployLease.createHandler(h.deps);
    const release = releaseDeployLease.createHandler(h.deps);
    // Act
    const results = [await acquire({ group: 'shop', holder: 'a' }), await acquire({ group: 'shop', holder: 'a' }), await acquire({ group: 'shop', holder: 'b' })];
    await release({ group: 'shop', holder: 'b' });
    await release({ group: 'shop', holder: 'a' });
    await release({ group: 'shop', holder: 'a' });
    // Assess
    expect(results.map((r) => r.acquired)).toEqual([true, true, false]);
    expect(results[0]?.key).toBe('deploy:shop');
    expect(h.lease.leases.size).toBe(0);
  });

  it('refuses without a lease store', async () => {
    // Prepare
    const h = await createDeployHarness();
    const { lease: _unused, ...withoutLease } = h.deps;
    // Act + Assess
    await expect(acquireDeployLease.createHandler(withoutLease)({ group: 'shop', holder: 'a' })).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('PlanDeploy handler', () => {
  it('plans both stacks for a new revision with the group hostConcurrency', async () => {
    // Prepare
    const h = await createDeployHarness({ hostConcurrency: 2 });
    const { version } = await requestDeploy.createHandler(h.deps)(request());
    // Act
    const plan = await planDeploy.createHandler(h.deps)({ group: 'shop', version });
    // Assess
    expect(plan).toMatchObject({ action: 'deploy', hostConcurrency: 2, target: { revision: REV_A } });
    expect(plan.stacks.map((s) => s.stack)).toEqual(['shop-eu', 'shop-de']);
  });
});

describe('DeployHost handler', () => {
  const input = { group: 'shop', stack: 'shop-de', host: 'app', revision: REV_A };

  it('checks out the revision, writes .env.deploy over stdin, runs the command with TWINSTACK_REVISION, then the marker', async () => {
    // Prepare
    const h = await createDeployHarness();
    // Act
    const result = await deployHost.createHandler(h.deps)(input);
    // Assess
    expect(result).toMatchObject({ host: 'app', revision: REV_A, skipped: false, exitCode: 0 });
    expect(h.fleet.execs.map((e) => e.op)).toEqual(['twinstack-marker', 'twinstack-checkout', 'twinstack-env', 'twinstack-deploy', 'twinstack-marker']);
    const run = h.fleet.execs.find((e) => e.op === 'twinstack-deploy');
    expect(run?.argv.at(-1)).toBe(h.group.twin.deploy.command);
    expect(run?.env).toEqual({ TWINSTACK_REVISION: REV_A });
    const env = h.fleet.host('127.0.2.2').envFile;
    expect(env).toContain("TWINSTACK_STACK='shop-de'");
    expect(env).toContain('pw-S3cret-de');
    expect(h.fleet.execs.flatMap((e) => e.argv).join(' ')).not.toContain('pw-S3cret');
    expect(JSON.stringify(result)).not.toContain('pw-S3cret');
    expect(h.fleet.openShells).toBe(0);
  });

  it('is a no-op on a host whose marker already names the revision', async () => {
    // Prepare
    const h = await createDeployHarness();
    await deployHost.createHandler(h.deps)(input);
    h.fleet.execs.length = 0;
    // Act
    const again = await deployHost.createHandler(h.deps)(input);
    // Assess
    expect(again.skipped).toBe(true);
    expect(h.fleet.execs.map((e) => e.op)).toEqual(['twinstack-marker']);
    expect(h.fleet.host('127.0.2.2').deploys).toEqual([REV_A]);
  });

  it('fails with RemoteCommandError when the deploy command fails, and writes no marker', async () => {
    // Prepare
    const h = await createDeployHarness();
    h.fleet.failing.add('127.0.2.2');
    // Act
    const failure = await deployHost.createHandler(h.deps)(input).catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(RemoteCommandError);
    expect(h.fleet.host('127.0.2.2').marker).toBe('');
  });

  it.each([
    { name: 'the bare password of a published URL', leak: 'pw-S3cret-de' },
    { name: 'a URL-encoded password', leak: 'p%40ss%2Fw%3Ard', extra: 'postgres://app:p%40ss%2Fw%3Ard@127.0.2.1:5432/audit' },
    { name: 'the decoded form of that password', leak: 'p@ss/w:rd', extra: 'postgres://app:p%40ss%2Fw%3Ard@127.0.2.1:5432/audit' },
    { name: 'a short published value', leak: 'k3y', extra: 'k3y' },
  ])('masks $name that the deploy command prints to stderr in the thrown error', async ({ leak, extra }) => {
    // Prepare
    const h = await createDeployHarness();
    if (extra !== undefined) await h.params.put(parameterNames.env('shop', 'shop-de', 'EXTRA'), extra, { secret: true });
    const deps = {
      ...h.deps,
      openShell: async (group: string) => {
        const inner = await h.deps.openShell(group);
        return {
          exec: (host: Parameters<typeof inner.exec>[0], command: Parameters<typeof inner.exec>[1]) =>
            command.argv[3] === 'twinstack-deploy'
              ? Promise.resolve({ exitCode: 1, stdout: '', stderr: `psql: password "${leak}" rejected`, durationMs: 1 })
              : inner.exec(host, command),
          close: () => inner.close(),
        };
      },
    };
    // Act
    const failure = await deployHost.createHandler(deps)(input).catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(RemoteCommandError);
    const { message, stderr } = failure as RemoteCommandError;
    expect(message).toContain('password "***" rejected');
    expect(stderr).toBe('psql: password "***" rejected');
    expect(`${message}${stderr}`).not.toContain(leak);
  });

  it.each([
    { name: 'a short revision', change: { revision: 'abcdef' } },
    { name: 'an unknown stack', change: { stack: 'nope' } },
    { name: 'an unknown host', change: { host: 'nope' } },
  ])('refuses $name before running anything', async ({ change }) => {
    // Prepare
    const h = await createDeployHarness();
    // Act
    const failure = await deployHost.createHandler(h.deps)({ ...input, ...change }).catch((e: unknown) => e);
    // Assess
    expect(failure).toBeInstanceOf(InvalidInputError);
    expect(h.fleet.execs).toEqual([]);
  });
});

describe('CheckStackHealth handler', () => {
  it('reports the probe answer for the stack health URL', async () => {
    // Prepare
    const h = await createDeployHarness();
    h.health.healthy.set(h.group.twin.healthUrl, false);
    // Act
    const [eu, de] = await Promise.all(['shop-eu', 'shop-de'].map((stack) => checkStackHealth.createHandler(h.deps)({ group: 'shop', stack })));
    // Assess
    expect([eu?.healthy, de?.healthy]).toEqual([true, false]);
  });
});

describe('RecordStackRevision and CheckDrift handlers', () => {
  it('records both outcomes in one write, idempotently, and CheckDrift reports the drift and its metric', async () => {
    // Prepare
    const h = await createDeployHarness();
    const target = { revision: REV_B, receivedAt: '2026-01-01T12:00:00.000Z', deliveryId: 'd', sequence: 1 };
    const record = recordStackRevision.createHandler(h.deps);
    const outcomes = [{ stack: 'shop-eu', status: 'failed' as const, error: 'RemoteCommandError: exit 1' }, { stack: 'shop-de', status: 'deployed' as const }];
    // Act
    const first = await record({ group: 'shop', target, stacks: outcomes });
    const puts = h.params.puts.length;
    const second = await record({ group: 'shop', target, stacks: outcomes });
    const drift = await checkDrift.createHandler(h.deps)({ group: 'shop', target: REV_B });
    // Assess
    expect([first.changed, second.changed]).toEqual([true, false]);
    expect(h.params.puts.length).toBe(puts);
    expect(drift.inSync).toBe(false);
    expect(drift.summary).toMatch(/shop-eu failed to deploy bbbbbbb/);
    expect(h.metrics).toEqual([{ name: 'DeployDrift', value: 1, dimensions: { group: 'shop' } }]);
  });

  it('refuses an outcome for a stack the group does not have', async () => {
    // Prepare
    const h = await createDeployHarness();
    const target = { revision: REV_A, receivedAt: '2026-01-01T12:00:00.000Z', deliveryId: 'd', sequence: 1 };
    // Act + Assess
    await expect(recordStackRevision.createHandler(h.deps)({ group: 'shop', target, stacks: [{ stack: 'other', status: 'deployed' }] })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
