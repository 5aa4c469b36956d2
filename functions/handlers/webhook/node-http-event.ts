/**
 * Node http → the API Gateway HTTP API v2 event the webhook handler takes, so the
 * local server (`twinstack serve`) runs the very same handler as Lambda.
 * Invariant: the body reaches the handler byte for byte (base64-encoded, as API
 * Gateway does for binary bodies); reading stops as soon as it exceeds the limit.
 */
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export type CappedBody = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly size: number };

/** The request body, or `ok: false` once more than `maxBytes` arrived (the rest is not read). */
export function readBodyCapped(request: IncomingMessage, maxBytes: number): Promise<CappedBody> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      resolve({ ok: false, size: declared });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        resolve({ ok: false, size });
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (!done) resolve({ ok: true, bytes: Buffer.concat(chunks) });
    });
    request.on('error', reject);
  });
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The v2 event of `POST <path>` with `body`; header names lower-case, repeated headers joined with ",". */
export function toApiEvent(request: Pick<IncomingMessage, 'method' | 'url' | 'headers' | 'socket'>, body: Buffer, receivedAt: Date): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const group = /^\/hooks\/([^/]+)\/?$/.exec(url.pathname)?.[1];
  const method = request.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: 'POST /hooks/{group}',
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(group !== undefined ? { pathParameters: { group: safeDecode(group) } } : {}),
    isBase64Encoded: true,
    body: body.toString('base64'),
    requestContext: {
      accountId: 'local',
      apiId: 'twinstack-serve',
      domainName: headers['host'] ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: request.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
      requestId: `${receivedAt.getTime()}-${Math.random().toString(36).slice(2, 10)}`,
      routeKey: 'POST /hooks/{group}',
      stage: '$default',
      time: receivedAt.toISOString(),
      timeEpoch: receivedAt.getTime(),
    },
  };
}
