import { describe, expect, it } from 'vitest';
import { evaluateDualPrimary, receivingTraffic, type TrafficSample } from '../../../infra/local/drill/dual-primary.ts';

const P = '127.0.1.1';
const T = '127.0.2.1';
const sample = (at: number, dnsAnswer: string | null, primary: TrafficSample['probes'][string], twin: TrafficSample['probes'][string]): TrafficSample => ({ at, dnsAnswer, probes: { [P]: primary, [T]: twin } });

describe('dual-primary sampling', () => {
  it('a stack receives traffic while its answer is within the TTL, including the answer current when the window opened', () => {
    // Prepare
    const samples = [sample(0, P, 'acknowledged', 'refused'), sample(500, T, 'refused', 'acknowledged'), sample(1_000, T, 'refused', 'acknowledged'), sample(1_600, T, 'refused', 'acknowledged')];
    // Act / Assess
    expect([...receivingTraffic(samples, 1, 1_000)].sort()).toEqual([P, T]);
    expect([...receivingTraffic(samples, 2, 1_000)].sort()).toEqual([P, T]);
    expect([...receivingTraffic(samples, 3, 1_000)]).toEqual([T]);
  });

  it('counts a sample as dual only when two writable stacks both receive traffic', () => {
    // Prepare: the twin is writable before the switch (no traffic yet: fine), then both are writable within the TTL of the switch (dual).
    const samples = [
      sample(0, P, 'acknowledged', 'acknowledged'),
      sample(100, P, 'acknowledged', 'refused'),
      sample(200, T, 'acknowledged', 'acknowledged'),
      sample(300, T, 'timeout', 'acknowledged'),
      sample(1_400, T, 'acknowledged', 'acknowledged'),
    ];
    // Act
    const report = evaluateDualPrimary(samples, 1_000, 0);
    // Assess
    expect(report).toEqual({ samples: 5, dualPrimarySamples: 2, dualPrimaryAtMs: [200, 300], writableSamples: { [P]: 5, [T]: 4 } });
  });

  it('a fenced old primary and a promoted twin never count, however the name moves', () => {
    // Prepare
    const samples = [sample(0, P, 'acknowledged', 'refused'), sample(100, P, 'refused', 'refused'), sample(200, T, 'refused', 'acknowledged'), sample(300, null, 'refused', 'acknowledged')];
    // Act / Assess
    expect(evaluateDualPrimary(samples, 1_000, 0).dualPrimarySamples).toBe(0);
  });
});
