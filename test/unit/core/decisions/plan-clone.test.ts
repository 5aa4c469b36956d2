import { describe, expect, it } from 'vitest';
import type { StackDescription } from '../../../../functions/core/compute.ts';
import { cloneIdOf, cloneNames, copiedParameterOf, planClone, translateRules, twinStackOf, type ClonePlan } from '../../../../functions/core/decisions/plan-clone.ts';
import { HOST_KEY_FINGERPRINT } from '../../../../functions/core/config/config-patterns.ts';
import type { GroupAwaitingTwin } from '../../../../functions/core/model.ts';
import { sampleSource } from '../../handlers/fakes/fake-compute.ts';
import { sampleGroup } from '../../handlers/fakes/fake-world.ts';

const REQUEST = { group: 'shop', targetRegion: 'eu-central-1', options: { kmsKeyId: 'alias/twinstack', vpcId: 'vpc-target', subnets: { 'subnet-a': 'subnet-x', 'subnet-b': 'subnet-y' } } };

function awaiting(): GroupAwaitingTwin {
  const { twin: _twin, ...group } = sampleGroup();
  return group;
}

const source = (): StackDescription => ({ ...sampleSource(), stack: 'shop-eu' });

function plan(): ClonePlan {
  const decision = planClone({ request: REQUEST, group: awaiting(), source: source() });
  if (decision.action !== 'clone') throw new Error(decision.cause);
  return decision.plan;
}

describe('planClone', () => {
  it('plans every host and group with names and tokens derived from the clone id', () => {
    // Act
    const decision = planClone({ request: REQUEST, group: awaiting(), source: source() });
    // Assess
    expect(decision.action).toBe('clone');
    if (decision.action !== 'clone') return;
    const { plan: p } = decision;
    expect(p.cloneId).toBe(cloneIdOf('shop', 'shop-eu', 'eu-central-1'));
    expect(p).toMatchObject({ twinName: 'shop-eu-eu-central-1', sourceRegion: 'eu-west-1', targetRegion: 'eu-central-1', noReboot: true, keepOnFailure: false });
    expect(p.hosts.map((h) => [h.hostName, h.subnetId, h.launchClientToken])).toEqual([
      ['db', 'subnet-x', cloneNames(p.cloneId, 'db').launchClientToken],
      ['app', 'subnet-y', cloneNames(p.cloneId, 'app').launchClientToken],
    ]);
    expect(p.hosts[0]?.tags).toEqual({ Name: 'shop-db', 'twinstack:clone': p.cloneId, 'twinstack:stack': 'shop-eu-eu-central-1', 'twinstack:host': 'db' });
    expect(p.securityGroups.map((g) => g.name)).toEqual(['shop-eu-eu-central-1-web', 'shop-eu-eu-central-1-db']);
  });

  it('derives the same clone id for the same group, source and region, and another for another region', () => {
    // Assess
    expect(cloneIdOf('shop', 'shop-eu', 'eu-central-1')).toBe(cloneIdOf('shop', 'shop-eu', 'eu-central-1'));
    expect(cloneIdOf('shop', 'shop-eu', 'eu-central-1')).not.toBe(cloneIdOf('shop', 'shop-eu', 'us-east-1'));
    expect(cloneIdOf('shop', 'shop-eu', 'eu-central-1')).toMatch(/^tc-[0-9a-f]{16}$/);
    const names = cloneNames(cloneIdOf('a', 'b', 'c'), 'h'.repeat(63));
    expect(names.copyClientToken.length).toBeLessThanOrEqual(64);
    expect(names.launchClientToken.length).toBeLessThanOrEqual(64);
    expect(names.copyClientToken).not.toBe(names.launchClientToken);
  });

  const refusals: [string, (r: typeof REQUEST & Record<string, unknown>, s: StackDescription, g: GroupAwaitingTwin) => [unknown, StackDescription, GroupAwaitingTwin], string][] = [
    ['the source region as target', (r, s, g) => [{ ...r, targetRegion: 'eu-west-1' }, s, g], "targetRegion eu-west-1 is the source stack's own region"],
    ['no region', (r, s, g) => [{ ...r, targetRegion: undefined }, s, g], 'targetRegion null is not a region'],
    ['no KMS key', (r, s, g) => [{ ...r, options: { ...r.options, kmsKeyId: undefined } }, s, g], 'options.kmsKeyId is missing or malformed'],
    ['a KMS key with shell syntax', (r, s, g) => [{ ...r, options: { ...r.options, kmsKeyId: 'alias/x;rm -rf' } }, s, g], 'options.kmsKeyId is missing or malformed'],
    ['no VPC', (r, s, g) => [{ ...r, options: { ...r.options, vpcId: undefined } }, s, g], 'options.vpcId is missing'],
    ['no options', (r, s, g) => [{ ...r, options: undefined }, s, g], 'options is missing'],
    ['an unmapped subnet', (r, s, g) => [{ ...r, options: { ...r.options, subnets: { 'subnet-a': 'subnet-x' } } }, s, g], 'subnet subnet-b (of app) has no target subnet'],
    ['no tagged instance', (r, s, g) => [r, { ...s, instances: [] }, g], 'no instance in eu-west-1 is tagged twinstack:stack=shop-eu'],
    ['a host without instance', (r, s, g) => [r, { ...s, instances: s.instances.slice(0, 1) }, g], 'host app of shop-eu has no instance tagged twinstack:host=app'],
    ['two instances of one host', (r, s, g) => [r, { ...s, instances: [...s.instances, { ...s.instances[0]!, id: 'i-db2' }] }, g], '2 instances (i-db, i-db2) are tagged twinstack:host=db'],
    ['an instance of no configured host', (r, s, g) => [r, { ...s, instances: [...s.instances, { ...s.instances[0]!, id: 'i-x', hostName: 'cache' }] }, g], 'which is no host of shop-eu'],
    ['a terminated instance', (r, s, g) => [r, { ...s, instances: [{ ...s.instances[0]!, state: 'terminated' }, s.instances[1]!] }, g], 'i-db (db) is terminated'],
    ['a rule referencing a group no host uses', (r, s, g) => [r, { ...s, securityGroups: s.securityGroups.map((x) => (x.id === 'sg-web' ? { ...x, ingress: [{ protocol: 'tcp', fromPort: 1, toPort: 1, cidrs: [], ipv6Cidrs: [], groupIds: ['sg-elb'] }] } : x)) }, g], 'references sg-elb, which no host of the stack uses'],
    ['a registered twin', (r, s, g) => [r, s, { ...g, twin: sampleGroup().twin }], 'already has a twin (shop-de) registered'],
    ['a source other than the primary', (r, s, g) => [{ ...r, sourceStack: 'shop-de' }, s, g], 'sourceStack "shop-de" is not the primary of shop'],
    ['a twin name that is no identifier', (r, s, g) => [{ ...r, options: { ...r.options, twinName: 'Shop DE' } }, s, g], 'options.twinName "Shop DE" is not an identifier'],
    ['a non-boolean flag', (r, s, g) => [{ ...r, options: { ...r.options, noReboot: 'no' } }, s, g], 'options.noReboot must be true or false'],
  ];

  it.each(refusals)('refuses %s, naming the fix', (_what, change, expected) => {
    // Prepare
    const [request, description, group] = change(REQUEST, source(), awaiting());
    // Act
    const decision = planClone({ request, group, source: description });
    // Assess
    expect(decision.action).toBe('refuse');
    expect(decision.reasons.join('\n')).toContain(expected);
    expect(decision.action === 'refuse' ? decision.cause : '').toContain('nothing was created');
  });

  it('accepts a local clone into another lab label, and refuses the same label with the fix', () => {
    // Prepare
    const group = awaiting();
    const local = { ...group, primary: { ...group.primary, region: 'local' } };
    // Act
    const decision = planClone({ request: { ...REQUEST, targetRegion: 'local-twin' }, group: local, source: { ...source(), region: 'local' } });
    const same = planClone({ request: { ...REQUEST, targetRegion: 'local' }, group: local, source: { ...source(), region: 'local' } });
    // Assess
    expect(decision.reasons).toEqual([expect.stringContaining('2 host(s) of shop-eu (local) → shop-eu-local-twin (local-twin)')]);
    expect(same.reasons.join()).toContain('in the lab: another label, e.g. local-twin');
  });

  it('writes a lab label as region local in the twin block (the config knows only local)', () => {
    // Prepare
    const group = awaiting();
    const local = { ...group, primary: { ...group.primary, region: 'local' } };
    const decision = planClone({ request: { ...REQUEST, targetRegion: 'local-twin' }, group: local, source: { ...source(), region: 'local' } });
    if (decision.action !== 'clone') throw new Error(decision.cause);
    // Act
    const { stack } = twinStackOf(decision.plan, local.primary, [{ hostName: 'db', instanceId: 'i', address: '127.0.2.1', hostKey: 'k' }, { hostName: 'app', instanceId: 'j', address: '127.0.2.2', hostKey: 'k' }]);
    // Assess
    expect(stack.region).toBe('local');
  });
});

describe('translateRules', () => {
  it('replaces each referenced group by its copy and refuses a reference without one', () => {
    // Prepare
    const rules = sampleSource().securityGroups[1]!.ingress;
    // Act + Assess
    expect(translateRules(rules, { 'sg-web': 'sg-1', 'sg-db': 'sg-2' }).map((r) => r.groupIds)).toEqual([['sg-1'], ['sg-2']]);
    expect(() => translateRules(rules, { 'sg-web': 'sg-1' })).toThrow(/sg-db has no copy/);
  });
});

describe('twinStackOf', () => {
  it('keeps the source shape with the clone addresses and pinned keys, the endpoint and health URL following their host', () => {
    // Prepare
    const p = plan();
    const key = 'SHA256:' + 'k'.repeat(43);
    // Act
    const { stack, reasons } = twinStackOf(p, awaiting().primary, [
      { hostName: 'db', instanceId: 'i-1', address: '10.2.0.1', hostKey: key },
      { hostName: 'app', instanceId: 'i-2', address: '10.2.0.2', hostKey: key },
    ]);
    // Assess
    expect(reasons).toEqual([]);
    expect(stack).toMatchObject({ name: 'shop-eu-eu-central-1', region: 'eu-central-1', endpoint: '10.2.0.2', healthUrl: 'http://10.2.0.2:8080/health' });
    expect(stack.hosts.map((h) => [h.name, h.address, h.sshPort, h.user])).toEqual([['db', '10.2.0.1', 22, 'twinstack'], ['app', '10.2.0.2', 22, 'twinstack']]);
    expect(stack.hosts.every((h) => HOST_KEY_FINGERPRINT.test(h.hostKey))).toBe(true);
  });

  it('says so when the endpoint is no host address (a load balancer)', () => {
    // Prepare
    const primary = { ...awaiting().primary, endpoint: 'lb.example.com', healthUrl: 'https://lb.example.com/health' };
    // Act
    const { stack, reasons } = twinStackOf(plan(), primary, [
      { hostName: 'db', instanceId: 'i-1', address: '10.2.0.1', hostKey: 'k' },
      { hostName: 'app', instanceId: 'i-2', address: '10.2.0.2', hostKey: 'k' },
    ]);
    // Assess
    expect(stack.endpoint).toBe('10.2.0.1');
    expect(reasons).toEqual([expect.stringContaining('is no host\'s address')]);
  });
});

describe('copiedParameterOf', () => {
  it.each([
    ['eu-west-1', 'eu-central-1', true],
    ['https://s3.eu-west-1.amazonaws.com/b', 'https://s3.eu-central-1.amazonaws.com/b', true],
    ['eu-west-10', 'eu-west-10', false],
    ['xeu-west-1', 'xeu-west-1', false],
    ['plain', 'plain', false],
  ])('%s → %s', (value, expected, rewritten) => {
    // Act
    const copied = copiedParameterOf(plan(), '/twinstack/shop/env/shop-eu/X', value);
    // Assess
    expect(copied).toEqual({ name: '/twinstack/shop/env/shop-eu-eu-central-1/X', value: expected, rewritten });
  });
});
