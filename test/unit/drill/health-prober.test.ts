import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthProber } from '../../../infra/local/prober/health-prober.ts';
import type { HealthProbe } from '../../../functions/core/ports.ts';

/** A probe that answers from a script of healthy/unhealthy results, then stays on the last. */
function scriptedProbe(script: boolean[]): HealthProbe {
  let i = 0;
  return {
    check: () => {
      const healthy = script[Math.min(i++, script.length - 1)] ?? true;
      return Promise.resolve({ healthy, detail: healthy ? '200' : 'connection refused' });
    },
  };
}

describe('HealthProber', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  async function runProbes(script: boolean[], probes: number) {
    const alarms: string[] = [];
    const prober = new HealthProber({
      url: 'http://127.0.1.1:8080/health',
      probe: scriptedProbe(script),
      intervalMs: 100,
      timeoutMs: 50,
      failureThreshold: 3,
      maxProbes: probes,
      onAlarm: (a) => alarms.push(a.detail),
    });
    prober.start();
    await vi.advanceTimersByTimeAsync(100 * probes + 50);
    prober.stop();
    return alarms;
  }

  it('raises the alarm after the threshold of consecutive failures', async () => {
    expect(await runProbes([true, false, false, false], 6)).toEqual(['connection refused']);
  });

  it('does not alarm on failures that are not consecutive', async () => {
    expect(await runProbes([false, false, true, false, false, true], 6)).toEqual([]);
  });

  it('raises one alarm for one outage, however long it lasts', async () => {
    expect(await runProbes([false], 20)).toHaveLength(1);
  });

  it('alarms again only after the stack recovered in between', async () => {
    expect(await runProbes([false, false, false, true, false, false, false], 7)).toHaveLength(2);
  });

  it('stops by itself after maxProbes', async () => {
    // Prepare
    const check = vi.fn(() => Promise.resolve({ healthy: true, detail: '200' }));
    const prober = new HealthProber({ url: 'http://127.0.0.1/h', probe: { check }, intervalMs: 10, timeoutMs: 5, failureThreshold: 3, maxProbes: 4, onAlarm: () => undefined });
    // Act
    prober.start();
    await vi.advanceTimersByTimeAsync(1_000);
    // Assess
    expect(check).toHaveBeenCalledTimes(4);
  });
});
