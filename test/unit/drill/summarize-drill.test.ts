import { describe, expect, it } from 'vitest';
import { failoverOutcomeOf, summarizeDrill, summarizeFailedDrill, withVerdict, type DrillObservations } from '../../../infra/local/drill/summarize-drill.ts';
import { deployPhasesOf } from '../../../infra/local/drill/drill-deploy.ts';

const base: DrillObservations = {
  killAt: 1_000,
  alarmAt: 1_600,
  dnsVerifiedAt: 2_100,
  acknowledged: [
    { id: 1, at: 500 },
    { id: 2, at: 900 },
    { id: 5, at: 3_000 },
    { id: 6, at: 3_050 },
  ],
  idsOnPromotedTwin: { main: new Set([1, 2, 5, 6]) },
  dnsBefore: '127.0.1.1',
  dnsAfter: '127.0.2.1',
  failoverStatus: 'SUCCEEDED',
  databases: [{ name: 'main', engine: 'postgres', mode: 'sync', promoted: true, loss: 0, lagUnit: 'bytes', reasons: ['replica main was streaming synchronously'] }],
  wallMs: 40_000,
};

describe('summarizeDrill', () => {
  it('measures RTO from the kill to the first acknowledged write after it', () => {
    // Act
    const summary = summarizeDrill(base);
    // Assess
    expect(summary).toMatchObject({ failoverInvariantsHeld: true, dnsMoved: true, rtoMs: 2_000, detectionMs: 600, orchestrationMs: 500, acknowledged: 4, acknowledgedAfterFailover: 2, lost: 0 });
  });

  it('counts every acknowledged id missing on the promoted twin as lost', () => {
    // Prepare
    const observations = { ...base, idsOnPromotedTwin: { main: new Set([1, 5, 6]) } };
    // Act
    const summary = summarizeDrill(observations);
    // Assess
    expect(summary.lost).toBe(1);
    expect(summary.lostIds).toEqual([2]);
    expect(summary.failoverInvariantsHeld).toBe(false);
  });

  it.each([
    ['the failover failed', { failoverStatus: 'FAILED' }],
    ['DNS never moved', { dnsAfter: '127.0.1.1' }],
    ['no write succeeded after the kill', { acknowledged: [{ id: 1, at: 500 }], idsOnPromotedTwin: { main: new Set([1]) } }],
  ])('the failover invariants do not hold when %s', (_why, change) => {
    // Act
    const summary = summarizeDrill({ ...base, ...change });
    // Assess
    expect(summary.failoverInvariantsHeld).toBe(false);
  });

  it('reports unknown timings as null instead of inventing them', () => {
    // Act
    const summary = summarizeDrill({ ...base, alarmAt: undefined, dnsVerifiedAt: undefined, acknowledged: [] });
    // Assess
    expect(summary).toMatchObject({ rtoMs: null, detectionMs: null, orchestrationMs: null });
  });
});

describe('withVerdict', () => {
  it('makes ok the scenario\'s verdict even where the failover-shaped checks say otherwise', () => {
    // Prepare: a switchover-and-back ends where it began: DNS did not move, the failover invariants do not hold.
    const measured = summarizeDrill({ ...base, failoverStatus: 'NOT_RUN', dnsAfter: '127.0.1.1' });
    // Act
    const summary = withVerdict(measured, { passed: true, reasons: ['ok: DNS back on 127.0.1.1'] }, { scenario: 'switchover-and-back', property: 'leaves DNS where it began' });
    // Assess
    expect(summary).toMatchObject({ ok: true, passed: true, failoverInvariantsHeld: false, dnsMoved: false, scenario: 'switchover-and-back', propertyReasons: ['ok: DNS back on 127.0.1.1'] });
  });

  it('makes ok false when the property failed, even after a clean failover', () => {
    // Act
    const summary = withVerdict(summarizeDrill(base), { passed: false, reasons: ['FAILED: 2 dual-primary samples'] });
    // Assess
    expect(summary).toMatchObject({ ok: false, passed: false, failoverInvariantsHeld: true });
  });

  it('carries the clone phase\'s figures only when the twin was cloned', () => {
    // Act
    const cloned = withVerdict(summarizeDrill(base), { passed: true, reasons: [] }, { clone: { durationMs: 9_100, hosts: 1, twin: 'drill-primary-local-twin' } });
    const plain = withVerdict(summarizeDrill(base), { passed: true, reasons: [] });
    // Assess
    expect(cloned.clone).toEqual({ durationMs: 9_100, hosts: 1, twin: 'drill-primary-local-twin' });
    expect(plain).not.toHaveProperty('clone');
  });
});

describe('summarizeFailedDrill', () => {
  it('reports not passed (ok: false, passed: false) with the error and nothing measured', () => {
    // Act
    const summary = summarizeFailedDrill({ error: 'dockerd did not answer', wallMs: 1234 });
    // Assess
    expect(summary).toMatchObject({ ok: false, passed: false, failoverInvariantsHeld: false, dnsMoved: false, error: 'dockerd did not answer', failoverStatus: 'NOT_RUN', rtoMs: null, deploy: null, errors: ['dockerd did not answer'] });
  });
});

describe('failoverOutcomeOf', () => {
  it('says HELD, not SUCCEEDED, when the workflow held, with the decision reasons', () => {
    // Act
    const outcome = failoverOutcomeOf({ status: 'SUCCEEDED', output: { outcome: 'held', decision: { action: 'hold', reasons: ['twin of main unreachable'] } } });
    // Assess
    expect(outcome).toEqual({ status: 'HELD', failedOver: false, reasons: ['twin of main unreachable'] });
  });

  it('reads a hold from the Held state\'s output, which is the decision itself', () => {
    // Act
    const outcome = failoverOutcomeOf({ status: 'SUCCEEDED', output: { action: 'hold', reasons: ['already failed over 2 s ago'], databases: [] } });
    // Assess
    expect(outcome).toEqual({ status: 'HELD', failedOver: false, reasons: ['already failed over 2 s ago'] });
  });

  it('says SUCCEEDED only for a failover that ran', () => {
    expect(failoverOutcomeOf({ status: 'SUCCEEDED', output: { outcome: 'failed-over', decision: { action: 'failover', reasons: ['ok'] } } })).toMatchObject({ status: 'SUCCEEDED', failedOver: true });
    expect(failoverOutcomeOf({ status: 'FAILED', error: 'FencingError', cause: 'x' })).toEqual({ status: 'FAILED', failedOver: false, reasons: ['FencingError: x'] });
  });

  it('a held failover breaks the failover invariants and keeps its reasons', () => {
    // Act
    const summary = summarizeDrill({ ...base, failoverStatus: 'HELD', failoverReasons: ['twin unhealthy'], dnsAfter: '127.0.1.1' });
    // Assess
    expect(summary).toMatchObject({ failoverInvariantsHeld: false, dnsMoved: false, failoverStatus: 'HELD', failoverReasons: ['twin unhealthy'] });
  });
});

describe('deployPhasesOf', () => {
  it('takes build from BuildImage and the slowest host for ship and start', () => {
    // Act
    const phases = deployPhasesOf({ image: { durationMs: 700 }, stacks: [{ hosts: [{ shipMs: 0, commandMs: 900 }] }, { hosts: [{ shipMs: 1500, commandMs: 800 }] }] });
    // Assess
    expect(phases).toEqual({ buildMs: 700, shipMs: 1500, startMs: 900 });
    expect(deployPhasesOf({ stacks: [] })).toBeUndefined();
  });
});
