/**
 * The drill's client: sends numbered writes to the demo app THROUGH THE GROUP'S
 * DNS NAME, as a real client would, and records every acknowledged id.
 *
 * Invariants: one write in flight at a time; an id is recorded as acknowledged
 * only after a 201 (the app answers after COMMIT returned); DNS answers are
 * cached for their TTL like a stub resolver would; the loop is bounded by
 * `maxWrites` and `maxDurationMs` and stops by itself. It also keeps, bounded, what
 * the report charts: acknowledged/failed attempts per wall-clock second, and every
 * answer the name resolved to (one query per TTL, folded into runs of the same answer).
 */
import { resolveA } from '../../../functions/adapters/local/resolve-with.ts';

export interface Acknowledgement {
  readonly id: number;
  readonly at: number;
  /** The address the name resolved to for this write. */
  readonly address: string;
}

/**
 * One write attempt's end, kept for the write-unavailability windows: `failed` names the
 * databases the app said refused it (empty: acknowledged; ['*']: no answer from the app).
 */
export interface WriteAttempt {
  readonly at: number;
  readonly failed: readonly string[];
}

/** Bound on the attempts kept (one per write: the writer's own maxWrites bound is 100 000). */
export const MAX_ATTEMPTS = 100_000;

/** Pure: which of `databases` a 503 body from the demo app names as failed (`{"error":"<name>: …; <name>: …"}`). */
export function failedDatabasesOf(body: string, databases: readonly string[]): string[] {
  let error = '';
  try {
    const parsed = (JSON.parse(body) as { error?: unknown }).error;
    error = typeof parsed === 'string' ? parsed : '';
  } catch {
    return ['*'];
  }
  const named = databases.filter((db) => error.startsWith(`${db}: `) || error.includes(`; ${db}: `));
  return named.length > 0 ? named : ['*'];
}

/** Attempts that ended in one wall-clock second (`second` = floor(epoch ms / 1000)). */
export interface WriteSecond {
  readonly second: number;
  acknowledged: number;
  failed: number;
}

/** A run of DNS queries that got the same answer (`answer` null: the query failed or had no A record). */
export interface DnsAnswerRun {
  readonly answer: string | null;
  readonly fromAt: number;
  toAt: number;
  queries: number;
}

/** Bounds on what the writer keeps for the report. */
export const MAX_WRITE_SECONDS = 3600;
export const MAX_DNS_RUNS = 500;

/** Pure: counts one attempt that ended at `at` (bounded: past MAX_WRITE_SECONDS distinct seconds, newer ones are dropped). */
export function countAttempt(seconds: WriteSecond[], at: number, ok: boolean): void {
  const second = Math.floor(at / 1000);
  let bucket = seconds[seconds.length - 1];
  if (!bucket || bucket.second !== second) {
    if (seconds.length >= MAX_WRITE_SECONDS) return;
    bucket = { second, acknowledged: 0, failed: 0 };
    seconds.push(bucket);
  }
  if (ok) bucket.acknowledged += 1;
  else bucket.failed += 1;
}

/** Pure: folds one DNS answer into the runs (bounded by MAX_DNS_RUNS: past it, the last run absorbs the rest). */
export function foldDnsAnswer(runs: DnsAnswerRun[], at: number, answer: string | null): void {
  const last = runs[runs.length - 1];
  if (last && (last.answer === answer || runs.length >= MAX_DNS_RUNS)) {
    last.toAt = at;
    last.queries += 1;
    return;
  }
  runs.push({ answer, fromAt: at, toAt: at, queries: 1 });
}

export interface DrillWriterOptions {
  readonly name: string;
  readonly dnsServer: { readonly address: string; readonly port: number };
  readonly appPort: number;
  readonly intervalMs: number;
  readonly requestTimeoutMs: number;
  readonly maxWrites: number;
  readonly maxDurationMs: number;
  /** Database names, to tell from the app's refusals which of them failed. */
  readonly databases?: readonly string[];
}

export class DrillWriter {
  /** Every attempt's end, in order (bounded by MAX_ATTEMPTS). */
  readonly attempts: WriteAttempt[] = [];
  readonly acknowledged: Acknowledgement[] = [];
  failures = 0;
  /** Per wall-clock second, in order. */
  readonly seconds: WriteSecond[] = [];
  /** What the name answered over time, in order. */
  readonly dnsAnswers: DnsAnswerRun[] = [];
  private nextId = 1;
  private stopped = false;
  private paused = false;
  private cached: { address: string; expiresAt: number } | undefined;
  private loop: Promise<void> | undefined;
  private readonly ackListeners: Array<(ack: Acknowledgement) => void> = [];

  constructor(private readonly options: DrillWriterOptions) {}

  start(): void {
    this.loop = this.run();
  }

  /** Resolves once `count` writes acknowledged strictly after `after` exist (or the writer stopped). */
  waitForAcks(count: number, after = Date.now()): Promise<void> {
    return new Promise((resolve) => {
      const check = () => this.stopped || this.acknowledged.filter((a) => a.at > after).length >= count;
      if (check()) return resolve();
      const listener = () => {
        if (check()) {
          this.ackListeners.splice(this.ackListeners.indexOf(listener), 1);
          resolve();
        }
      };
      this.ackListeners.push(listener);
    });
  }

  /** Sends nothing until `resume()` (the loop's bounds still apply); a write in flight completes. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const listener of [...this.ackListeners]) listener({ id: 0, at: 0, address: '' });
    await this.loop;
  }

  private async run(): Promise<void> {
    const deadline = Date.now() + this.options.maxDurationMs;
    while (!this.stopped && this.nextId <= this.options.maxWrites && Date.now() < deadline) {
      if (this.paused) {
        await new Promise((r) => setTimeout(r, this.options.intervalMs));
        continue;
      }
      const id = this.nextId++;
      try {
        const address = await this.resolve();
        const response = await fetch(`http://${address}:${this.options.appPort}/writes/${id}`, {
          method: 'POST',
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        const body = await response.text();
        if (response.status === 201) {
          const ack = { id, at: Date.now(), address };
          this.acknowledged.push(ack);
          countAttempt(this.seconds, ack.at, true);
          this.record(ack.at, []);
          for (const listener of [...this.ackListeners]) listener(ack);
        } else {
          this.failures += 1;
          countAttempt(this.seconds, Date.now(), false);
          this.record(Date.now(), failedDatabasesOf(body, this.options.databases ?? []));
        }
      } catch {
        this.failures += 1;
        countAttempt(this.seconds, Date.now(), false);
        this.record(Date.now(), ['*']);
      }
      await new Promise((r) => setTimeout(r, this.options.intervalMs));
    }
    this.stopped = true;
    for (const listener of [...this.ackListeners]) listener({ id: 0, at: 0, address: '' });
  }

  private record(at: number, failed: readonly string[]): void {
    if (this.attempts.length < MAX_ATTEMPTS) this.attempts.push({ at, failed });
  }

  private async resolve(): Promise<string> {
    const now = Date.now();
    if (this.cached && this.cached.expiresAt > now) return this.cached.address;
    const answers = await resolveA(this.options.name, this.options.dnsServer).catch((error: unknown) => {
      foldDnsAnswer(this.dnsAnswers, Date.now(), null);
      throw error;
    });
    const first = answers[0];
    foldDnsAnswer(this.dnsAnswers, Date.now(), first?.address ?? null);
    if (!first) throw new Error(`${this.options.name} has no A record`);
    this.cached = { address: first.address, expiresAt: now + first.ttl * 1000 };
    return first.address;
  }
}
