import { describe, expect, it } from 'vitest';
import type { DatabaseStatus } from '../../../../functions/core/engines/database-engine.ts';
import { lsnDiff } from '../../../../functions/core/engines/postgres/lsn.ts';
import { assessCatchUp } from '../../../../functions/core/decisions/assess-catch-up.ts';

const primary = (position: string): DatabaseStatus => ({ role: 'primary', writable: true, fenced: false, position, replicas: [] });
const STOPPED: DatabaseStatus = { role: 'stopped', writable: false, fenced: false };
const FENCED: DatabaseStatus = { role: 'stopped', writable: false, fenced: true };
const replica = (position: string, streaming = true): DatabaseStatus => ({ role: 'replica', writable: false, fenced: false, position, streaming });

describe('assessCatchUp', () => {
  it.each([
    { name: 'same position, streaming', p: primary('0/3000148'), t: replica('0/3000148'), tolerance: 0, caughtUp: true, lag: 0, reason: 'twin streaming, 0 B behind' },
    { name: 'twin read after primary looks ahead', p: primary('0/3000000'), t: replica('0/3000148'), tolerance: 0, caughtUp: true, lag: 0, reason: 'twin streaming' },
    { name: 'behind by 2 MiB', p: primary('0/3200000'), t: replica('0/3000000'), tolerance: 0, caughtUp: false, lag: 2 * 1024 * 1024, reason: 'is 2.0 MiB behind primary 0/3200000' },
    { name: 'behind within tolerance', p: primary('0/3000400'), t: replica('0/3000000'), tolerance: 4096, caughtUp: true, lag: 1024, reason: '1.0 KiB behind (tolerance 4.0 KiB)' },
    { name: 'not streaming', p: primary('0/3000000'), t: replica('0/3000000', false), tolerance: 0, caughtUp: false, lag: 0, reason: 'twin is not streaming' },
    { name: 'twin stopped', p: primary('0/3000000'), t: STOPPED, tolerance: 0, caughtUp: false, lag: null, reason: 'twin is stopped, not a replica' },
    { name: 'twin is a primary', p: primary('0/3000000'), t: primary('0/3000000'), tolerance: 0, caughtUp: false, lag: null, reason: 'twin is primary, not a replica' },
    { name: 'primary stopped', p: FENCED, t: replica('0/3000000'), tolerance: 0, caughtUp: false, lag: null, reason: 'primary is stopped' },
    { name: 'primary not observed', p: undefined, t: replica('0/3000000'), tolerance: 0, caughtUp: false, lag: null, reason: 'primary not observed' },
    { name: 'twin not observed', p: primary('0/3000000'), t: undefined, tolerance: 0, caughtUp: false, lag: null, reason: 'twin not observed' },
  ])('$name', ({ p, t, tolerance, caughtUp, lag, reason }) => {
    // Act
    const assessment = assessCatchUp(p, t, { positionDiff: lsnDiff, lagUnit: 'bytes' }, tolerance);

    // Assess
    expect(assessment.caughtUp).toBe(caughtUp);
    expect(assessment.lag).toBe(lag);
    expect(assessment.reasons.join(' | ')).toContain(reason);
  });
});
