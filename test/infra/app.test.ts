import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createControlApp } from '../../infra/stacks/control-app.ts';
import { PROJECT_ROOT } from '../../infra/stacks/control-stack.ts';
import { WORKFLOW_NAMES } from '../../functions/core/workflows/workflow-names.ts';
import { FIXTURE_CONFIG } from './fixtures/twinstack-config.fixture.ts';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const EXAMPLE = join(PROJECT_ROOT, 'examples', 'twinstack.yaml');

/** Runs `npm run synth`'s command in a child process, offline, into its own outdir, without bundling. */
function synth(configPath: string, outdir: string): { status: number | null; stderr: string } {
  const result = spawnSync(TSX, [join(PROJECT_ROOT, 'infra', 'app.ts')], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 90_000,
    env: {
      ...process.env,
      TWINSTACK_CONFIG: configPath,
      CDK_OUTDIR: outdir,
      CDK_VALIDATION: 'false',
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
    },
  });
  return { status: result.status, stderr: result.stderr };
}

describe('infra/app.ts', () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'twinstack-app-'));
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('synthesises the example config offline, with cdk-nag finding nothing unacknowledged', () => {
    // Prepare
    const outdir = join(work, 'valid');

    // Act
    const { status, stderr } = synth(EXAMPLE, outdir);

    // Assess
    expect(stderr).toContain('synthesised TwinstackControl');
    expect(status).toBe(0);
    const template = JSON.parse(readFileSync(join(outdir, 'TwinstackControl.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')).toHaveLength(WORKFLOW_NAMES.length);
  });

  it('exits 2 listing every config issue, and synthesises nothing', () => {
    // Prepare
    const outdir = join(work, 'invalid');
    const invalid = join(work, 'invalid.yaml');
    writeFileSync(invalid, 'version: 1\ngroups:\n  - name: Shop\n    dns: {}\n');

    // Act
    const { status, stderr } = synth(invalid, outdir);

    // Assess
    expect(status).toBe(2);
    expect(stderr).toContain('invalid configuration, nothing synthesised');
    expect(stderr).toMatch(/groups\[0\]\.name/);
    expect(stderr).toMatch(/groups\[0\]\.dns/);
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(false);
  });

  it('fails clearly when the twin (so the control region) would be in the primary region', () => {
    // Prepare: the example with its twin moved into the primary's region
    const outdir = join(work, 'same-region');
    const file = join(work, 'same-region.yaml');
    const text = readFileSync(EXAMPLE, 'utf8');
    const primaryRegion = /region:\s*(\S+)/.exec(text)?.[1] ?? 'eu-west-1';
    writeFileSync(file, text.replace(/region:\s*\S+/g, `region: ${primaryRegion}`));

    // Act
    const { status, stderr } = synth(file, outdir);

    // Assess
    expect(status).toBe(2);
    // The config itself refuses it (twin.region), before any stack is built.
    expect(stderr).toMatch(new RegExp(`twin is in the primary's region \\("${primaryRegion}"\\)`));
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(false);
  });

  it('fails the synth on an unacknowledged cdk-nag finding (the AwsSolutions plugin is wired)', () => {
    // Prepare: a topic that neither encrypts nor requires TLS
    const { app, stack } = createControlApp(FIXTURE_CONFIG, { outdir: join(work, 'nag'), context: { 'aws:cdk:bundling-stacks': [] } });
    new sns.Topic(stack, 'Plain');

    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
  });
});
