import { describe, expect, it } from 'vitest';
import type { DatabaseStatus } from '../../../../functions/core/engines/database-engine.ts';
import type { GroupState } from '../../../../functions/core/group-state.ts';
import { planFence } from '../../../../functions/core/decisions/plan-fence.ts';
import { planPromotion } from '../../../../functions/core/decisions/plan-promotion.ts';
import { planRestore } from '../../../../functions/core/decisions/plan-restore.ts';
import type { JobStatus } from '../../../../functions/core/jobs/detached-job.ts';

const PRIMARY: DatabaseStatus = { role: 'primary', writable: true, fenced: false, position: '0/3000000', replicas: [] };
const READ_ONLY_PRIMARY: DatabaseStatus = { ...PRIMARY, writable: false };
/** Primaries that carry twinstack's promoted marker. */
const PROMOTED_PRIMARY: DatabaseStatus = { ...PRIMARY, promotedByTwinstack: true };
const PROMOTED_READ_ONLY_PRIMARY: DatabaseStatus = { ...READ_ONLY_PRIMARY, promotedByTwinstack: true };
const REPLICA: DatabaseStatus = { role: 'replica', writable: false, fenced: false, position: '0/3000000', streaming: true };
const FENCED_REPLICA: DatabaseStatus = { ...REPLICA, fenced: true };
const STOPPED: DatabaseStatus = { role: 'stopped', writable: false, fenced: false };
const FENCED: DatabaseStatus = { role: 'stopped', writable: false, fenced: true };
const UNKNOWN: DatabaseStatus = { role: 'unknown', writable: false, fenced: false };

describe('planPromotion', () => {
  it.each([
    { name: 'replica', twin: REPLICA, action: 'promote', reason: 'twin is a replica at 0/3000000' },
    { name: 'fenced replica', twin: FENCED_REPLICA, action: 'promote', reason: 'fenced marker is cleared' },
    { name: 'writable primary', twin: PROMOTED_PRIMARY, action: 'already-primary', reason: 'already a writable primary' },
    { name: 'read-only primary', twin: PROMOTED_READ_ONLY_PRIMARY, action: 'already-primary', reason: 'not writable' },
    { name: 'writable primary without the marker', twin: PRIMARY, action: 'refuse', reason: 'twin is a primary twinstack did not promote (a standalone clone?): refusing' },
    { name: 'read-only primary without the marker', twin: READ_ONLY_PRIMARY, action: 'refuse', reason: 'twinstack did not promote' },
    { name: 'primary with the marker false', twin: { ...PRIMARY, promotedByTwinstack: false }, action: 'refuse', reason: 'twinstack did not promote' },
    { name: 'stopped', twin: STOPPED, action: 'refuse', reason: 'stopped' },
    { name: 'unknown', twin: UNKNOWN, action: 'refuse', reason: 'state unknown' },
    { name: 'not observed', twin: undefined, action: 'refuse', reason: 'twin not observed: HOST_UNREACHABLE' },
  ])('$name → $action', ({ twin, action, reason }) => {
    // Act
    const plan = planPromotion(twin, 'HOST_UNREACHABLE');

    // Assess
    expect(plan.action).toBe(action);
    expect(plan.reasons.join(' | ')).toContain(reason);
  });
});

interface FenceCase {
  readonly name: string;
  readonly old: DatabaseStatus | undefined;
  readonly kind?: 'unreachable' | 'fault' | undefined;
  readonly error?: string | undefined;
  readonly action: string;
  readonly reason: string;
}

describe('planFence', () => {
  it.each([
    { name: 'writable primary', old: PRIMARY, action: 'fence', reason: 'running as primary and accepts writes' },
    { name: 'replica', old: REPLICA, action: 'fence', reason: 'running as replica' },
    { name: 'unknown', old: UNKNOWN, action: 'fence', reason: 'running as unknown' },
    { name: 'stopped, not marked', old: STOPPED, action: 'fence', reason: 'not marked' },
    { name: 'stopped and marked', old: FENCED, action: 'already-fenced', reason: 'stopped and marked fenced' },
    { name: 'running, marked and read-only (a Redis fence)', old: { ...PRIMARY, writable: false, fenced: true }, action: 'already-fenced', reason: 'marked fenced and takes no writes (running as primary)' },
    { name: 'running, marked but writable again', old: { ...PRIMARY, fenced: true }, action: 'fence', reason: 'accepts writes' },
    { name: 'unreachable', old: undefined, action: 'isolated', reason: 'unreachable (HOST_UNREACHABLE: timeout): it cannot be stopped; its traffic is revoked by the DNS switch' },
    { name: 'reachable status ignores the kind', old: PRIMARY, kind: 'fault' as const, action: 'fence', reason: 'running as primary' },
    {
      name: 'not observed for a fault',
      old: undefined,
      kind: 'fault' as const,
      error: 'HOST_KEY_MISMATCH: SHA256:x',
      action: 'refuse',
      reason: 'could not be observed (HOST_KEY_MISMATCH: SHA256:x), and its host was not shown unreachable: it may still accept writes, fencing cannot be guaranteed',
    },
    { name: 'not observed, no kind given', old: undefined, kind: undefined, error: 'COMMAND_TIMEOUT', action: 'refuse', reason: 'fencing cannot be guaranteed' },
    { name: 'not observed, no kind and no error', old: undefined, kind: undefined, error: undefined, action: 'refuse', reason: 'no status and no error recorded' },
  ] as const satisfies readonly FenceCase[])('$name → $action', (row: FenceCase) => {
    // Prepare: unless a row says otherwise, the host was unreachable at connection time
    const { old, action, reason } = row;
    const kind = 'kind' in row ? row.kind : 'unreachable';
    const error = 'error' in row ? row.error : 'HOST_UNREACHABLE: timeout';

    // Act
    const plan = planFence(old, error, kind);

    // Assess
    expect(plan.action).toBe(action);
    expect(plan.reasons.join(' | ')).toContain(reason);
  });
});

describe('planRestore', () => {
  const primaryActive: GroupState = { active: 'primary' };
  const twinActive: GroupState = { active: 'twin', lastFailoverAt: '2026-05-01T11:00:00Z' };
  const failedBackRecorded: GroupState = {
    active: 'primary',
    history: [{ at: '2026-05-01T11:00:00Z', from: 'primary', to: 'twin', forced: false, reasons: [], lost: {} }],
  };
  const NOT_STREAMING: DatabaseStatus = { ...REPLICA, streaming: false };
  const RUNNING_JOB: JobStatus = { state: 'running', token: 'replicate-1', logTail: [], progress: { bytesDone: 10, bytesTotal: 100 } };
  const ENDED_JOB: JobStatus = { state: 'succeeded', token: 'replicate-0', exitCode: 0, logTail: [] };

  it.each([
    { name: 'replica not streaming, primary active', state: primaryActive, twin: NOT_STREAMING, dns: 'primary' as const, job: undefined, action: 'restore', reason: 'twin is replica' },
    { name: 'replica streaming already', state: primaryActive, twin: REPLICA, dns: 'primary' as const, job: undefined, action: 'skip', reason: 'twin main already streams as a replica' },
    { name: 'stale standalone clone', state: primaryActive, twin: PRIMARY, dns: 'primary' as const, job: undefined, action: 'restore', reason: 'writable, a stale copy' },
    { name: 'stopped twin', state: primaryActive, twin: STOPPED, dns: undefined, job: undefined, action: 'restore', reason: 'twin is stopped' },
    { name: 'stopped twin, an earlier job ended', state: primaryActive, twin: STOPPED, dns: undefined, job: ENDED_JOB, action: 'restore', reason: 'twin is stopped' },
    { name: 'twin not observed', state: primaryActive, twin: undefined, dns: undefined, job: undefined, action: 'restore', reason: 'twin state not observed' },
    { name: 'a restore job is running (twin stopped meanwhile)', state: primaryActive, twin: STOPPED, dns: 'primary' as const, job: RUNNING_JOB, action: 'attach', reason: 'run replicate-1' },
    { name: 'a restore job is running, its replica already streams', state: primaryActive, twin: REPLICA, dns: 'primary' as const, job: RUNNING_JOB, action: 'attach', reason: 'attach to it, start none' },
    { name: 'twin is the active stack', state: twinActive, twin: PRIMARY, dns: 'twin' as const, job: undefined, action: 'refuse', reason: 'the twin is the active stack' },
    { name: 'twin active even while stopped', state: twinActive, twin: STOPPED, dns: undefined, job: undefined, action: 'refuse', reason: 'the twin is the active stack' },
    { name: 'twin active while a job runs', state: twinActive, twin: STOPPED, dns: undefined, job: RUNNING_JOB, action: 'refuse', reason: 'it is left alone, nothing new is started' },
    { name: 'DNS on the twin, state not recorded yet', state: primaryActive, twin: PRIMARY, dns: 'twin' as const, job: undefined, action: 'refuse', reason: 'DNS points at the twin' },
    { name: 'writable primary promoted by the last failover', state: failedBackRecorded, twin: PRIMARY, dns: undefined, job: undefined, action: 'refuse', reason: 'promoted by the failover at 2026-05-01T11:00:00Z' },
    { name: 'writable primary twinstack promoted, failover never recorded', state: primaryActive, twin: PROMOTED_PRIMARY, dns: 'primary' as const, job: undefined, action: 'refuse', reason: 'twin main is a writable primary twinstack promoted' },
    { name: 'read-only primary twinstack promoted: a stale copy', state: primaryActive, twin: PROMOTED_READ_ONLY_PRIMARY, dns: 'primary' as const, job: undefined, action: 'restore', reason: 'twin is primary' },
    { name: 'replica after the last failover was undone', state: failedBackRecorded, twin: NOT_STREAMING, dns: 'primary' as const, job: undefined, action: 'restore', reason: 'twin is replica' },
  ])('$name → $action', ({ state, twin, dns, job, action, reason }) => {
    // Act
    const plan = planRestore({ state, twin, database: 'main', ...(dns && { dnsPointsAt: dns }), ...(job && { job }) });

    // Assess
    expect(plan.action).toBe(action);
    expect(plan.reasons.join(' | ')).toContain(reason);
  });

  it('names each reason of a promoted twin once, with DNS on it too', () => {
    // Act
    const plan = planRestore({ state: failedBackRecorded, twin: PROMOTED_PRIMARY, dnsPointsAt: 'twin', database: 'main' });

    // Assess
    expect(plan.action).toBe('refuse');
    expect(plan.reasons).toHaveLength(2);
    expect(plan.reasons.join(' | ')).toMatch(/DNS points at the twin.*promoted by the failover/);
  });
});
