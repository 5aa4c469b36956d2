/**
 * Webhook intake benchmark (run: `npx tsx test/bench/webhook.bench.ts`). Prints
 * latency percentiles; asserts nothing (times are machine-dependent).
 *
 *  1. baseline: raw crypto.createHmac + timingSafeEqual over the same ~8 KiB body;
 *  2. handler in process: 2,000 signed GitHub pushes (distinct revisions) through
 *     createHandler with an InProcessWorkflowStarter (verify + classify + start);
 *  3. handler + SfnWorkflowStarter: the AWS SDK StartExecution against a fake
 *     Step Functions endpoint on loopback (the "start execution against a local endpoint" target);
 *  4. `twinstack serve` over loopback HTTP: a bounded number of requests through the node server.
 *
 * Loopback only; every loop bounded in count.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnWorkflowStarter } from '../../functions/adapters/aws/sfn.workflow-starter.ts';
import { InProcessWorkflowStarter } from '../../functions/adapters/local/in-process.workflow-starter.ts';
import type { FailoverGroup } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import type { WorkflowStarter } from '../../functions/core/ports.ts';
import { createHandler } from '../../functions/handlers/receive-webhook.handler.ts';
import type { WebhookLogger } from '../../functions/handlers/webhook/webhook-logger.ts';
import { startWebhookServer } from '../../infra/cli/commands/serve.command.ts';
import { parseConfig } from '../../infra/config/load-config.ts';
import { apiEvent } from '../unit/webhooks/webhook-fixtures.ts';
import { MemoryParameterStore } from '../unit/handlers/fakes/memory-parameter-store.ts';

const DELIVERIES = 2_000;
const HTTP_REQUESTS = 500;
const SECRET = 'bench-secret-0123456789abcdef0123456789';

const CONFIG = parseConfig(readFileSync('examples/twinstack.yaml', 'utf8'), 'examples/twinstack.yaml');
const GROUP = CONFIG.groups[0] as FailoverGroup;

function revisionOf(i: number): string {
  return createHash('sha1').update(String(i)).digest('hex');
}

/** A GitHub push of about 8 KiB (20 commits), like a real one. */
function pushBody(i: number): string {
  const revision = revisionOf(i);
  const commits = Array.from({ length: 20 }, (_, c) => ({
    id: revisionOf(i * 100 + c),
    message: `commit ${c} of push ${i}: ${'lorem ipsum '.repeat(15)}`,
    timestamp: '2025-01-02T03:04:05Z',
    author: { name: 'Dev', email: 'dev@example.com' },
    added: [],
    removed: [],
    modified: ['src/app.ts'],
  }));
  return JSON.stringify({ ref: 'refs/heads/main', before: revisionOf(i - 1), after: revision, deleted: false, repository: { full_name: 'acme/shop' }, head_commit: commits[19], commits });
}

const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

function headersOf(i: number, body: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `bench-${i}`, 'x-hub-signature-256': sign(body) };
}

function summarize(name: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  const f = (v: number) => (v < 1 ? `${(v * 1000).toFixed(0)} µs` : `${v.toFixed(2)} ms`);
  console.log(`${name.padEnd(50)} n=${String(sorted.length).padStart(5)}  p50 ${f(at(50)).padStart(9)}  p95 ${f(at(95)).padStart(9)}  p99 ${f(at(99)).padStart(9)}  max ${f(sorted.at(-1) ?? NaN).padStart(9)}  mean ${f(mean).padStart(9)}`);
}

/** The handler's parameters: the group's config and its one webhook secret. */
function benchParams(): MemoryParameterStore {
  const params = new MemoryParameterStore();
  params.values.set(parameterNames.config(GROUP.name), { value: JSON.stringify(GROUP), secret: false });
  params.values.set(parameterNames.webhookSecrets(GROUP.name), { value: JSON.stringify([SECRET]), secret: true });
  return params;
}

const quiet: WebhookLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function throughHandler(name: string, starter: WorkflowStarter, count: number): Promise<void> {
  const handle = createHandler({ params: benchParams(), starter, logger: quiet });
  const events = Array.from({ length: count }, (_, i) => {
    const body = pushBody(i);
    return apiEvent(GROUP.name, headersOf(i, body), body);
  });
  await handle(events[0]!); // warm-up (module, cache)
  const samples: number[] = [];
  for (let i = 1; i < events.length; i++) {
    const t0 = performance.now();
    const result = await handle(events[i]!);
    samples.push(performance.now() - t0);
    if (result.statusCode !== 202) throw new Error(`delivery ${i}: ${result.statusCode} ${result.body ?? ''}`);
  }
  summarize(name, samples);
}

function baseline(): void {
  const samples: number[] = [];
  for (let i = 0; i < DELIVERIES; i++) {
    const body = pushBody(i);
    const signature = Buffer.from(sign(body));
    const raw = Buffer.from(body);
    const t0 = performance.now();
    const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
    const ok = expected.length === signature.length && timingSafeEqual(expected, signature);
    samples.push(performance.now() - t0);
    if (!ok) throw new Error('baseline mismatch');
  }
  summarize('baseline: createHmac + timingSafeEqual', samples);
}

/** A loopback stand-in for Step Functions' StartExecution (awsJson1_0). */
async function fakeSfn(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const { name, stateMachineArn } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; stateMachineArn: string };
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, startDate: Date.now() / 1000 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function overHttp(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'twinstack-bench-'));
  const server = await startWebhookServer({ config: CONFIG, listen: { address: '127.0.0.1', port: 0 }, stateDir, logger: quiet, runWorkflow: () => Promise.resolve({}) });
  try {
    await server.params.put(parameterNames.webhookSecrets(GROUP.name), JSON.stringify([SECRET]), { secret: true });
    const samples: number[] = [];
    for (let i = 0; i <= HTTP_REQUESTS; i++) {
      const body = pushBody(DELIVERIES + i);
      const t0 = performance.now();
      const response = await fetch(`${server.url}/hooks/${GROUP.name}`, { method: 'POST', headers: headersOf(i, body), body, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      if (i > 0) samples.push(performance.now() - t0); // request 0 warms up
      if (response.status !== 202) throw new Error(`HTTP delivery ${i}: ${response.status}`);
    }
    summarize(`twinstack serve over loopback HTTP`, samples);
    await server.starter.idle();
  } finally {
    await server.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

console.log(`webhook intake benchmark: ~${(pushBody(1).length / 1024).toFixed(1)} KiB GitHub pushes, node ${process.version}`);
baseline();
const inProcess = new InProcessWorkflowStarter(() => Promise.resolve({}));
await throughHandler('handler + InProcessWorkflowStarter', inProcess, DELIVERIES);
await inProcess.idle();
const sfnEndpoint = await fakeSfn();
try {
  const client = new SFNClient({ endpoint: sfnEndpoint.endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const arn = 'arn:aws:states:eu-central-1:000000000000:stateMachine:twinstack-deploy';
  await throughHandler('handler + SfnWorkflowStarter (loopback endpoint)', new SfnWorkflowStarter(client, () => arn), DELIVERIES);
  client.destroy();
} finally {
  await sfnEndpoint.close();
}
await overHttp();
