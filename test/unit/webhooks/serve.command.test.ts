import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { WebhookLogger } from '../../../functions/handlers/webhook/webhook-logger.ts';
import { parseLoopbackAddress, runServe, startWebhookServer, type WebhookServer } from '../../../infra/cli/commands/serve.command.ts';
import { parseConfig } from '../../../infra/config/load-config.ts';
import { githubPush, hmac, REVISION } from './webhook-fixtures.ts';

const CONFIG = parseConfig(readFileSync('examples/twinstack.yaml', 'utf8'), 'examples/twinstack.yaml');

describe('parseLoopbackAddress', () => {
  it.each([
    ['127.0.0.1:8787', { address: '127.0.0.1', port: 8787 }],
    ['127.0.9.1:0', { address: '127.0.9.1', port: 0 }],
  ])('accepts %j', (value, expected) => {
    expect(parseLoopbackAddress(value)).toEqual(expected);
  });

  it.each([
    ['0.0.0.0:8787', /not a loopback/],
    ['10.0.0.1:8787', /not a loopback/],
    ['203.0.113.10:80', /not a loopback/],
    ['localhost:8787', /not host:port/],
    ['[::]:8787', /not host:port/],
    ['127.0.0.1', /not host:port/],
    ['127.0.0.1:99999', /out of range/],
    ['127.0.0.300:80', /not an IPv4/],
  ])('refuses %j', (value, problem) => {
    expect(() => parseLoopbackAddress(value)).toThrow(problem);
  });
});

describe('twinstack serve', () => {
  let stateDir: string;
  let server: WebhookServer;
  const runs: { workflow: string; input: unknown; name: string }[] = [];
  const lines: string[] = [];
  const logger: WebhookLogger = {
    info: (m, a) => lines.push(`${m} ${JSON.stringify(a)}`),
    warn: (m, a) => lines.push(`${m} ${JSON.stringify(a)}`),
    error: (m, a) => lines.push(`${m} ${JSON.stringify(a)}`),
  };
  let secret = '';

  beforeAll(async () => {
    // Prepare: a server on an ephemeral loopback port; workflows recorded, not run
    stateDir = mkdtempSync(join(tmpdir(), 'twinstack-serve-'));
    server = await startWebhookServer({
      config: CONFIG,
      listen: { address: '127.0.0.1', port: 0 },
      stateDir,
      logger,
      maxBodyBytes: 64 * 1024,
      runWorkflow: (workflow, input, name) => {
        runs.push({ workflow, input, name });
        return Promise.resolve({});
      },
    });
    secret = (JSON.parse((await server.params.get(parameterNames.webhookSecrets('shop'))) ?? '[]') as string[])[0] ?? '';
  });

  afterAll(async () => {
    await server.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const post = (body: string, headers: Record<string, string>, path = '/hooks/shop') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(10_000) });

  it('generates a webhook secret in the mode-0600 parameter file, and prints it nowhere', () => {
    // Assess
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(statSync(join(stateDir, 'parameters.json')).mode & 0o777).toBe(0o600);
    expect(lines.join('\n')).not.toContain(secret);
  });

  it('serves the handler over loopback HTTP: a signed push starts one deploy, a second one is a duplicate', async () => {
    // Prepare
    const body = JSON.stringify(githubPush());
    const headers = { 'x-github-event': 'push', 'x-github-delivery': 'd-http-1', 'x-hub-signature-256': hmac(secret, body) };

    // Act
    const first = await post(body, headers);
    const second = await post(body, { ...headers, 'x-github-delivery': 'd-http-2' });
    await server.starter.idle();

    // Assess
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(((await second.json()) as { message: string }).message).toMatch(/duplicate delivery/);
    expect(runs).toEqual([{ workflow: 'deploy', name: `shop-${REVISION}-ffffffff`, input: expect.objectContaining({ group: 'shop', revision: REVISION, deliveryId: 'd-http-1' }) as unknown }]);
  });

  it.each([
    ['a wrong signature', () => post('{}', { 'x-github-event': 'ping', 'x-hub-signature-256': hmac('wrong', '{}') }), 401],
    ['an unknown group', () => post('{}', { 'x-github-event': 'ping' }, '/hooks/nope'), 404],
    ['another path', () => post('{}', {}, '/other'), 404],
    ['an oversized body', () => post('x'.repeat(100 * 1024), { 'x-github-event': 'push' }), 413],
  ])('answers %s over HTTP', async (_, send, status) => {
    // Act
    const response = await send();

    // Assess
    expect(response.status).toBe(status);
    expect(await response.text()).not.toContain(secret);
  });

  it('logs an oversized delivery with its delivery id', async () => {
    // Act
    const response = await post('x'.repeat(100 * 1024), { 'x-github-event': 'push', 'x-github-delivery': 'big-one-1' });

    // Assess
    expect(response.status).toBe(413);
    expect(lines.some((l) => l.startsWith('webhook rejected') && l.includes('"status":413') && l.includes('"deliveryId":"big-one-1"'))).toBe(true);
  });

  it('refuses to serve a non-loopback address, exit 2', async () => {
    // Prepare
    const io = { lines: [] as string[], out(l: string) { this.lines.push(l); }, err(l: string) { this.lines.push(l); } };

    // Act
    const exposed = await runServe({ config: 'examples/twinstack.yaml', listen: '0.0.0.0:8787', stateDir, dns: '127.0.3.1:10053' }, io, Promise.resolve());

    // Assess
    expect(exposed).toBe(2);
    expect(io.lines.join('\n')).toMatch(/not a loopback/);
  });
});
