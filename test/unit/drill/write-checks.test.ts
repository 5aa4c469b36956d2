import { describe, expect, it } from 'vitest';
import { duplicatesOf, summarizeDrill, type DrillObservations } from '../../../infra/local/drill/summarize-drill.ts';
import { failedDatabasesOf, type WriteAttempt } from '../../../infra/local/drill/drill-writer.ts';
import { unavailabilityWindow } from '../../../infra/local/drill/write-unavailability.ts';

const base: DrillObservations = {
  killAt: 1_000,
  alarmAt: 1_600,
  dnsVerifiedAt: 2_100,
  acknowledged: [
    { id: 1, at: 500 },
    { id: 2, at: 3_000 },
  ],
  idsOnPromotedTwin: { main: new Set([1, 2]) },
  dnsBefore: '127.0.1.1',
  dnsAfter: '127.0.2.1',
  failoverStatus: 'SUCCEEDED',
  databases: [{ name: 'main', engine: 'postgres', mode: 'sync', promoted: true, loss: 0, lagUnit: 'bytes', reasons: [] }],
  wallMs: 1,
};

describe('duplicated writes', () => {
  it('finds every id seen more than once, once each', () => {
    // Act / Assess
    expect(duplicatesOf([1, 2, 2, 3, 1, 2])).toEqual([2, 1]);
    expect(duplicatesOf([])).toEqual([]);
  });

  it('reports ids read back twice or acknowledged twice, and is then not ok', () => {
    // Act
    const clean = summarizeDrill({ ...base, idListsRead: { main: [1, 2] } });
    const readTwice = summarizeDrill({ ...base, idListsRead: { main: [1, 2, 2] } });
    const ackedTwice = summarizeDrill({ ...base, acknowledged: [...base.acknowledged, { id: 1, at: 3_100 }] });
    // Assess
    expect(clean).toMatchObject({ failoverInvariantsHeld: true, duplicated: 0, duplicatedIds: [] });
    expect(readTwice).toMatchObject({ failoverInvariantsHeld: false, duplicated: 1, duplicatedIds: [2] });
    expect(ackedTwice).toMatchObject({ failoverInvariantsHeld: false, duplicated: 1, duplicatedIds: [1] });
  });
});

describe('the writer', () => {
  it('tells from the app\'s refusal which databases failed', () => {
    // Act / Assess
    expect(failedDatabasesOf('{"error":"postgres: read-only; redis: READONLY You can\'t write"}', ['postgres', 'mariadb', 'redis'])).toEqual(['postgres', 'redis']);
    expect(failedDatabasesOf('{"error":"no database yet"}', ['postgres'])).toEqual(['*']);
    expect(failedDatabasesOf('<html>', ['postgres'])).toEqual(['*']);
  });
});

describe('write-unavailability window', () => {
  const attempts: WriteAttempt[] = [
    { at: 100, failed: [] },
    { at: 200, failed: [] },
    { at: 300, failed: ['redis'] },
    { at: 400, failed: ['*'] },
    { at: 500, failed: ['redis'] },
    { at: 600, failed: [] },
  ];

  it('runs from the last commit before the failures to the first after, per database and overall', () => {
    // Act / Assess
    expect(unavailabilityWindow(attempts, { fromAt: 150, toAt: 650 })).toEqual({ fromAt: 200, toAt: 600, ms: 400, failedAttempts: 3 });
    expect(unavailabilityWindow(attempts, { fromAt: 150, toAt: 650 }, 'postgres')).toEqual({ fromAt: 300, toAt: 500, ms: 200, failedAttempts: 1 });
    expect(unavailabilityWindow(attempts, { fromAt: 150, toAt: 650 }, 'redis')).toEqual({ fromAt: 200, toAt: 600, ms: 400, failedAttempts: 3 });
  });

  it('without failures is the longest gap between commits; with no commit after, it stays open', () => {
    // Act / Assess
    expect(unavailabilityWindow([{ at: 0, failed: [] }, { at: 50, failed: [] }, { at: 250, failed: [] }], { fromAt: 0, toAt: 300 })).toEqual({ fromAt: 50, toAt: 250, ms: 200, failedAttempts: 0 });
    expect(unavailabilityWindow([{ at: 0, failed: [] }, { at: 50, failed: ['*'] }], { fromAt: 10, toAt: 300 })).toMatchObject({ fromAt: 0, toAt: null, ms: null });
  });
});
