import { describe, expect, it } from 'vitest';
import { planClone, type ClonePlan } from '../../../functions/core/decisions/plan-clone.ts';
import { ComputeError, HostKeyMismatchError, HostUnreachableError, InvalidInputError } from '../../../functions/core/errors.ts';
import type { FailoverGroup } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { RemoteShell } from '../../../functions/core/ports.ts';
import * as copyImages from '../../../functions/handlers/copy-images.handler.ts';
import * as copyParameters from '../../../functions/handlers/copy-parameters.handler.ts';
import * as createImages from '../../../functions/handlers/create-images.handler.ts';
import * as deployTwin from '../../../functions/handlers/deploy-twin.handler.ts';
import * as describeSourceStack from '../../../functions/handlers/describe-source-stack.handler.ts';
import * as ensureSecurityGroups from '../../../functions/handlers/ensure-security-groups.handler.ts';
import * as launchInstances from '../../../functions/handlers/launch-instances.handler.ts';
import * as planCloneStep from '../../../functions/handlers/plan-clone.handler.ts';
import * as pollImages from '../../../functions/handlers/poll-images.handler.ts';
import * as pollInstances from '../../../functions/handlers/poll-instances.handler.ts';
import * as registerTwin from '../../../functions/handlers/register-twin.handler.ts';
import * as rollbackClone from '../../../functions/handlers/rollback-clone.handler.ts';
import { loadGroup } from '../../../functions/handlers/stores/load-group.ts';
import { CLONE_INPUT, FakeCompute, createCloneHarness, type CloneHarness } from './fakes/fake-compute.ts';

async function planned(h: CloneHarness): Promise<ClonePlan> {
  const source = await describeSourceStack.createHandler(h.deps)({ group: 'shop' });
  const decision = planClone({ request: CLONE_INPUT, group: h.awaiting, source });
  if (decision.action !== 'clone') throw new Error(decision.cause);
  return decision.plan;
}

/** Run the steps up to and including the launch; returns what each returned. */
async function launch(h: CloneHarness, plan: ClonePlan) {
  const images = await createImages.createHandler(h.deps)({ plan });
  const copied = await copyImages.createHandler(h.deps)({ plan, images });
  const network = await ensureSecurityGroups.createHandler(h.deps)({ plan });
  const launched = await launchInstances.createHandler(h.deps)({ plan, copied, network });
  return { images, copied, network, launched };
}

describe('clone-stack steps', () => {
  it('refuse to run without a Compute port, naming why', async () => {
    // Prepare
    const h = await createCloneHarness();
    const { compute: _c, ...deps } = h.deps;
    // Act + Assess
    await expect(describeSourceStack.createHandler(deps)({ group: 'shop' })).rejects.toThrow(/has no Compute/);
  });

  it('DescribeSourceStack describes only the primary', async () => {
    // Prepare
    const h = await createCloneHarness();
    // Act
    const described = await describeSourceStack.createHandler(h.deps)({ group: 'shop' });
    // Assess
    expect(described.instances.map((i) => i.id).sort()).toEqual(['i-app', 'i-db']);
    await expect(describeSourceStack.createHandler(h.deps)({ group: 'shop', sourceStack: 'other' })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('PlanClone returns the refusal as data', async () => {
    // Prepare
    const h = await createCloneHarness();
    const source = await describeSourceStack.createHandler(h.deps)({ group: 'shop' });
    // Act
    const decision = await planCloneStep.createHandler(h.deps)({ request: { ...CLONE_INPUT, targetRegion: 'eu-west-1' }, source });
    // Assess
    expect(decision.action).toBe('refuse');
  });

  it('CreateImages, CopyImages, EnsureSecurityGroups and LaunchInstances run twice make nothing twice', async () => {
    // Prepare
    const h = await createCloneHarness();
    const plan = await planned(h);
    // Act
    const first = await launch(h, plan);
    const second = await launch(h, plan);
    // Assess
    expect(second.images).toEqual(first.images);
    expect(second.copied).toEqual(first.copied);
    expect(second.network.groupIds).toEqual(first.network.groupIds);
    expect(first.network.created.length).toBe(2);
    expect(second.network.created).toEqual([]);
    expect(second.launched).toEqual(first.launched);
    expect(h.compute.liveClones().length).toBe(2);
    expect(h.compute.callsOf('createImage').every((c) => (c.args[2] as { noReboot: boolean }).noReboot)).toBe(true);
  });

  it('PollImages: missing right after the copy and pending are "not yet"; available is ready; failed is a ComputeError', async () => {
    // Prepare
    const h = await createCloneHarness();
    const plan = await planned(h);
    const { copied } = await launch(h, plan);
    const poll = pollImages.createHandler(h.deps);
    // Act
    const states = [await poll({ plan, copied }), await poll({ plan, copied }), await poll({ plan, copied })];
    // Assess
    expect(states.map((s) => s.ready)).toEqual([false, false, true]);
    expect(Object.values(states[0]!.states)).toEqual(['missing', 'missing']);
    expect(Object.values(states[1]!.states)).toEqual(['pending', 'pending']);
    h.compute.failCopies = true;
    await expect(poll({ plan, copied })).rejects.toBeInstanceOf(ComputeError);
  });

  it('PollInstances waits for running, the published host key and an SSH login pinned to it', async () => {
    // Prepare
    const h = await createCloneHarness();
    const plan = await planned(h);
    const { launched } = await launch(h, plan);
    const seen: { address: string; hostKey: string }[] = [];
    const unreachable = new Set<string>();
    const shell: RemoteShell = {
      exec: (host) => {
        seen.push({ address: host.address, hostKey: host.hostKey });
        return unreachable.has(host.address) ? Promise.reject(new HostUnreachableError('ECONNREFUSED')) : Promise.resolve({ exitCode: 0, stdout: '', stderr: '', durationMs: 1 });
      },
      close: () => Promise.resolve(),
    };
    const poll = pollInstances.createHandler({ ...h.deps, openShell: () => Promise.resolve(shell) });
    unreachable.add('127.0.9.1');
    // Act
    const pending = await poll({ plan, launched });
    const noKey = await poll({ plan, launched });
    const oneUnreachable = await poll({ plan, launched });
    unreachable.clear();
    const ready = await poll({ plan, launched });
    // Assess
    expect(pending.ready).toBe(false);
    expect(Object.values(pending.waiting).every((w) => w.includes('pending'))).toBe(true);
    expect(Object.values(noKey.waiting).every((w) => w.includes('has not published its SSH host key'))).toBe(true);
    expect(oneUnreachable.ready).toBe(false);
    expect(oneUnreachable.hosts.length).toBe(1);
    expect(ready.ready).toBe(true);
    expect(ready.hosts.map((x) => x.hostKey).sort()).toEqual(launched.map((l) => FakeCompute.hostKeyOf(l.instanceId)).sort());
    expect(seen.every((s) => s.hostKey === FakeCompute.hostKeyOf([...h.compute.instances.values()].find((i) => i.privateAddress === s.address)?.id ?? ''))).toBe(true);
  });

  it('PollInstances: a host key that does not match and a terminated instance are faults', async () => {
    // Prepare
    const h = await createCloneHarness();
    const plan = await planned(h);
    const { launched } = await launch(h, plan);
    const mismatch: RemoteShell = { exec: () => Promise.reject(new HostKeyMismatchError('host key differs')), close: () => Promise.resolve() };
    const poll = pollInstances.createHandler({ ...h.deps, openShell: () => Promise.resolve(mismatch) });
    await poll({ plan, launched });
    await poll({ plan, launched });
    // Act + Assess
    await expect(poll({ plan, launched })).rejects.toBeInstanceOf(HostKeyMismatchError);
    await h.compute.terminateInstances('eu-central-1', [launched[0]!.instanceId]);
    await expect(poll({ plan, launched })).rejects.toThrow(/is terminated/);
  });

  it('CopyParameters copies under the twin name as secrets, rewrites the region and returns names only', async () => {
    // Prepare
    const h = await createCloneHarness();
    const plan = await planned(h);
    // Act
    const result = await copyParameters.createHandler(h.deps)({ plan });
    // Assess
    expect(result.copied).toEqual(['API_TOKEN', 'ASSETS_URL', 'AWS_REGION'].map((v) => parameterNames.env('shop', 'shop-eu-eu-central-1', v)));
    expect(result.rewritten.length).toBe(2);
    expect(JSON.stringify(result)).not.toContain('tok-S3cret-1');
    expect([...h.params.values].filter(([n]) => n.includes('/env/shop-eu-eu-central-1/')).every(([, v]) => v.secret)).toBe(true);
  });

  it('RegisterTwin writes the twin once, publishes it offline, and refuses to replace another twin', async () => {
    // Prepare
    const h = await createCloneHarness();
    const plan = await planned(h);
    const key = `SHA256:${'q'.repeat(43)}`;
    const hosts = [{ hostName: 'db', instanceId: 'i-1', address: '127.0.9.1', hostKey: key }, { hostName: 'app', instanceId: 'i-2', address: '127.0.9.2', hostKey: key }];
    const register = registerTwin.createHandler(h.deps);
    // Act
    const first = await register({ plan, hosts });
    const again = await register({ plan, hosts });
    // Assess
    expect(first.registered).toBe(true);
    expect(again.registered).toBe(false);
    const group = await loadGroup(h.params, 'shop');
    expect(group.twin).toEqual(first.twin);
    expect(await h.params.get(parameterNames.env('shop', group.twin.name, 'TWINSTACK_ROLE'))).toBe('standby');
    await expect(register({ plan, hosts: hosts.map((x) => ({ ...x, address: '127.0.9.9' })) })).rejects.toThrow(/nothing was replaced/);
  });

  it('DeployTwin skips a group that takes no deploys, with the reason', async () => {
    // Prepare
    const h = await createCloneHarness();
    const plan = await planned(h);
    const key = `SHA256:${'q'.repeat(43)}`;
    await registerTwin.createHandler(h.deps)({ plan, hosts: [{ hostName: 'db', instanceId: 'i-1', address: '127.0.9.1', hostKey: key }, { hostName: 'app', instanceId: 'i-2', address: '127.0.9.2', hostKey: key }] });
    const stored = JSON.parse((await h.params.get(parameterNames.config('shop'))) ?? '{}') as FailoverGroup;
    const { source: _s, ...noSource } = stored;
    await h.params.put(parameterNames.config('shop'), JSON.stringify(noSource));
    // Act
    const result = await deployTwin.createHandler(h.deps)({ plan });
    // Assess
    expect(result).toEqual({ hosts: [], skipped: 'shop has no source: it takes no deploys' });
    expect(h.fleet.execs).toEqual([]);
  });

  it('RollbackClone removes what the tag finds (also what no step reported) and unregisters the twin; keepOnFailure keeps all', async () => {
    // Prepare
    const h = await createCloneHarness();
    const plan = await planned(h);
    const { launched } = await launch(h, plan);
    const key = `SHA256:${'q'.repeat(43)}`;
    await registerTwin.createHandler(h.deps)({ plan, hosts: launched.map((l, n) => ({ ...l, address: `127.0.9.${n + 1}`, hostKey: key })) });
    // Act
    const kept = await rollbackClone.createHandler(h.deps)({ plan: { ...plan, keepOnFailure: true } });
    const removed = await rollbackClone.createHandler(h.deps)({ plan });
    const again = await rollbackClone.createHandler(h.deps)({ plan });
    // Assess
    expect(kept.removed.instanceIds).toEqual([]);
    expect(kept.kept.instanceIds.length).toBe(2);
    expect(kept.kept.twin).toBe(plan.twinName);
    expect([...removed.removed.instanceIds].sort()).toEqual(launched.map((l) => l.instanceId).sort());
    expect(removed.removed.imageIds.length).toBe(4);
    expect(removed.removed.twin).toBe(plan.twinName);
    expect(removed.kept.securityGroupIds.length).toBe(2);
    expect(removed.note).toContain('2 instance(s) terminated, 4 image(s) deregistered');
    expect(again.removed).toEqual({ instanceIds: [], imageIds: [], securityGroupIds: [] });
    await expect(loadGroup(h.params, 'shop')).rejects.toThrow('the twin of shop is not cloned yet: run twinstack clone shop');
  });
});
