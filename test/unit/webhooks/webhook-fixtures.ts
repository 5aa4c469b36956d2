/** Signed deliveries and payloads for the webhook tests. */
import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DeploySource, FailoverGroup } from '../../../functions/core/model.ts';

export const SECRET = 'webhook-secret-0123456789abcdef';
export const OLD_SECRET = 'webhook-secret-old-fedcba987654';
export const REVISION = '0123456789abcdef0123456789abcdef01234567';
export const ZERO = '0'.repeat(40);

export const SOURCES: Readonly<Record<DeploySource['provider'], DeploySource>> = {
  github: { provider: 'github', repository: 'acme/shop', branch: 'main', gitUrl: 'git@github.com:acme/shop.git', hostConcurrency: 1 },
  gitlab: { provider: 'gitlab', repository: 'acme/web/shop', branch: 'main', gitUrl: 'https://gitlab.com/acme/web/shop.git', hostConcurrency: 1 },
  bitbucket: { provider: 'bitbucket', repository: 'acme/shop', branch: 'main', gitUrl: 'git@bitbucket.org:acme/shop.git', hostConcurrency: 1 },
};

export function hmac(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function githubPush(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before: 'f'.repeat(40),
    after: REVISION,
    deleted: false,
    repository: { full_name: 'acme/shop' },
    head_commit: { id: REVISION, timestamp: '2025-01-02T03:04:05Z' },
    ...overrides,
  };
}

export function gitlabPush(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    object_kind: 'push',
    ref: 'refs/heads/main',
    after: REVISION,
    project: { path_with_namespace: 'acme/web/shop' },
    commits: [{ id: REVISION, timestamp: '2025-01-02T03:04:05+00:00' }],
    ...overrides,
  };
}

export function bitbucketPush(change: Record<string, unknown> | undefined = undefined, repository = 'acme/shop'): Record<string, unknown> {
  return {
    repository: { full_name: repository },
    push: { changes: [change ?? { new: { type: 'branch', name: 'main', target: { hash: REVISION, date: '2025-01-02T03:04:05+00:00' } }, old: null }] },
  };
}

/** A group with `source` (or none). */
export function groupWith(source: DeploySource | undefined, name = 'shop'): FailoverGroup {
  const stack = (n: string) => ({
    name: n,
    region: 'local',
    endpoint: '127.0.0.1',
    healthUrl: 'http://127.0.0.1/healthz',
    hosts: [],
    deploy: { directory: '/srv/shop', command: 'true' },
  });
  return {
    name,
    dns: { zone: 'example.com', name: 'shop.example.com', ttl: 60 },
    ...(source ? { source } : {}),
    primary: stack(`${name}-a`),
    twin: stack(`${name}-b`),
    databases: [],
    failover: { cooldownSeconds: 900, maxObservationAgeSeconds: 180 },
  };
}

/** A GitHub delivery as API Gateway v2 hands it to the function. */
export function githubEvent(
  body: string,
  options: { group?: string; secret?: string; deliveryId?: string; event?: string; signature?: string | null; base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': options.event ?? 'push',
    'x-github-delivery': options.deliveryId ?? '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  };
  const signature = options.signature === undefined ? hmac(options.secret ?? SECRET, body) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  return apiEvent(options.group ?? 'shop', headers, body, options.base64 ?? false);
}

export function apiEvent(group: string, headers: Record<string, string>, body: string, base64 = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /hooks/{group}',
    rawPath: `/hooks/${group}`,
    rawQueryString: '',
    headers,
    pathParameters: { group },
    isBase64Encoded: base64,
    body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: `/hooks/${group}`, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: 'POST /hooks/{group}',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}
