import type { DeploySource, FailoverGroup } from '../../core/model.ts';

/** What the handler needs of a group to answer a delivery. */
export type WebhookTarget =
  | { readonly kind: 'found'; readonly group: FailoverGroup; readonly source: DeploySource; readonly secrets: readonly string[] }
  | { readonly kind: 'unknown' }
  /** The Parameter Store refused the read (AccessDenied): not a group this endpoint serves. */
  | { readonly kind: 'denied' }
  | { readonly kind: 'no-source' };

/**
 * A small time-bounded cache of groups and their webhook secrets, so a burst of
 * deliveries costs one Parameter Store read and a rotated secret is picked up
 * within `ttlMs`. Bounded in size (oldest entry evicted); concurrent misses for
 * one group share one load; a failed load is not cached (the next delivery retries);
 * a `denied` answer is kept only `deniedTtlMs`, so a flood of deliveries to such a
 * group costs one Parameter Store read per interval.
 */
export class WebhookGroupCache {
  private readonly entries = new Map<string, { readonly expiresAt: number; readonly value: Promise<WebhookTarget> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 256,
    private readonly deniedTtlMs = ttlMs,
  ) {}

  get(group: string, nowMs: number, load: () => Promise<WebhookTarget>): Promise<WebhookTarget> {
    const hit = this.entries.get(group);
    if (hit && hit.expiresAt > nowMs) return hit.value;
    this.entries.delete(group);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const value = load();
    const entry = { expiresAt: nowMs + this.ttlMs, value };
    this.entries.set(group, entry);
    value.then(
      (target) => {
        if (target.kind === 'denied' && this.entries.get(group) === entry) {
          this.entries.set(group, { expiresAt: nowMs + Math.min(this.ttlMs, this.deniedTtlMs), value });
        }
      },
      () => {
        if (this.entries.get(group) === entry) this.entries.delete(group);
      },
    );
    return value;
  }
}

/** The active secrets in a parameter value: a JSON array of non-empty strings; anything else gives none. */
export function parseWebhookSecrets(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string' && s.length > 0) : [];
  } catch {
    return [];
  }
}
