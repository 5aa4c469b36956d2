/**
 * Cold import of every Lambda bundle (run: `rm -rf cdk.out && npm run synth`, then
 * `npx tsx test/bench/cold-start.bench.ts [cdk.out]`). For each function asset of the
 * synthesised control stack: bundle size, and the time a fresh `node` process takes to
 * `import()` its `index.mjs` (the module graph a Lambda cold start evaluates before the
 * first event), 7 runs, median. The AWS SDK is external to the bundles (the Lambda runtime
 * has it): here it resolves from this repository's node_modules, as in the runtime.
 *
 * A second column adds what the first invocation then loads: the SDK clients the step's
 * catalog capabilities use (lazily, on first use: SSM for config/state/secrets/env/deploy/ssh,
 * Route 53 for dns, DynamoDB for lease), so moving the SDK out of the import is not mistaken
 * for removing its cost.
 *
 * Prints a table; asserts nothing (times are machine-dependent). The targets are
 * ≤ 150 ms and ≤ 1 MB per bundle on the reference machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { STEPS, type Capability } from '../../functions/handlers/step-catalog.ts';

const RUNS = 7;
const TARGET_MS = 150;
const TARGET_BYTES = 1024 * 1024;

interface AssetManifest {
  readonly files: Record<string, { readonly displayName?: string; readonly source: { readonly path?: string } }>;
}

const outdir = resolve(process.argv[2] ?? 'cdk.out');
const manifestFile = join(outdir, 'TwinstackControl.assets.json');
if (!existsSync(manifestFile)) {
  console.error(`no ${manifestFile}: run \`rm -rf cdk.out && npm run synth\` first`);
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as AssetManifest;

/** `PlanReplication/Function/Code` → PlanReplication; `DeployWebhook/Function/Code` → DeployWebhook. */
const bundles = Object.values(manifest.files)
  .filter((f) => f.displayName?.endsWith('/Code') && f.source.path !== undefined)
  .map((f) => ({ name: (f.displayName ?? '').split('/')[0] ?? '?', file: join(outdir, f.source.path ?? '', 'index.mjs') }))
  .filter((b) => existsSync(b.file));

const CLIENT_OF: Partial<Record<Capability, string>> = {
  'config:read': '@aws-sdk/client-ssm', 'state:write': '@aws-sdk/client-ssm', 'secrets:read': '@aws-sdk/client-ssm', 'secrets:write': '@aws-sdk/client-ssm',
  'env:write': '@aws-sdk/client-ssm', 'env:read': '@aws-sdk/client-ssm', 'deploy:read': '@aws-sdk/client-ssm', 'deploy:write': '@aws-sdk/client-ssm', ssh: '@aws-sdk/client-ssm',
  'dns:read': '@aws-sdk/client-route-53', 'dns:write': '@aws-sdk/client-route-53', lease: '@aws-sdk/client-dynamodb',
};
/** The SDK packages a step's first invocation loads; the webhook uses SSM and Step Functions. */
function clientsOf(name: string): string[] {
  if (name === 'DeployWebhook') return ['@aws-sdk/client-ssm', '@aws-sdk/client-sfn'];
  const step = STEPS.find((s) => s.state === name);
  return [...new Set((step?.capabilities ?? []).flatMap((c) => CLIENT_OF[c] ?? []))];
}

function coldImportMs(file: string, clients: readonly string[] = []): number {
  // Resolved from the repository (the bundles leave the SDK external, as the Lambda runtime provides it).
  const sdk = clients.map((c) => `await import(${JSON.stringify(c)});`).join(' ');
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); ${sdk} console.log(performance.now() - t);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: process.cwd(), env: { PATH: process.env['PATH'] ?? '' } });
  return Number(out.trim().split('\n').pop());
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const rows = bundles.map((b) => {
  const times = Array.from({ length: RUNS }, () => coldImportMs(b.file));
  const clients = clientsOf(b.name);
  const withSdk = clients.length === 0 ? median(times) : median(Array.from({ length: RUNS }, () => coldImportMs(b.file, clients)));
  return { name: b.name, kib: statSync(b.file).size / 1024, median: median(times), min: Math.min(...times), max: Math.max(...times), withSdk, clients };
});
rows.sort((a, b) => b.median - a.median);

const pad = (s: string, n: number) => s.padEnd(n);
const num = (v: number, n: number) => v.toFixed(0).padStart(n);
console.log(`cold import, fresh node ${process.version}, median of ${RUNS} (target ≤ ${TARGET_MS} ms, ≤ ${TARGET_BYTES / 1024} KiB)`);
console.log(`${pad('function', 22)} ${'KiB'.padStart(6)} ${'median'.padStart(7)} ${'min'.padStart(5)} ${'max'.padStart(5)} ${'+sdk'.padStart(6)}  clients loaded on first use`);
for (const r of rows) {
  const flag = r.median > TARGET_MS || r.kib * 1024 > TARGET_BYTES ? '  over target' : '';
  const clients = r.clients.map((c) => c.replace('@aws-sdk/client-', '')).join(', ') || '-';
  console.log(`${pad(r.name, 22)} ${num(r.kib, 6)} ${num(r.median, 7)} ${num(r.min, 5)} ${num(r.max, 5)} ${num(r.withSdk, 6)}  ${clients}${flag}`);
}
