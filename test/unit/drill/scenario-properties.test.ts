import { describe, expect, it } from 'vitest';
import { summarizeDrill, type DrillObservations, type DrillMeasurement } from '../../../infra/local/drill/summarize-drill.ts';
import { verdictOf } from '../../../infra/local/drill/scenarios/drill-scenario.ts';
import { failoverConditions, lossCovered } from '../../../infra/local/drill/scenarios/failover-checks.ts';
import { oneFailoverConditions, type ExecutionFigures } from '../../../infra/local/drill/scenarios/duplicate-alarm.scenario.ts';
import { flappingConditions } from '../../../infra/local/drill/scenarios/flapping.scenario.ts';
import { laggingConditions, lossMatches } from '../../../infra/local/drill/scenarios/lagging-replica.scenario.ts';
import { partitionConditions } from '../../../infra/local/drill/scenarios/partition.scenario.ts';
import { sshDropConditions } from '../../../infra/local/drill/scenarios/ssh-drop.scenario.ts';
import { rejoinSucceeded, switchoverConditions, switchSucceeded, workflowWindowMs, type SwitchFigures } from '../../../infra/local/drill/scenarios/switchover-and-back.scenario.ts';
import { SCENARIOS, SCENARIO_NAMES, scenarioModeProblem } from '../../../infra/local/drill/scenarios/scenario-catalog.ts';

const observations: DrillObservations = {
  killAt: 1_000,
  acknowledged: [
    { id: 1, at: 500 },
    { id: 2, at: 900 },
    { id: 3, at: 3_000 },
  ],
  idsOnPromotedTwin: { pg: new Set([1, 3]), maria: new Set([1, 3]) },
  dnsBefore: '127.0.1.1',
  dnsAfter: '127.0.2.1',
  failoverStatus: 'SUCCEEDED',
  databases: [
    { name: 'pg', engine: 'postgres', mode: 'async', promoted: true, loss: 120, lagUnit: 'bytes', reasons: [] },
    { name: 'maria', engine: 'mariadb', mode: 'async', promoted: true, loss: 1, lagUnit: 'transactions', reasons: [] },
  ],
  wallMs: 1,
};
const summary: DrillMeasurement = summarizeDrill(observations);
const execution = (failedOver: boolean, promoteSteps: number): ExecutionFigures => ({ status: 'SUCCEEDED', outcome: failedOver ? 'SUCCEEDED' : 'HELD', failedOver, promoteSteps, reasons: failedOver ? [] : ['already failed over'] });

describe('scenario properties', () => {
  it('every scenario has a property sentence; only lagging-replica insists on a mode', () => {
    // Act / Assess
    for (const name of SCENARIO_NAMES) expect(SCENARIOS[name].property.length).toBeGreaterThan(40);
    expect(scenarioModeProblem('lagging-replica', 'sync')).toMatch(/--scenario lagging-replica needs --mode async/);
    expect(scenarioModeProblem('lagging-replica', 'async')).toBeUndefined();
    expect(scenarioModeProblem('partition', 'sync')).toBeUndefined();
  });

  it('a verdict passes only when every condition holds, and says which failed', () => {
    // Act
    const verdict = verdictOf([
      [true, 'a'],
      [false, 'b'],
    ]);
    // Assess
    expect(verdict).toEqual({ passed: false, reasons: ['ok: a', 'FAILED: b'] });
  });

  it('a lost write is covered by a reported loss: counted in transactions, any nonzero byte lag, never an unknown one', () => {
    // Act / Assess
    expect(lossCovered({ lost: 0, loss: null, lagUnit: 'bytes' })).toBe(true);
    expect(lossCovered({ lost: 2, loss: 1, lagUnit: 'transactions' })).toBe(false);
    expect(lossCovered({ lost: 1, loss: 1, lagUnit: 'transactions' })).toBe(true);
    expect(lossCovered({ lost: 5, loss: 1, lagUnit: 'bytes' })).toBe(true);
    expect(lossCovered({ lost: 5, loss: 0, lagUnit: 'bytes' })).toBe(false);
    expect(lossCovered({ lost: 1, loss: null, lagUnit: 'bytes' })).toBe(false);
    expect(verdictOf(failoverConditions(summary)).passed).toBe(true);
    expect(verdictOf(failoverConditions({ ...summary, databases: summary.databases.map((db) => ({ ...db, loss: 0 })) })).passed).toBe(false);
  });

  it('lagging-replica: the automatic failover must hold, and the forced loss must match what is missing', () => {
    // Act
    const held = laggingConditions({ status: 'HELD', reasons: ['replica pg lag 30 KiB exceeds limit 2 KiB'] }, summary.databases);
    const notHeld = laggingConditions({ status: 'SUCCEEDED', reasons: [] }, summary.databases);
    // Assess
    expect(verdictOf(held).passed).toBe(true);
    expect(verdictOf(notHeld).reasons[0]).toMatch(/^FAILED: the automatic failover: SUCCEEDED/);
    expect(lossMatches({ lost: 3, loss: 2, lagUnit: 'transactions' })).toBe(false);
    expect(lossMatches({ lost: 0, loss: 100, lagUnit: 'bytes' })).toBe(false);
  });

  it('duplicate-alarm: one execution fails over, the other runs no promotion', () => {
    // Act / Assess
    expect(verdictOf(oneFailoverConditions([execution(true, 3), execution(false, 0)])).passed).toBe(true);
    expect(verdictOf(oneFailoverConditions([execution(true, 3), execution(true, 3)])).passed).toBe(false);
    expect(verdictOf(oneFailoverConditions([execution(true, 3), execution(false, 1)])).passed).toBe(false);
  });

  it('flapping: at most one failover, and the health must really have flapped', () => {
    // Act / Assess
    expect(verdictOf(flappingConditions(3, [execution(true, 3), execution(false, 0), execution(false, 0)])).passed).toBe(true);
    expect(verdictOf(flappingConditions(3, [execution(true, 3), execution(true, 3)])).passed).toBe(false);
    expect(verdictOf(flappingConditions(1, [execution(true, 3)])).passed).toBe(false);
  });

  it('partition: no dual-primary sample, enough samples, and traffic moved during the partition', () => {
    // Prepare
    const report = { samples: 80, dualPrimarySamples: 0, dualPrimaryAtMs: [], writableSamples: {} };
    // Act / Assess
    expect(verdictOf(partitionConditions(report, ['HELD', 'forced SUCCEEDED'], true)).passed).toBe(true);
    expect(verdictOf(partitionConditions({ ...report, dualPrimarySamples: 2, dualPrimaryAtMs: [100, 200] }, ['SUCCEEDED'], true)).reasons[1]).toBe('FAILED: 2 dual-primary samples (at 100, 200 ms)');
    expect(verdictOf(partitionConditions({ ...report, samples: 3 }, ['SUCCEEDED'], true)).passed).toBe(false);
    expect(verdictOf(partitionConditions(report, ['HELD', 'forced FAILED'], false)).passed).toBe(false);
  });

  it('ssh-drop: the cut happened, a retry followed, it found the database promoted, the fork position did not move', () => {
    // Prepare
    const cut = { cutAtMs: 900, abortedConnections: 2, seenPromoted: ['pg'], forkPositions: { pg: { atCut: '0/3000000', atEnd: '0/3000000' } } };
    const promotion = { retriesAfterCut: 1, actions: { pg: 'already-primary', maria: 'promoted' } };
    // Act / Assess
    expect(verdictOf(sshDropConditions(cut, promotion)).passed).toBe(true);
    expect(verdictOf(sshDropConditions({ ...cut, forkPositions: { pg: { atCut: '0/3000000', atEnd: '0/3000100' } } }, promotion)).passed).toBe(false);
    expect(verdictOf(sshDropConditions({ ...cut, cutAtMs: null }, promotion)).passed).toBe(false);
    expect(verdictOf(sshDropConditions(cut, { retriesAfterCut: 0, actions: { pg: 'promoted' } })).passed).toBe(false);
  });

  it('switchover: both switches succeed, windows are closed, nothing lost, DNS back where it began', () => {
    // Prepare
    const window = { fromAt: 1, toAt: 2, ms: 1, failedAttempts: 0 };
    const figures = (to: 'twin' | 'primary'): SwitchFigures => ({ to, status: 'SUCCEEDED', outcome: 'switched-over', durationMs: 900, workflowWindowMs: 400, overall: window, databases: { pg: window } });
    const end = { lost: 0, duplicated: 0, dnsBefore: '127.0.1.1', dnsAfter: '127.0.1.1' };
    // Act / Assess
    expect(verdictOf(switchoverConditions([figures('twin'), figures('primary')], end)).passed).toBe(true);
    expect(verdictOf(switchoverConditions([figures('twin'), figures('primary')], { ...end, dnsAfter: '127.0.2.1' })).passed).toBe(false);
    expect(verdictOf(switchoverConditions([{ ...figures('twin'), overall: { ...window, ms: null } }], end)).passed).toBe(false);
    expect(switchSucceeded({ status: 'SUCCEEDED', output: { outcome: 'switched-over' } })).toBe(true);
    expect(switchSucceeded({ status: 'SUCCEEDED', output: { action: 'refuse', reasons: ['twin lags'] } })).toBe(false);
    expect(rejoinSucceeded({ status: 'SUCCEEDED', output: { outcome: 'rejoined' } })).toBe(true);
    expect(workflowWindowMs({ dnsSwitchedAt: '2026-01-01T00:00:01.500Z', databases: [{ demotedAt: '2026-01-01T00:00:01.000Z' }, { demotedAt: '2026-01-01T00:00:00.900Z' }] })).toBe(600);
    expect(workflowWindowMs({})).toBeNull();
    expect(switchSucceeded({ status: 'FAILED', output: undefined })).toBe(false);
  });
});
