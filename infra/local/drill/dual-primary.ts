/**
 * Pure: the "never two writable primaries receiving traffic" check over the drill's samples.
 *
 * Definitions (the README repeats them):
 * - a stack is a **writable primary** at a sample when its app, addressed directly at the
 *   stack's endpoint (not through the name), acknowledged a probe write (HTTP 201: every
 *   database of the stack committed it) — or neither acknowledged nor refused it before
 *   the probe's timeout (a write that hangs may still commit there, so it counts too);
 * - a stack **receives traffic through the group's name** at instant t when the drill's
 *   DNS server answered the name with that stack's endpoint at some sample in
 *   [t − TTL, t], or in the last sample before that window (the answer current when it
 *   opened): a client may use an answer it cached for up to the TTL;
 * - a **dual-primary sample** is one where two or more stacks are both.
 */
export type ProbeVerdict = 'acknowledged' | 'refused' | 'timeout';

export interface TrafficSample {
  readonly at: number;
  /** What the name resolved to on the drill's DNS server (null: no answer). */
  readonly dnsAnswer: string | null;
  /** Per stack endpoint: how its app answered the probe write. */
  readonly probes: Readonly<Record<string, ProbeVerdict>>;
}

export interface DualPrimaryReport {
  readonly samples: number;
  readonly dualPrimarySamples: number;
  /** Sample times (ms from `origin`) of the first dual-primary samples (at most 20). */
  readonly dualPrimaryAtMs: readonly number[];
  /** Samples in which each endpoint was a writable primary. */
  readonly writableSamples: Readonly<Record<string, number>>;
}

export function isWritable(verdict: ProbeVerdict | undefined): boolean {
  return verdict === 'acknowledged' || verdict === 'timeout';
}

/** Endpoints receiving traffic through the name at sample `index` (samples sorted by time). */
export function receivingTraffic(samples: readonly TrafficSample[], index: number, ttlMs: number): Set<string> {
  const at = samples[index]?.at ?? 0;
  const answers = new Set<string>();
  for (let i = index; i >= 0; i--) {
    const sample = samples[i];
    if (!sample) break;
    if (sample.dnsAnswer !== null) answers.add(sample.dnsAnswer);
    // The first sample at or before the window's start carries the answer current when it opened.
    if (sample.at <= at - ttlMs) break;
  }
  return answers;
}

export function evaluateDualPrimary(samples: readonly TrafficSample[], ttlMs: number, origin: number): DualPrimaryReport {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const dual: number[] = [];
  const writableSamples: Record<string, number> = {};
  sorted.forEach((sample, i) => {
    const writable = Object.entries(sample.probes).filter(([, v]) => isWritable(v)).map(([endpoint]) => endpoint);
    for (const endpoint of writable) writableSamples[endpoint] = (writableSamples[endpoint] ?? 0) + 1;
    const traffic = receivingTraffic(sorted, i, ttlMs);
    if (writable.filter((endpoint) => traffic.has(endpoint)).length >= 2) dual.push(sample.at - origin);
  });
  return { samples: sorted.length, dualPrimarySamples: dual.length, dualPrimaryAtMs: dual.slice(0, 20), writableSamples };
}
