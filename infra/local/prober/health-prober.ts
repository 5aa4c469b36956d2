/**
 * The local stand-in for a Route 53 health check and its CloudWatch alarm:
 * probes a stack's health URL on an interval and raises the alarm once when
 * `failureThreshold` consecutive probes fail (OK → ALARM transition only, so a
 * flapping or repeated failure never raises a second alarm while in ALARM).
 */
import type { HealthProbe } from '../../../functions/core/ports.ts';

export interface HealthProberOptions {
  readonly url: string;
  readonly probe: HealthProbe;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  /** Upper bound on probes, so a forgotten prober stops by itself. */
  readonly maxProbes: number;
  readonly onAlarm: (alarm: { readonly at: Date; readonly detail: string; readonly firstFailureAt: Date }) => void;
}

export class HealthProber {
  private timer: NodeJS.Timeout | undefined;
  private consecutiveFailures = 0;
  private firstFailureAt: Date | undefined;
  private inAlarm = false;
  private probes = 0;
  private stopped = false;

  constructor(private readonly options: HealthProberOptions) {}

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.probes >= this.options.maxProbes) return;
    this.timer = setTimeout(() => void this.probeOnce(), delayMs);
  }

  private async probeOnce(): Promise<void> {
    this.probes += 1;
    const at = new Date();
    const result = await this.options.probe.check(this.options.url, this.options.timeoutMs);
    if (result.healthy) {
      this.consecutiveFailures = 0;
      this.firstFailureAt = undefined;
      this.inAlarm = false;
    } else {
      this.consecutiveFailures += 1;
      this.firstFailureAt ??= at;
      if (!this.inAlarm && this.consecutiveFailures >= this.options.failureThreshold) {
        this.inAlarm = true;
        this.options.onAlarm({ at: new Date(), detail: result.detail, firstFailureAt: this.firstFailureAt });
      }
    }
    this.schedule(this.options.intervalMs);
  }
}
