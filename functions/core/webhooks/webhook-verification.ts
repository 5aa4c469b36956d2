/**
 * What every provider verifier takes and returns. Verification is pure computation
 * (node:crypto, no I/O, no clock) on the RAW body, before any parsing.
 *
 * Invariants of a result: `ok: false` carries a 401 (not authenticated) or 400
 * (authenticated but unusable) and a short fixed reason that never contains a
 * secret, a signature or any part of the body.
 */

/** One delivery as received: header names lower-cased, the body exactly as sent. */
export interface WebhookRequest {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Uint8Array;
  /** The group's active secrets (1–2: two during a rotation). */
  readonly secrets: readonly string[];
}

export type VerificationResult =
  | { readonly ok: true; readonly deliveryId: string | undefined }
  | { readonly ok: false; readonly status: 401 | 400; readonly reason: string; readonly deliveryId: string | undefined };

export type WebhookVerifier = (request: WebhookRequest) => Promise<VerificationResult>;

/** Delivery ids are echoed in logs: accept only short ids of safe characters. */
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** The first header among `names` that holds a well-formed delivery id, if any. */
export function deliveryIdFrom(headers: WebhookRequest['headers'], names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = headers[name]?.trim();
    if (value !== undefined && DELIVERY_ID.test(value)) return value;
  }
  return undefined;
}

export function rejected(status: 401 | 400, reason: string, deliveryId: string | undefined): VerificationResult {
  return { ok: false, status, reason, deliveryId };
}

/** The usable secrets: non-empty strings only (an empty HMAC key would accept forged deliveries). */
export function usableSecrets(secrets: readonly string[]): string[] {
  return secrets.filter((s) => typeof s === 'string' && s.length > 0);
}
