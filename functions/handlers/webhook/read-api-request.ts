import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export type RawBody = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly size: number };

/**
 * The body exactly as the provider sent it (base64-decoded when API Gateway encoded it),
 * or its (estimated) size when it exceeds `maxBytes`. The size of a base64 body is
 * checked from its length BEFORE decoding, so an oversized body is never materialised twice.
 */
export function readRawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>, maxBytes: number): RawBody {
  const body = event.body ?? '';
  if (event.isBase64Encoded) {
    const estimate = Math.floor((body.length * 3) / 4);
    if (estimate - 2 > maxBytes) return { ok: false, size: estimate };
    const bytes = Buffer.from(body, 'base64');
    return bytes.length > maxBytes ? { ok: false, size: bytes.length } : { ok: true, bytes };
  }
  // UTF-8 length is at least the string length: skip encoding a string already too long.
  if (body.length > maxBytes) return { ok: false, size: Buffer.byteLength(body, 'utf8') };
  const bytes = Buffer.from(body, 'utf8');
  return bytes.length > maxBytes ? { ok: false, size: bytes.length } : { ok: true, bytes };
}

/** Header names lower-cased (API Gateway v2 already does; local callers may not). Joined duplicates stay as given. */
export function lowerCaseHeaders(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

/** The `{group}` path parameter of `POST /hooks/{group}` (from rawPath when the parameter is absent). */
export function groupOf(event: Pick<APIGatewayProxyEventV2, 'pathParameters' | 'rawPath'>): string | undefined {
  const fromParameter = event.pathParameters?.['group'];
  if (fromParameter !== undefined) return fromParameter;
  const match = /^\/hooks\/([^/]+)\/?$/.exec(event.rawPath ?? '');
  return match?.[1];
}
