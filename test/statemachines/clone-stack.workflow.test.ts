import { describe, expect, it } from 'vitest';
import { CLONE_TAG, HOST_TAG, STACK_TAG } from '../../functions/core/compute.ts';
import { cloneIdOf } from '../../functions/core/decisions/plan-clone.ts';
import { ComputeError, ParameterStoreError } from '../../functions/core/errors.ts';
import type { FailoverGroup } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { runWorkflow } from '../../infra/local/runtime/run-workflow.ts';
import { CLONE_INPUT, FakeCompute, createCloneHarness, type CloneHarness } from '../unit/handlers/fakes/fake-compute.ts';
import { REV_A } from '../unit/handlers/fakes/fake-deploy-hosts.ts';

const FAST = { retryIntervalMs: 0, waitMs: 0 };
const CLONE_ID = cloneIdOf('shop', 'shop-eu', 'eu-central-1');

const clone = (h: CloneHarness, input: unknown = CLONE_INPUT, executionName = 'clone-1') => runWorkflow({ workflow: 'clone-stack', input, deps: h.deps, timing: FAST, executionName });

async function storedGroup(h: CloneHarness): Promise<Partial<FailoverGroup>> {
  return JSON.parse((await h.params.get(parameterNames.config('shop'))) ?? '{}') as Partial<FailoverGroup>;
}

/** Every instance the clone launched, live or not. */
const launchedIds = (h: CloneHarness) => [...h.compute.instances.values()].filter((i) => i.tags[CLONE_TAG] === CLONE_ID).map((i) => i.id);

describe('clone-stack workflow (local runtime, fake Compute)', () => {
  it('clones the primary: images made and copied, groups and instances in the target, parameters copied, twin registered passive with pinned keys and deployed', async () => {
    // Prepare
    const h = await createCloneHarness();
    // Act
    const result = await clone(h);
    // Assess
    expect(result.cause ?? '').toBe('');
    expect(result.status).toBe('SUCCEEDED');
    const launched = h.compute.liveClones();
    expect(launched.map((i) => i.hostName).sort()).toEqual(['app', 'db']);
    for (const i of launched) {
      expect(i.tags).toMatchObject({ [CLONE_TAG]: CLONE_ID, [STACK_TAG]: 'shop-eu-eu-central-1', [HOST_TAG]: i.hostName, Name: `shop-${i.hostName}` });
      expect(i.tags['aws:cloudformation:stack-name']).toBeUndefined();
      expect(i.instanceType).toBe('t3.small');
    }
    expect(launched.find((i) => i.hostName === 'db')?.subnetId).toBe('subnet-x');
    // The db group's rule referencing the web group references the web group's copy.
    const copies = [...h.compute.groups.values()].filter((g) => g.tags[CLONE_TAG] === CLONE_ID);
    expect(copies.map((g) => g.name).sort()).toEqual(['shop-eu-eu-central-1-db', 'shop-eu-eu-central-1-web']);
    const web = copies.find((g) => g.name.endsWith('-web'));
    const db = copies.find((g) => g.name.endsWith('-db'));
    expect(db?.ingress.flatMap((r) => r.groupIds).sort()).toEqual([db?.id, web?.id].sort());
    expect(h.compute.callsOf('copyImage').every((c) => (c.args[3] as { kmsKeyId: string }).kmsKeyId === 'alias/twinstack')).toBe(true);

    const group = await storedGroup(h);
    expect(group.twin?.name).toBe('shop-eu-eu-central-1');
    expect(group.twin?.region).toBe('eu-central-1');
    expect(group.twin?.hosts.map((x) => [x.name, x.address, x.hostKey])).toEqual(
      ['db', 'app'].map((name) => {
        const i = launched.find((l) => l.hostName === name);
        return [name, i?.privateAddress, FakeCompute.hostKeyOf(i?.id ?? '')];
      }),
    );
    // The endpoint followed its host: the primary's endpoint is the app host's address.
    expect(group.twin?.endpoint).toBe(launched.find((i) => i.hostName === 'app')?.privateAddress);
    expect(await h.params.get(parameterNames.env('shop', 'shop-eu-eu-central-1', 'TWINSTACK_FAILOVER_STATUS'))).toBe('offline');
    expect(await h.params.get(parameterNames.env('shop', 'shop-eu-eu-central-1', 'AWS_REGION'))).toBe('eu-central-1');
    expect(await h.params.get(parameterNames.env('shop', 'shop-eu-eu-central-1', 'ASSETS_URL'))).toBe('https://s3.eu-central-1.amazonaws.com/shop-assets');
    expect(h.params.values.get(parameterNames.env('shop', 'shop-eu-eu-central-1', 'API_TOKEN'))).toEqual({ value: 'tok-S3cret-1', secret: true });
    // Deployed by the deploy step: checkout + marker of the primary's revision on every twin host.
    for (const i of launched) expect(h.fleet.host(i.privateAddress ?? '')).toMatchObject({ marker: REV_A, checkedOut: REV_A, deploys: [REV_A] });
    expect(h.lease.leases.size).toBe(0);
    expect(h.fleet.openShells).toBe(0);
    expect(JSON.stringify(result)).not.toContain('tok-S3cret-1');
    // The image loop saw `missing` right after the copy and waited.
    expect(result.events.filter((e) => e.state === 'WaitForImages' && e.type === 'entered').length).toBeGreaterThan(1);
  });

  it('refuses bad input before any Compute call that creates something, naming each fix', async () => {
    // Prepare
    const h = await createCloneHarness();
    const input = { group: 'shop', targetRegion: 'eu-west-1', options: { vpcId: 'vpc-target', subnets: { 'subnet-a': 'subnet-x' } } };
    // Act
    const result = await clone(h, input);
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CloneRefused');
    expect(result.cause).toContain("targetRegion eu-west-1 is the source stack's own region");
    expect(result.cause).toContain('options.kmsKeyId is missing');
    expect(h.compute.callsOf()).toEqual([]);
    expect((await storedGroup(h)).twin).toBeUndefined();
    expect(h.lease.leases.size).toBe(0);
  });

  it('refuses a subnet without a mapping and a stack with no tagged instance, before anything is created', async () => {
    // Prepare
    const h = await createCloneHarness();
    const unmapped = { ...CLONE_INPUT, options: { ...CLONE_INPUT.options, subnets: { 'subnet-a': 'subnet-x' } } };
    // Act
    const first = await clone(h, unmapped, 'clone-a');
    for (const i of h.compute.instances.values()) Object.assign(i, { tags: {} });
    const second = await clone(h, CLONE_INPUT, 'clone-b');
    // Assess
    expect(first.error).toBe('CloneRefused');
    expect(first.cause).toContain('subnet subnet-b (of app) has no target subnet: add options.subnets["subnet-b"]');
    expect(second.error).toBe('CloneRefused');
    expect(second.cause).toContain('no instance in eu-west-1 is tagged twinstack:stack=shop-eu');
    expect(h.compute.callsOf()).toEqual([]);
  });

  it('a group awaiting its clone is refused by the other workflows with the fix', async () => {
    // Prepare
    const h = await createCloneHarness();
    // Act
    const result = await runWorkflow({ workflow: 'replicate', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.cause).toContain('the twin of shop is not cloned yet: run twinstack clone shop');
  });

  it('rolls back after a failure: launched instances terminated, images deregistered in both regions, twin not registered', async () => {
    // Prepare
    const h = await createCloneHarness();
    h.compute.failures.set('hostKeyOf', { error: new ComputeError('GetConsoleOutput: access denied'), times: 1000 });
    // Act
    const result = await clone(h);
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ComputeError');
    expect(result.cause).toContain('access denied');
    expect(h.compute.callsOf('runInstance').length).toBe(2);
    expect(h.compute.liveClones()).toEqual([]);
    expect([...h.compute.images.values()].filter((i) => i.tags[CLONE_TAG] === CLONE_ID)).toEqual([]);
    const terminated = h.compute.callsOf('terminateInstances').flatMap((c) => c.args[1] as string[]);
    expect(terminated.sort()).toEqual(launchedIds(h).sort());
    expect(h.compute.callsOf('deregisterImage').map((c) => c.args[0]).sort()).toEqual(['eu-central-1', 'eu-central-1', 'eu-west-1', 'eu-west-1']);
    expect((await storedGroup(h)).twin).toBeUndefined();
    expect(result.events.some((e) => e.state === 'RollbackClone' && e.type === 'succeeded')).toBe(true);
    expect(h.lease.leases.size).toBe(0);
  });

  it('a deploy that fails after the twin was registered is rolled back too: the twin leaves the config again', async () => {
    // Prepare
    const h = await createCloneHarness();
    h.fleet.failing.add('127.0.9.1');
    // Act
    const result = await clone(h);
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RemoteCommandError');
    expect(result.events.some((e) => e.state === 'RegisterTwin' && e.type === 'succeeded')).toBe(true);
    expect((await storedGroup(h)).twin).toBeUndefined();
    expect(h.compute.liveClones()).toEqual([]);
  });

  it('an input without options fails InvalidWorkflowInput before any step runs', async () => {
    // Prepare
    const h = await createCloneHarness();
    // Act
    const result = await clone(h, { group: 'shop', targetRegion: 'eu-central-1' });
    // Assess
    expect(result.error).toBe('InvalidWorkflowInput');
    expect(h.compute.calls).toEqual([]);
    expect(h.lease.leases.size).toBe(0);
  });

  it('keepOnFailure keeps what the clone made and removes nothing', async () => {
    // Prepare
    const h = await createCloneHarness();
    h.compute.failures.set('hostKeyOf', { error: new ComputeError('GetConsoleOutput: access denied'), times: 1000 });
    const input = { ...CLONE_INPUT, options: { ...CLONE_INPUT.options, keepOnFailure: true } };
    // Act
    const result = await clone(h, input);
    // Assess
    expect(result.status).toBe('FAILED');
    expect(h.compute.liveClones().length).toBe(2);
    expect(h.compute.callsOf('terminateInstances')).toEqual([]);
    expect(h.compute.callsOf('deregisterImage')).toEqual([]);
    expect(result.events.some((e) => e.state === 'RollbackClone' && e.type === 'succeeded')).toBe(true);
  });

  it('a re-run after a failure mid-way resumes: nothing launched or copied twice', async () => {
    // Prepare: the first run fails at CopyParameters, after the launch, and keeps what it made.
    const h = await createCloneHarness();
    const keep = { ...CLONE_INPUT, options: { ...CLONE_INPUT.options, keepOnFailure: true } };
    h.regions.get('eu-west-1')!.getByPath = () => Promise.reject(new ParameterStoreError('SSM throttled'));
    const first = await clone(h, keep, 'clone-1');
    const afterFirst = { instances: h.compute.liveClones().map((i) => i.id).sort(), images: h.compute.images.size, groups: h.compute.groups.size };
    // Act: the store answers again; the same clone is started again.
    delete (h.regions.get('eu-west-1') as { getByPath?: unknown }).getByPath;
    const second = await clone(h, CLONE_INPUT, 'clone-2');
    // Assess
    expect(first.status).toBe('FAILED');
    expect(first.error).toBe('ParameterStoreError');
    expect(afterFirst.instances.length).toBe(2);
    expect(h.compute.callsOf('runInstance').length).toBe(4);
    expect(second.cause ?? '').toBe('');
    expect(second.status).toBe('SUCCEEDED');
    expect(h.compute.liveClones().map((i) => i.id).sort()).toEqual(afterFirst.instances);
    expect({ images: h.compute.images.size, groups: h.compute.groups.size }).toEqual({ images: afterFirst.images, groups: afterFirst.groups });
    expect((await storedGroup(h)).twin?.hosts.map((x) => x.address).sort()).toEqual(h.compute.liveClones().map((i) => i.privateAddress).sort());
  });
});
