import type { DeliveryClassification } from './classify-delivery.ts';
import type { VerificationResult } from './webhook-verification.ts';

/** The HTTP answer to a webhook: a status and a small JSON body (never a secret or signature). */
export interface WebhookResponse {
  readonly status: number;
  readonly body: { readonly message: string; readonly deliveryId?: string; readonly executionId?: string };
}

/** What the handler must do for a delivery: answer now, or start a deploy and answer with its outcome. */
export type DeliveryDecision =
  | { readonly action: 'respond'; readonly response: WebhookResponse; readonly rejected: boolean }
  | { readonly action: 'start-deploy'; readonly revision: string; readonly previous?: string; readonly branch: string; readonly deliveryId: string | undefined };

function withDelivery(message: string, deliveryId: string | undefined): WebhookResponse['body'] {
  return deliveryId === undefined ? { message } : { message, deliveryId };
}

/**
 * Decide what a verified-or-not delivery gets.
 * Invariants: a failed verification is answered with its 401/400 and never starts
 * anything; `invalid` is a 400; ping 200; ignored 202 with the reason (providers
 * disable hooks that keep failing, and an ignored event is not a fault);
 * only a classified push starts a deploy.
 */
export function decideDelivery(verification: VerificationResult, classification: DeliveryClassification | undefined): DeliveryDecision {
  if (!verification.ok) {
    return { action: 'respond', rejected: true, response: { status: verification.status, body: withDelivery(verification.reason, verification.deliveryId) } };
  }
  const { deliveryId } = verification;
  if (classification === undefined) return { action: 'respond', rejected: true, response: { status: 400, body: withDelivery('not classified', deliveryId) } };
  switch (classification.kind) {
    case 'invalid':
      return { action: 'respond', rejected: true, response: { status: 400, body: withDelivery(classification.reason, deliveryId) } };
    case 'ping':
      return { action: 'respond', rejected: false, response: { status: 200, body: withDelivery('pong', deliveryId) } };
    case 'ignored':
      return { action: 'respond', rejected: false, response: { status: 202, body: withDelivery(`ignored: ${classification.reason}`, deliveryId) } };
    case 'push':
      return { action: 'start-deploy', revision: classification.revision, ...(classification.previous !== undefined ? { previous: classification.previous } : {}), branch: classification.branch, deliveryId };
  }
}

/** The answer once the deploy was started, or found already started (a duplicate delivery). */
export function respondToStart(outcome: { readonly started: boolean; readonly executionId: string }, deliveryId: string | undefined): WebhookResponse {
  const body = withDelivery(outcome.started ? 'deploy started' : 'duplicate delivery: deploy already started', deliveryId);
  return { status: 202, body: { ...body, executionId: outcome.executionId } };
}
