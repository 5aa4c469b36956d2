/**
 * Samples, every `intervalMs`, what the group's name resolves to on the drill's DNS
 * server and whether each stack's app accepts a write (dual-primary.ts defines both).
 * Probe writes use ids from PROBE_ID_BASE up, far above the writer's (which start at 1),
 * so the lost/duplicate checks never mistake one for the other. Bounded by
 * `maxSamples` and `maxDurationMs`; one sample in flight at a time.
 */
import { resolveA } from '../../../functions/adapters/local/resolve-with.ts';
import type { ProbeVerdict, TrafficSample } from './dual-primary.ts';

export const PROBE_ID_BASE = 900_000_000_000;

export interface DualPrimarySamplerOptions {
  readonly name: string;
  readonly dnsServer: { readonly address: string; readonly port: number };
  readonly endpoints: readonly string[];
  readonly appPort: number;
  readonly intervalMs: number;
  readonly probeTimeoutMs: number;
  readonly maxSamples: number;
  readonly maxDurationMs: number;
}

export class DualPrimarySampler {
  readonly samples: TrafficSample[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;
  private nextProbeId = PROBE_ID_BASE;

  constructor(private readonly options: DualPrimarySamplerOptions) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const deadline = Date.now() + this.options.maxDurationMs;
    while (!this.stopped && this.samples.length < this.options.maxSamples && Date.now() < deadline) {
      const at = Date.now();
      const [dnsAnswer, ...verdicts] = await Promise.all([
        resolveA(this.options.name, this.options.dnsServer).then((a) => a[0]?.address ?? null, () => null),
        ...this.options.endpoints.map((endpoint) => this.probe(endpoint)),
      ]);
      this.samples.push({ at, dnsAnswer, probes: Object.fromEntries(this.options.endpoints.map((e, i) => [e, verdicts[i] ?? 'refused'])) });
      await new Promise((r) => setTimeout(r, this.options.intervalMs));
    }
  }

  private async probe(endpoint: string): Promise<ProbeVerdict> {
    const id = this.nextProbeId++;
    try {
      const response = await fetch(`http://${endpoint}:${this.options.appPort}/writes/${id}`, { method: 'POST', signal: AbortSignal.timeout(this.options.probeTimeoutMs) });
      await response.arrayBuffer();
      return response.status === 201 ? 'acknowledged' : 'refused';
    } catch (error) {
      return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? 'timeout' : 'refused';
    }
  }
}
