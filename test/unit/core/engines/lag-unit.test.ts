import { describe, expect, it } from 'vitest';
import { lagMetricName, lagMetricUnit, type LagUnit } from '../../../../functions/core/engines/lag-unit.ts';
import { ENGINE_PLUGINS } from '../../../../functions/core/engines/engine-registry.ts';

describe('lag metrics', () => {
  it.each([
    ['bytes', 'ReplicationLagBytes', 'Bytes'],
    ['transactions', 'ReplicationLagTransactions', 'Count'],
    ['seconds', 'ReplicationLagSeconds', 'Seconds'],
  ] as const)('publishes a lag in %s as %s (%s)', (unit: LagUnit, name, cloudwatchUnit) => {
    // Assess
    expect(lagMetricName(unit)).toBe(name);
    expect(lagMetricUnit(unit)).toBe(cloudwatchUnit);
  });

  it('never publishes a count as bytes: only byte lags carry the Bytes unit, for every engine', () => {
    // Assess
    for (const plugin of ENGINE_PLUGINS) {
      expect(lagMetricName(plugin.lagUnit).toLowerCase()).toContain(plugin.lagUnit);
      expect(lagMetricUnit(plugin.lagUnit) === 'Bytes').toBe(plugin.lagUnit === 'bytes');
    }
  });
});
