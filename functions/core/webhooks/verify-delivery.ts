import type { GitProvider } from '../model.ts';
import { verifyBitbucket } from './bitbucket.verifier.ts';
import { verifyGithub } from './github.verifier.ts';
import { verifyGitlab } from './gitlab.verifier.ts';
import { deliveryIdFrom, rejected, type VerificationResult, type WebhookRequest, type WebhookVerifier } from './webhook-verification.ts';

export const VERIFIERS: Readonly<Record<GitProvider, WebhookVerifier>> = {
  github: verifyGithub,
  gitlab: verifyGitlab,
  bitbucket: verifyBitbucket,
};

/** Every header a provider puts its delivery id in. */
export const DELIVERY_ID_HEADERS = ['x-github-delivery', 'idempotency-key', 'x-gitlab-webhook-uuid', 'x-gitlab-event-uuid', 'x-request-uuid'];

/**
 * Verify a delivery with the CONFIGURED provider's verifier (never guessed from the
 * headers). Invariant: never throws; any exception inside verification is a 401
 * (fail closed), and no secrets at all is a 401 too.
 */
export async function verifyDelivery(provider: GitProvider, request: WebhookRequest, verifiers = VERIFIERS): Promise<VerificationResult> {
  try {
    if (request.secrets.length === 0) return rejected(401, 'no webhook secret configured', deliveryIdFrom(request.headers, DELIVERY_ID_HEADERS));
    return await verifiers[provider](request);
  } catch {
    return rejected(401, 'verification failed', safeDeliveryId(request));
  }
}

function safeDeliveryId(request: WebhookRequest): string | undefined {
  try {
    return deliveryIdFrom(request.headers, DELIVERY_ID_HEADERS);
  } catch {
    return undefined;
  }
}
