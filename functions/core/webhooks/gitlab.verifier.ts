import { equalsConstantTime } from './constant-time.ts';
import { deliveryIdFrom, rejected, usableSecrets, type VerificationResult, type WebhookRequest } from './webhook-verification.ts';

/**
 * GitLab: `X-Gitlab-Token` is the secret itself (GitLab does not sign the body),
 * compared in constant time (SHA-256 digests of equal length) with each active secret.
 * Delivery id: `Idempotency-Key`, else `X-Gitlab-Webhook-UUID`, else `X-Gitlab-Event-UUID`.
 *
 * Invariant: accepts only when the token equals some active secret; every secret is
 * compared (no early exit), so timing tells nothing about which one matched.
 */
export function verifyGitlab(request: WebhookRequest): Promise<VerificationResult> {
  const deliveryId = deliveryIdFrom(request.headers, ['idempotency-key', 'x-gitlab-webhook-uuid', 'x-gitlab-event-uuid']);
  const token = request.headers['x-gitlab-token'];
  if (token === undefined || token === '') return Promise.resolve(rejected(401, 'missing token', deliveryId));
  let matched = false;
  for (const secret of usableSecrets(request.secrets)) matched = equalsConstantTime(token, secret) || matched;
  return Promise.resolve(matched ? { ok: true, deliveryId } : rejected(401, 'token does not match', deliveryId));
}
