import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { InProcessWorkflowStarter } from '../../../functions/adapters/local/in-process.workflow-starter.ts';
import type { FailoverGroup } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { Clock, ParameterStore, WorkflowStarter } from '../../../functions/core/ports.ts';
import { createHandler, type ReceiveWebhookDeps } from '../../../functions/handlers/receive-webhook.handler.ts';
import { parseWebhookGroups } from '../../../functions/handlers/webhook/webhook-env.ts';
import type { WebhookLogger } from '../../../functions/handlers/webhook/webhook-logger.ts';
import { MemoryParameterStore } from '../handlers/fakes/memory-parameter-store.ts';
import { apiEvent, githubEvent, githubPush, groupWith, hmac, OLD_SECRET, REVISION, SECRET, SOURCES } from './webhook-fixtures.ts';

class RecordingLogger implements WebhookLogger {
  readonly lines: { level: string; message: string; attributes: Record<string, unknown> }[] = [];
  info(message: string, attributes: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, attributes });
  }
  error(message: string, attributes: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, attributes });
  }
}

/** Records starts; a name started before answers started:false, like Step Functions. */
class RecordingStarter implements WorkflowStarter {
  readonly starts: { workflow: string; name: string; input: unknown }[] = [];
  private readonly names = new Set<string>();
  start(workflow: string, name: string, input: unknown) {
    const started = !this.names.has(name);
    this.names.add(name);
    if (started) this.starts.push({ workflow, name, input });
    return Promise.resolve({ started, executionId: `exec:${name}` });
  }
}

const fixedClock = (iso: string): Clock & { set(iso: string): void } => {
  let now = new Date(iso);
  return { now: () => now, set: (next: string) => (now = new Date(next)) };
};

function world(group: FailoverGroup = groupWith(SOURCES.github), secrets: string[] = [SECRET]) {
  const params = new MemoryParameterStore();
  params.values.set(parameterNames.config(group.name), { value: JSON.stringify(group), secret: false });
  params.values.set(parameterNames.webhookSecrets(group.name), { value: JSON.stringify(secrets), secret: true });
  const logger = new RecordingLogger();
  const starter = new RecordingStarter();
  const clock = fixedClock('2025-01-02T03:04:05.000Z');
  const make = (overrides: Partial<ReceiveWebhookDeps> = {}) => createHandler({ params, starter, logger, clock, ...overrides });
  return { params, logger, starter, clock, handle: make(), make };
}

function bodyOf(result: APIGatewayProxyStructuredResultV2): Record<string, unknown> {
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}

const PUSH = JSON.stringify(githubPush());

describe('receiveWebhook handler', () => {
  let w: ReturnType<typeof world>;
  beforeEach(() => {
    w = world();
  });

  it('starts the deploy workflow for a signed push, named after group and revision, with no secret in its input', async () => {
    // Act
    const result = await w.handle(githubEvent(PUSH, { deliveryId: 'd-1' }));

    // Assess
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toEqual({ message: 'deploy started', deliveryId: 'd-1', executionId: `exec:shop-${REVISION}-ffffffff` });
    expect(w.starter.starts).toEqual([
      { workflow: 'deploy', name: `shop-${REVISION}-ffffffff`, input: { group: 'shop', revision: REVISION, branch: 'main', deliveryId: 'd-1', receivedAt: '2025-01-02T03:04:05.000Z' } },
    ]);
    expect(JSON.stringify(w.starter.starts)).not.toContain(SECRET);
  });

  it('accepts a base64-encoded body (API Gateway binary handling)', async () => {
    // Act
    const result = await w.handle(githubEvent(PUSH, { base64: true }));

    // Assess
    expect(result.statusCode).toBe(202);
    expect(w.starter.starts).toHaveLength(1);
  });

  it('answers the same delivery twice with one start: the second is a 202 duplicate', async () => {
    // Act
    const first = await w.handle(githubEvent(PUSH, { deliveryId: 'd-1' }));
    const second = await w.handle(githubEvent(PUSH, { deliveryId: 'd-1' }));

    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(bodyOf(second)['message']).toMatch(/duplicate delivery/);
    expect(w.starter.starts).toHaveLength(1);
  });

  it('starts exactly one execution for 20 concurrent deliveries of one push (in-process starter)', async () => {
    // Prepare
    const runs: unknown[] = [];
    const starter = new InProcessWorkflowStarter((_, input) => {
      runs.push(input);
      return Promise.resolve({ ok: true });
    });
    const handle = w.make({ starter });

    // Act
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => handle(githubEvent(PUSH, { deliveryId: `d-${i}` }))));
    await starter.idle();

    // Assess
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(202));
    expect(results.filter((r) => bodyOf(r)['message'] === 'deploy started')).toHaveLength(1);
    expect(runs).toHaveLength(1);
    expect(starter.list()).toEqual([expect.objectContaining({ status: 'SUCCEEDED', name: `shop-${REVISION}-ffffffff` })]);
  });

  it('answers a ping with 200 and starts nothing', async () => {
    // Act
    const result = await w.handle(githubEvent('{"zen":"Speak like a human."}', { event: 'ping' }));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(w.starter.starts).toHaveLength(0);
  });

  it.each([
    ['a non-deploy branch', githubPush({ ref: 'refs/heads/dev' }), /branch dev is not main/],
    ['an unknown repository', githubPush({ repository: { full_name: 'evil/shop' } }), /repository evil\/shop/],
    ['a branch deletion', githubPush({ deleted: true, after: '0'.repeat(40) }), /branch deletion/],
  ])('answers %s with 202 and its reason, and starts nothing', async (_, payload, reason) => {
    // Act
    const result = await w.handle(githubEvent(JSON.stringify(payload)));

    // Assess
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)['message']).toMatch(reason);
    expect(w.starter.starts).toHaveLength(0);
  });

  it('refuses an oversized body with 413 before verifying (even when signed)', async () => {
    // Prepare
    const handle = w.make({ maxBodyBytes: 1024 });
    const big = JSON.stringify(githubPush({ padding: 'x'.repeat(2048) }));

    // Act
    const plain = await handle(githubEvent(big, { deliveryId: 'd-big' }));
    const encoded = await handle(githubEvent(big, { base64: true }));

    // Assess
    expect([plain.statusCode, encoded.statusCode]).toEqual([413, 413]);
    expect(w.logger.lines[0]?.attributes).toMatchObject({ status: 413, deliveryId: 'd-big' });
    expect(w.params.gets).toBe(0);
    expect(w.starter.starts).toHaveLength(0);
  });

  it.each([
    ['a body changed by one byte', githubEvent(PUSH.replace('acme', 'acmf'), { signature: hmac(SECRET, PUSH), deliveryId: 'd-7' })],
    ['a wrong secret', githubEvent(PUSH, { secret: 'not-the-secret', deliveryId: 'd-7' })],
    ['no signature', githubEvent(PUSH, { signature: null, deliveryId: 'd-7' })],
    ['a sha1 signature only', { ...githubEvent(PUSH, { signature: null, deliveryId: 'd-7' }), headers: { 'x-github-event': 'push', 'x-github-delivery': 'd-7', 'x-hub-signature': `sha1=${'a'.repeat(40)}` } }],
  ])('refuses %s with 401, logs the delivery id and no secret or signature', async (_, event) => {
    // Act
    const result = await w.handle(event);

    // Assess
    expect(result.statusCode).toBe(401);
    expect(w.starter.starts).toHaveLength(0);
    const rejection = w.logger.lines.find((l) => l.message === 'webhook rejected');
    expect(rejection?.attributes).toMatchObject({ deliveryId: 'd-7', status: 401, group: 'shop' });
    const everything = JSON.stringify([result, w.logger.lines]);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(hmac(SECRET, PUSH).slice(7));
  });

  it('accepts deliveries signed with either secret during a rotation', async () => {
    // Prepare
    const rotating = world(groupWith(SOURCES.github), [SECRET, OLD_SECRET]);

    // Act
    const old = await rotating.handle(githubEvent(PUSH, { secret: OLD_SECRET }));

    // Assess
    expect(old.statusCode).toBe(202);
  });

  it('picks up a rotated secret once the cache expires', async () => {
    // Prepare
    const handle = w.make({ cacheTtlMs: 30_000 });
    await handle(githubEvent('{}', { event: 'ping' }));
    await w.params.put(parameterNames.webhookSecrets('shop'), JSON.stringify([OLD_SECRET]));

    // Act
    const cached = await handle(githubEvent('{}', { event: 'ping', secret: OLD_SECRET }));
    w.clock.set('2025-01-02T03:04:36.000Z');
    const refreshed = await handle(githubEvent('{}', { event: 'ping', secret: OLD_SECRET }));

    // Assess
    expect([cached.statusCode, refreshed.statusCode]).toEqual([401, 200]);
  });

  it.each([
    ['an unknown group', 'nope', /unknown group/],
    ['an invalid group name', 'UP;rm', /unknown group/],
  ])('answers %s with 404', async (_, group, message) => {
    // Act
    const result = await w.handle(githubEvent(PUSH, { group }));

    // Assess
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)['message']).toMatch(message);
  });

  it('answers 404 for a group without a source block', async () => {
    // Prepare
    const noSource = world(groupWith(undefined));

    // Act
    const result = await noSource.handle(githubEvent(PUSH));

    // Assess
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)['message']).toMatch(/no deploy webhooks/);
  });

  it('refuses every delivery with 401 when the group has no secret parameter', async () => {
    // Prepare
    w.params.values.delete(parameterNames.webhookSecrets('shop'));

    // Act
    const result = await w.handle(githubEvent(PUSH));

    // Assess
    expect(result.statusCode).toBe(401);
    expect(w.logger.lines.some((l) => l.level === 'error' && /no active secret/.test(l.message))).toBe(true);
  });

  it('answers 400 for a signed body that is not JSON', async () => {
    // Act
    const result = await w.handle(githubEvent('payload=%7B%7D'));

    // Assess
    expect(result.statusCode).toBe(400);
  });

  it('verifies with the configured provider: a GitLab token to a GitLab group deploys, a wrong one is 401', async () => {
    // Prepare
    const gitlab = world(groupWith(SOURCES.gitlab));
    const body = JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', after: REVISION, project: { path_with_namespace: 'acme/web/shop' } });
    const headers = (token: string) => ({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': token, 'idempotency-key': 'k-1' });

    // Act
    const wrong = await gitlab.handle(apiEvent('shop', headers('wrong-token'), body));
    const right = await gitlab.handle(apiEvent('shop', headers(SECRET), body));

    // Assess
    expect([wrong.statusCode, right.statusCode]).toEqual([401, 202]);
    expect(JSON.stringify(gitlab.logger.lines)).not.toContain(SECRET);
  });

  it('verifies Bitbucket deliveries: a tampered body is 401', async () => {
    // Prepare
    const bitbucket = world(groupWith(SOURCES.bitbucket));
    const body = JSON.stringify({ repository: { full_name: 'acme/shop' }, push: { changes: [{ new: { type: 'branch', name: 'main', target: { hash: REVISION } } }] } });
    const headers = { 'x-event-key': 'repo:push', 'x-request-uuid': 'u-1', 'x-hub-signature': hmac(SECRET, body) };

    // Act
    const tampered = await bitbucket.handle(apiEvent('shop', headers, body.replace('main', 'mai2')));
    const intact = await bitbucket.handle(apiEvent('shop', headers, body));

    // Assess
    expect([tampered.statusCode, intact.statusCode]).toEqual([401, 202]);
  });

  it('answers 503 (not 500) when the deploy cannot be started, and says so in the log', async () => {
    // Prepare
    const handle = w.make({ starter: { start: () => Promise.reject(new Error('ThrottlingException')) } });

    // Act
    const result = await handle(githubEvent(PUSH, { deliveryId: 'd-3' }));

    // Assess
    expect(result.statusCode).toBe(503);
    expect(w.logger.lines.find((l) => l.level === 'error')?.attributes).toMatchObject({ deliveryId: 'd-3' });
  });

  it('answers 503 when the parameter store fails, and retries the load on the next delivery', async () => {
    // Prepare
    let failures = 1;
    const flaky: ParameterStore = {
      get: (name) => (failures-- > 0 ? Promise.reject(new Error('ThrottlingException')) : w.params.get(name)),
      put: (n, v) => w.params.put(n, v),
      getByPath: () => Promise.resolve({}),
    };
    const handle = w.make({ params: flaky });

    // Act
    const first = await handle(githubEvent(PUSH));
    const second = await handle(githubEvent(PUSH));

    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([503, 202]);
  });

  it.each([
    { name: 'a group not in knownGroups', knownGroups: ['other'], group: 'shop', status: 404, gets: 0 },
    { name: 'an unknown group when knownGroups is empty', knownGroups: [], group: 'nope', status: 404, gets: 0 },
    { name: 'a group in knownGroups', knownGroups: ['shop'], group: 'shop', status: 202, gets: 2 },
    { name: 'any group without knownGroups (looked up)', knownGroups: undefined, group: 'nope', status: 404, gets: 1 },
  ])('answers $name with $status after $gets Parameter Store reads', async ({ knownGroups, group, status, gets }) => {
    // Prepare
    const handle = w.make(knownGroups === undefined ? {} : { knownGroups });

    // Act
    const result = await handle(githubEvent(PUSH, { group }));

    // Assess
    expect(result.statusCode).toBe(status);
    expect(w.params.gets).toBe(gets);
  });

  it.each([
    { name: 'the config', denied: (name: string) => name === parameterNames.config('shop') },
    { name: 'the webhook secrets', denied: (name: string) => name === parameterNames.webhookSecrets('shop') },
  ])('answers 404 when SSM denies reading $name, remembers it briefly, and logs no error', async ({ denied }) => {
    // Prepare
    let reads = 0;
    const accessDenied = Object.assign(new Error('cannot read parameter: AccessDeniedException'), {
      name: 'ParameterStoreError',
      cause: Object.assign(new Error('User is not authorized to perform ssm:GetParameter'), { name: 'AccessDeniedException' }),
    });
    const refusing: ParameterStore = {
      get: (name) => {
        reads++;
        return denied(name) ? Promise.reject(accessDenied) : w.params.get(name);
      },
      put: (n, v) => w.params.put(n, v),
      getByPath: () => Promise.resolve({}),
    };
    const handle = w.make({ params: refusing, failureTtlMs: 10_000 });

    // Act
    const burst = await Promise.all(Array.from({ length: 5 }, () => handle(githubEvent(PUSH))));
    const readsDuringBurst = reads;
    w.clock.set('2025-01-02T03:04:16.000Z');
    const later = await handle(githubEvent(PUSH));

    // Assess
    expect([...burst, later].map((r) => r.statusCode)).toEqual(Array(6).fill(404));
    expect(readsDuringBurst).toBeLessThanOrEqual(2);
    expect(reads).toBeGreaterThan(readsDuringBurst);
    expect(w.logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(w.starter.starts).toHaveLength(0);
  });

  it('logs a failing parameter store once per interval, counting the suppressed failures', async () => {
    // Prepare
    const failing: ParameterStore = {
      get: () => Promise.reject(new Error('ThrottlingException')),
      put: (n, v) => w.params.put(n, v),
      getByPath: () => Promise.resolve({}),
    };
    const handle = w.make({ params: failing, failureTtlMs: 10_000 });

    // Act
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await handle(githubEvent(PUSH)));
    w.clock.set('2025-01-02T03:04:16.000Z');
    results.push(await handle(githubEvent(PUSH)));

    // Assess
    expect(results.map((r) => r.statusCode)).toEqual(Array(21).fill(503));
    const errors = w.logger.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.attributes['suppressed'])).toEqual([0, 19]);
  });
});

describe('parseWebhookGroups', () => {
  it.each<[string | undefined, string[] | undefined]>([
    [undefined, undefined],
    ['', []],
    ['shop', ['shop']],
    ['shop, blog,,', ['shop', 'blog']],
  ])('reads %j as %j', (value, expected) => {
    // Act + Assess
    expect(parseWebhookGroups(value)).toEqual(expected);
  });
});
