import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * True when `a` equals `b`, in time independent of where they differ and of their
 * lengths: both sides are hashed to equal-length SHA-256 digests first.
 */
export function equalsConstantTime(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** HMAC-SHA256 of `body` with `secret`, lower-case hex. */
export function hmacSha256Hex(secret: string, body: Uint8Array): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** `sha256=<64 lower-case hex>`: the only signature form the HMAC verifiers accept. */
export const SHA256_SIGNATURE = /^sha256=[0-9a-f]{64}$/;
