/**
 * The logging the webhook handler needs (Powertools' Logger satisfies it).
 * Invariant of every call site: attributes hold ids, statuses and short reasons,
 * never a secret, a signature header or the body.
 */
export interface WebhookLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}
