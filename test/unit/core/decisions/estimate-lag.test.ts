import { describe, expect, it } from 'vitest';
import type { DatabaseStatus } from '../../../../functions/core/engines/database-engine.ts';
import { lsnDiff } from '../../../../functions/core/engines/postgres/lsn.ts';
import { estimateLag, estimatePrimaryTwinLag } from '../../../../functions/core/decisions/estimate-lag.ts';

const PRIMARY: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/3000400', replicas: [] };
const STOPPED: DatabaseStatus = { role: 'stopped', writable: false, fenced: true };
const REPLICA: DatabaseStatus = { role: 'replica', writable: false, fenced: false, position: '0/3000000', receivedPosition: '0/3000100', streaming: true };
const REPLICA_NO_RECEIVE: DatabaseStatus = { role: 'replica', writable: false, fenced: false, position: '0/3000000' };

describe('estimateLag', () => {
  it.each([
    { name: 'live primary vs received position', primary: PRIMARY, twin: REPLICA, last: '0/2000000', lag: 0x300 },
    { name: 'replayed position when nothing received is known', primary: PRIMARY, twin: REPLICA_NO_RECEIVE, last: undefined, lag: 0x400 },
    { name: 'last known position when the primary is gone', primary: undefined, twin: REPLICA, last: '0/3001100', lag: 0x1000 },
    { name: 'last known position when the primary is stopped', primary: STOPPED, twin: REPLICA, last: '0/3001100', lag: 0x1000 },
    { name: 'never negative', primary: undefined, twin: REPLICA, last: '0/2000000', lag: 0 },
    { name: 'unknowable without any primary position', primary: undefined, twin: REPLICA, last: undefined, lag: undefined },
    { name: 'unknowable when the twin is not a replica', primary: PRIMARY, twin: PRIMARY, last: undefined, lag: undefined },
    { name: 'unknowable when the twin is unobserved', primary: PRIMARY, twin: undefined, last: undefined, lag: undefined },
  ])('$name → $lag', ({ primary, twin, last, lag }) => {
    // Act
    const estimate = estimateLag(primary, twin, last, lsnDiff);

    // Assess
    expect(estimate).toBe(lag);
  });
});

describe('estimatePrimaryTwinLag', () => {
  const TWIN_PRIMARY: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/3000100', replicas: [], promotedByTwinstack: true };

  it.each([
    { name: 'live primary ahead of the promoted twin', primary: PRIMARY, twin: TWIN_PRIMARY, lag: 0x300 },
    { name: 'twin past the live primary: 0, never negative', primary: PRIMARY, twin: { ...TWIN_PRIMARY, position: '0/4000000' }, lag: 0 },
    { name: 'twin still a replica: not this estimate', primary: PRIMARY, twin: REPLICA, lag: undefined },
    { name: 'old primary stopped', primary: STOPPED, twin: TWIN_PRIMARY, lag: undefined },
    { name: 'old primary unobserved', primary: undefined, twin: TWIN_PRIMARY, lag: undefined },
    { name: 'twin position unknown', primary: PRIMARY, twin: { role: 'primary' as const, writable: true, fenced: false }, lag: undefined },
  ])('$name → $lag', ({ primary, twin, lag }) => {
    // Act
    const estimate = estimatePrimaryTwinLag(primary, twin, lsnDiff);

    // Assess
    expect(estimate).toBe(lag);
  });
});
