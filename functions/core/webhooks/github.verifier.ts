import { verify } from '@octokit/webhooks-methods';
import { SHA256_SIGNATURE } from './constant-time.ts';
import { deliveryIdFrom, rejected, usableSecrets, type VerificationResult, type WebhookRequest } from './webhook-verification.ts';

/** Strict UTF-8 (no replacement characters, BOM kept): the text is exactly the bytes GitHub signed. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(secret, raw body), checked
 * with `@octokit/webhooks-methods` `verify` (constant time) against each active secret.
 * The legacy SHA-1 `X-Hub-Signature` is never accepted. Delivery id: `X-GitHub-Delivery`.
 *
 * Invariant: accepts only when some active secret's HMAC of these exact bytes equals
 * the signature; a body that is not strict UTF-8 is refused (octokit signs text).
 */
export async function verifyGithub(request: WebhookRequest): Promise<VerificationResult> {
  const deliveryId = deliveryIdFrom(request.headers, ['x-github-delivery']);
  const signature = request.headers['x-hub-signature-256']?.trim();
  if (signature === undefined || signature === '') {
    return rejected(401, request.headers['x-hub-signature'] ? 'sha1 signatures are not accepted: sign with sha256' : 'missing signature', deliveryId);
  }
  if (!SHA256_SIGNATURE.test(signature)) return rejected(401, 'malformed signature', deliveryId);
  if (request.rawBody.length === 0) return rejected(401, 'empty body', deliveryId);
  let text: string;
  try {
    text = UTF8.decode(request.rawBody);
  } catch {
    return rejected(401, 'body is not UTF-8', deliveryId);
  }
  for (const secret of usableSecrets(request.secrets)) {
    if (await verify(secret, text, signature)) return { ok: true, deliveryId };
  }
  return rejected(401, 'signature does not match', deliveryId);
}
