import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepDefinition } from '../../functions/handlers/step-catalog.ts';
import { StepFunction } from '../../infra/constructs/step-function.ts';
import { bareZoneId, normalizeRecordName } from '../../infra/constructs/step-permissions.ts';
import { PROJECT_ROOT } from '../../infra/stacks/control-stack.ts';
import { FIXTURE_CONFIG } from './fixtures/twinstack-config.fixture.ts';

const ENTRY = join(import.meta.dirname, 'fixtures', 'handlers', 'echo.handler.mjs');
const STEP: StepDefinition = { state: 'Echo', file: 'echo', description: 'Fixture step', capabilities: [], timeoutSeconds: 7 };

describe('StepFunction', () => {
  let outdir: string;
  let template: Template;

  beforeAll(() => {
    // Prepare: one real local esbuild bundle (the slow part), shared by the tests
    outdir = mkdtempSync(join(tmpdir(), 'twinstack-step-function-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Test', { env: { region: 'eu-central-1' } });
    new StepFunction(stack, 'Echo', { step: STEP, groups: FIXTURE_CONFIG.groups, entry: ENTRY, projectRoot: PROJECT_ROOT, depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json') });
    template = Template.fromStack(stack);
    app.synth();
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  const bundle = () => {
    const asset = readdirSync(outdir).find((d) => d.startsWith('asset.') && existsSync(join(outdir, d, 'index.mjs')));
    if (!asset) throw new Error(`no bundled asset in ${outdir}`);
    return join(outdir, asset, 'index.mjs');
  };

  it('bundles with local esbuild into a minified ESM file with a source map', () => {
    // Act
    const file = bundle();
    const code = readFileSync(file, 'utf8');

    // Assess
    expect(existsSync(`${file}.map`)).toBe(true);
    expect(code).toMatch(/createRequire/);
    expect(code.split('\n').length).toBeLessThan(10);
  });

  it('produces a bundle whose CommonJS dependencies can require Node built-ins under plain Node ESM', () => {
    // Prepare: a separate node process, so nothing from the test runner (such as a global require) leaks in
    const script = `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle()).href)}); console.log(JSON.stringify(await handler({ ping: 1 })));`;

    // Act
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });

    // Assess
    expect(JSON.parse(output)).toEqual({ event: { ping: 1 }, separator: '/' });
  });

  it('gives a step without capabilities only its log group and X-Ray', () => {
    // Act
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties.PolicyDocument.Statement,
    );
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

    // Assess
    expect(actions).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('sets handler, timeout and the source-map flag', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 7,
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'twinstack' } },
    });
  });
});

describe('step permissions helpers', () => {
  it.each([
    ['/hostedzone/Z123', 'Z123'],
    ['hostedzone/Z123', 'Z123'],
    ['Z123', 'Z123'],
  ])('bareZoneId(%s) is %s', (input, expected) => {
    // Act / Assess
    expect(bareZoneId(input)).toBe(expected);
  });

  it.each([
    ['Shop.Example.com.', 'shop.example.com'],
    ['shop.example.com', 'shop.example.com'],
  ])('normalizeRecordName(%s) is %s', (input, expected) => {
    // Act / Assess
    expect(normalizeRecordName(input)).toBe(expected);
  });
});
