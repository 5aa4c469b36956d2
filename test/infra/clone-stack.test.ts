import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { twinNotClonedMessage } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { STEPS, placeholderOf } from '../../functions/handlers/step-catalog.ts';
import { loadGroup, loadGroupAwaitingTwin } from '../../functions/handlers/stores/load-group.ts';
import { createControlApp } from '../../infra/stacks/control-app.ts';
import { PROJECT_ROOT, type ControlStack } from '../../infra/stacks/control-stack.ts';
import { MemoryParameterStore } from '../unit/handlers/fakes/memory-parameter-store.ts';
import { AWAITING_CONFIG, FIXTURE_CONFIG } from './fixtures/twinstack-config.fixture.ts';

/** Skips esbuild: these tests read the template. */
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

type Json = Record<string, unknown>;
interface Statement { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Json }
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** `{Fn::Join}` / `{Ref}` as readable text. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v['Ref']) return `<${v['Ref'] as string}>`;
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(sep);
  }
  return JSON.stringify(value);
}

describe('ControlStack: the clone-stack workflow and its IAM', () => {
  let stack: ControlStack;
  let template: Template;
  let resources: Record<string, { Type: string; Properties: Json }>;
  let nagViolations: { ruleName: string; paths: string[] }[];

  beforeAll(() => {
    // Prepare (once: synth is the slow part)
    const built = createControlApp(FIXTURE_CONFIG, { context: NO_BUNDLING, nag: false });
    stack = built.stack;
    template = Template.fromStack(stack);
    resources = template.toJSON()['Resources'] as typeof resources;
    nagViolations = new AwsSolutionsChecks().validateScope(built.app).violations.map((v) => ({ ruleName: v.ruleName, paths: v.violatingResources.map((r) => r.constructPath ?? '?') }));
  });

  const statementsOf = (state: string): Statement[] => {
    const fn = resources[stack.getLogicalId(stack.functions[placeholderOf(state)]!.node.defaultChild as never)]!;
    const roleId = ((fn.Properties['Role'] as Json)['Fn::GetAtt'] as string[])[0]!;
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties['Roles'] as Json[]).some((ref) => ref['Ref'] === roleId))
      .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
  };
  const withAction = (state: string, action: string) => statementsOf(state).filter((s) => asArray(s.Action).includes(action));

  it('runs the clone-stack state machine', () => {
    // Assess
    const machines = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine').map((r) => r.Properties['StateMachineName']);
    expect(machines).toContain('twinstack-clone-stack');
  });

  it('creates instances, images, volumes and security groups only with the clone tag in the request', () => {
    // Act
    const creating = withAction('LaunchInstances', 'ec2:RunInstances').filter((s) => asArray(s.Resource).some((r) => flatten(r).includes(':instance/')));
    // Assess
    expect(creating.length).toBe(1);
    expect(creating[0]?.Condition).toEqual({ StringLike: { 'aws:RequestTag/twinstack:clone': 'tc-*' } });
    for (const s of withAction('CopyImages', 'ec2:CopyImage').filter((x) => asArray(x.Resource).some((r) => flatten(r).includes('snapshot/')))) {
      expect(s.Condition).toEqual({ StringLike: { 'aws:RequestTag/twinstack:clone': 'tc-*' } });
    }
    const tagging = withAction('LaunchInstances', 'ec2:CreateTags');
    expect(tagging.map((s) => s.Condition)).toEqual([{ StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateImage', 'CopyImage', 'CreateSecurityGroup'] } }]);
  });

  it("images only the primaries' instances", () => {
    // Act
    const imaging = withAction('CreateImages', 'ec2:CreateImage').filter((s) => asArray(s.Resource).some((r) => flatten(r).includes(':instance/')));
    // Assess
    expect(imaging.map((s) => s.Condition)).toEqual([{ StringEquals: { 'ec2:ResourceTag/twinstack:stack': FIXTURE_CONFIG.groups.map((g) => g.primary.name) } }]);
  });

  it('terminates and deregisters only what carries the clone tag', () => {
    // Act
    const destroying = ['ec2:TerminateInstances', 'ec2:DeregisterImage', 'ec2:DeleteSnapshot'].flatMap((a) => withAction('RollbackClone', a));
    // Assess
    expect(destroying.length).toBeGreaterThan(0);
    for (const s of destroying) expect(s.Condition).toEqual({ StringLike: { 'ec2:ResourceTag/twinstack:clone': 'tc-*' } });
  });

  it('passes roles only to EC2 and uses KMS keys only through EC2', () => {
    // Assess
    expect(withAction('LaunchInstances', 'iam:PassRole').map((s) => s.Condition)).toEqual([{ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }]);
    expect(withAction('CopyImages', 'kms:CreateGrant').map((s) => s.Condition)).toEqual([{ StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } }]);
  });

  it("copies parameters only within each group's env subtree, in any region", () => {
    // Act
    const puts = withAction('CopyParameters', 'ssm:PutParameter').flatMap((s) => asArray(s.Resource).map(flatten));
    // Assess
    expect(puts.length).toBeGreaterThan(0);
    for (const r of puts) expect(r).toMatch(/:ssm:\*:<AWS::AccountId>:parameter\/twinstack\/[a-z]+\/env(\/\*)?$/);
    expect(withAction('CopyParameters', 'kms:Encrypt').map((s) => (s.Condition?.['StringLike'] as Json)['kms:ViaService'])).toEqual(['ssm.*.amazonaws.com']);
  });

  it('gives no EC2 write to the read-only and pure clone steps', () => {
    // Assess
    for (const state of ['DescribeSourceStack', 'PlanClone', 'PollImages', 'CopyParameters', 'RegisterTwin']) {
      const writes = statementsOf(state).flatMap((s) => asArray(s.Action)).filter((a) => /^ec2:(Create|Copy|Run|Terminate|Deregister|Delete|Authorize|Revoke)/.test(a) || a === 'iam:PassRole');
      expect(writes, state).toEqual([]);
    }
    expect(statementsOf('PlanClone').flatMap((s) => asArray(s.Action)).filter((a) => a.startsWith('ec2:'))).toEqual([]);
  });

  it('writes the config only from RegisterTwin and RollbackClone', () => {
    // Assess
    const writesConfig = (state: string) => withAction(state, 'ssm:PutParameter').some((s) => asArray(s.Resource).some((r) => flatten(r).endsWith('/config')));
    expect(['RegisterTwin', 'RollbackClone'].map(writesConfig)).toEqual([true, true]);
    expect(['PlanClone', 'CopyParameters', 'DeployTwin'].map(writesConfig)).toEqual([false, false, false]);
  });

  it('has no unacknowledged cdk-nag finding', () => {
    // Assess
    expect(nagViolations).toEqual([]);
  });
});

/** The steps the clone-stack file uses (their placeholders), read from the file itself. */
const CLONE_STEPS = new Set([...readFileSync(join(PROJECT_ROOT, 'statemachines', 'clone-stack.asl.json'), 'utf8').matchAll(/\$\{(\w+)FunctionArn\}/g)].map((m) => m[1]!));

describe('ControlStack: a group awaiting its twin (blog) next to a cloned one (shop)', () => {
  let stack: ControlStack;
  let resources: Record<string, { Type: string; Properties: Json }>;
  let nagViolations: { ruleName: string; paths: string[] }[];

  beforeAll(() => {
    // Prepare
    const built = createControlApp(AWAITING_CONFIG, { context: NO_BUNDLING, nag: false });
    stack = built.stack;
    resources = Template.fromStack(stack).toJSON()['Resources'] as typeof resources;
    nagViolations = new AwsSolutionsChecks().validateScope(built.app).violations.map((v) => ({ ruleName: v.ruleName, paths: v.violatingResources.map((r) => r.constructPath ?? '?') }));
  });

  const statementsOf = (state: string): Statement[] => {
    const fn = resources[stack.getLogicalId(stack.functions[placeholderOf(state)]!.node.defaultChild as never)]!;
    const roleId = ((fn.Properties['Role'] as Json)['Fn::GetAtt'] as string[])[0]!;
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties['Roles'] as Json[]).some((ref) => ref['Ref'] === roleId))
      .flatMap((r) => (r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
  };
  const withAction = (state: string, action: string) => statementsOf(state).filter((s) => asArray(s.Action).includes(action));
  /** Every resource (and condition value) of the step's statements that names blog. */
  const blogScopes = (state: string) =>
    statementsOf(state).flatMap((s) => [...asArray(s.Resource).map(flatten), JSON.stringify(s.Condition ?? {})].filter((r) => /blog/.test(r)).map((r) => `${asArray(s.Action).join(',')} ${r}`));
  const blogConfigArn = `arn:<AWS::Partition>:ssm:eu-central-1:<AWS::AccountId>:parameter${parameterNames.config('blog')}`;

  it('stores its config parameter without a twin, loadable by clone-stack and refused by every other workflow', async () => {
    // Prepare
    const parameters = Object.values(resources).filter((r) => r.Type === 'AWS::SSM::Parameter');
    const blog = parameters.find((p) => p.Properties['Name'] === parameterNames.config('blog'));
    const params = new MemoryParameterStore();
    await params.put(parameterNames.config('blog'), blog?.Properties['Value'] as string);
    // Act
    const loaded = await loadGroupAwaitingTwin(params, 'blog');
    const refused = await loadGroup(params, 'blog').then(() => 'loaded', (error: Error) => error.message);
    // Assess
    expect(parameters.map((p) => p.Properties['Name']).sort()).toEqual([parameterNames.config('blog'), parameterNames.config('shop')]);
    expect(loaded).toEqual(AWAITING_CONFIG.awaitingClone?.[0]);
    expect(loaded.twin).toBeUndefined();
    expect(refused).toBe(twinNotClonedMessage('blog'));
  });

  it("images the awaiting group's primary too", () => {
    // Act
    const imaging = withAction('CreateImages', 'ec2:CreateImage').filter((s) => asArray(s.Resource).some((r) => flatten(r).includes(':instance/')));
    // Assess
    expect(imaging.map((s) => s.Condition)).toEqual([{ StringEquals: { 'ec2:ResourceTag/twinstack:stack': ['shop-eu', 'blog-eu'] } }]);
  });

  it("copies its env subtree, publishes the twin's env and writes its config from RegisterTwin and RollbackClone only", () => {
    // Act
    const copies = withAction('CopyParameters', 'ssm:PutParameter').flatMap((s) => asArray(s.Resource).map(flatten));
    const published = withAction('RegisterTwin', 'ssm:PutParameter').flatMap((s) => asArray(s.Resource).map(flatten));
    const configWriters = STEPS.map((s) => s.state).filter((state) => withAction(state, 'ssm:PutParameter').some((s) => asArray(s.Resource).map(flatten).includes(blogConfigArn)));
    // Assess
    expect(copies).toContain('arn:<AWS::Partition>:ssm:*:<AWS::AccountId>:parameter/twinstack/blog/env/*');
    expect(published).toContain('arn:<AWS::Partition>:ssm:eu-central-1:<AWS::AccountId>:parameter/twinstack/blog/env/*');
    expect(configWriters.sort()).toEqual(['RegisterTwin', 'RollbackClone']);
  });

  it("gives clone-stack's steps the awaiting group's IAM: DeployTwin reads its env and deploy state and its SSH key", () => {
    // Act
    const reads = statementsOf('DeployTwin').flatMap((s) => asArray(s.Resource).map(flatten));
    // Assess
    for (const name of ['/twinstack/blog/env/*', parameterNames.deployState('blog'), parameterNames.sshPrivateKey('blog')]) {
      expect(reads).toContain(`arn:<AWS::Partition>:ssm:eu-central-1:<AWS::AccountId>:parameter${name}`);
    }
  });

  it('lets every other step read only its config parameter (to refuse it), nothing else of it', () => {
    // Prepare
    const others = STEPS.filter((s) => !CLONE_STEPS.has(s.state));
    // Assess
    expect(others.map((s) => s.state)).toEqual(expect.arrayContaining(['PlanReplication', 'AssessFailover', 'PreparePrimary', 'SwitchDns', 'RequestDeploy', 'DeployHost', 'AssessSwitchover']));
    for (const step of others) {
      const expected = (step.capabilities as readonly string[]).includes('config:read') ? [`ssm:GetParameter ${blogConfigArn}`] : [];
      expect(blogScopes(step.state), step.state).toEqual(expected);
    }
  });

  it('starts no failover, replication check or alarm for the awaiting group', () => {
    // Act
    const named = Object.entries(resources)
      .filter(([, r]) => ['AWS::Events::Rule', 'AWS::CloudWatch::Alarm'].includes(r.Type))
      .filter(([id, r]) => /blog/i.test(id) || /"group":"blog"|group blog|\/blog\//.test(JSON.stringify(r.Properties)));
    // Assess
    expect(named.map(([id]) => id)).toEqual([]);
  });

  it('has no unacknowledged cdk-nag finding', () => {
    // Assess
    expect(nagViolations).toEqual([]);
  });
});
