import { equalsConstantTime, hmacSha256Hex, SHA256_SIGNATURE } from './constant-time.ts';
import { deliveryIdFrom, rejected, usableSecrets, type VerificationResult, type WebhookRequest } from './webhook-verification.ts';

/**
 * Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>` = HMAC-SHA256(secret, raw body),
 * compared in constant time with each active secret. Delivery id: `X-Request-UUID`.
 *
 * Invariant: accepts only when some active secret's HMAC of these exact bytes equals the signature.
 */
export function verifyBitbucket(request: WebhookRequest): Promise<VerificationResult> {
  const deliveryId = deliveryIdFrom(request.headers, ['x-request-uuid']);
  const signature = request.headers['x-hub-signature']?.trim();
  if (signature === undefined || signature === '') return Promise.resolve(rejected(401, 'missing signature', deliveryId));
  if (!SHA256_SIGNATURE.test(signature)) return Promise.resolve(rejected(401, 'malformed signature', deliveryId));
  let matched = false;
  for (const secret of usableSecrets(request.secrets)) {
    matched = equalsConstantTime(signature, `sha256=${hmacSha256Hex(secret, request.rawBody)}`) || matched;
  }
  return Promise.resolve(matched ? { ok: true, deliveryId } : rejected(401, 'signature does not match', deliveryId));
}
