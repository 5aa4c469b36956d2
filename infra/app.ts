/**
 * CDK entry (cdk.json `app`, `npm run synth`). Reads the twinstack.yaml named by
 * env TWINSTACK_CONFIG, else context `twinstack:config` (cdk.json or `-c`), validates it
 * and synthesises the control plane into `cdk.out` (or CDK_OUTDIR).
 *
 * Exit codes: 0 synthesised; 2 invalid config (every issue printed, nothing
 * synthesised); 1 any other failure, including cdk-nag findings not acknowledged.
 * `CDK_VALIDATION=false` (honoured by aws-cdk-lib itself) skips the built-in
 * CloudFormation validation: for tests only, real synths keep it.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigValidationError, loadConfig } from './config/load-config.ts';
import { createControlApp } from './stacks/control-app.ts';
import { PROJECT_ROOT } from './stacks/control-stack.ts';

const CONFIG_CONTEXT_KEY = 'twinstack:config';

/** The config path: env first, then context given by the CDK CLI, then cdk.json (when run without the CLI). */
function configPath(): string {
  if (process.env.TWINSTACK_CONFIG) return resolve(process.env.TWINSTACK_CONFIG);
  const cliContext = process.env.CDK_CONTEXT_JSON ? (JSON.parse(process.env.CDK_CONTEXT_JSON) as Record<string, unknown>) : {};
  const fromCli = cliContext[CONFIG_CONTEXT_KEY];
  if (typeof fromCli === 'string') return resolve(PROJECT_ROOT, fromCli);
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const fromFile = cdkJson.context?.[CONFIG_CONTEXT_KEY];
  if (typeof fromFile === 'string') return resolve(PROJECT_ROOT, fromFile);
  throw new Error(`no config: set TWINSTACK_CONFIG or context ${CONFIG_CONTEXT_KEY}`);
}

function main(): number {
  let config;
  try {
    config = loadConfig(configPath());
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      console.error(`twinstack: invalid configuration, nothing synthesised.\n${error.message}`);
      return 2;
    }
    throw error;
  }
  const { app } = createControlApp(config, { outdir: process.env.CDK_OUTDIR ?? join(PROJECT_ROOT, 'cdk.out') });
  const assembly = app.synth();
  console.error(`twinstack: synthesised ${assembly.stacks.map((s) => s.stackName).join(', ')} into ${assembly.directory}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  console.error(`twinstack: synth failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
