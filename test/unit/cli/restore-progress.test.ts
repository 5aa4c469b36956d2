import { describe, expect, it } from 'vitest';
import { describeRestoreProgress } from '../../../infra/cli/restore-progress.ts';

const MiB = 1024 * 1024;

describe('describeRestoreProgress', () => {
  it.each([
    { name: 'first poll: done of total, no rate yet', now: { at: 10_000, bytesDone: 100 * MiB, bytesTotal: 400 * MiB }, previous: undefined, text: 'restore of main: 100.0 MiB of 400.0 MiB (25%)' },
    { name: 'a later poll: rate and ETA', now: { at: 20_000, bytesDone: 200 * MiB, bytesTotal: 400 * MiB }, previous: { at: 10_000, bytesDone: 100 * MiB, bytesTotal: 400 * MiB }, text: 'restore of main: 200.0 MiB of 400.0 MiB (50%), 10.0 MiB/s, ETA 20 s' },
    { name: 'a long restore: ETA in minutes', now: { at: 60_000, bytesDone: 1024 * MiB, bytesTotal: 10 * 1024 * MiB }, previous: { at: 0, bytesDone: 424 * MiB, bytesTotal: 10 * 1024 * MiB }, text: '(10%), 10.0 MiB/s, ETA 15 min 22 s' },
    { name: 'total unknown: no percentage, no ETA', now: { at: 2_000, bytesDone: 5 * MiB, bytesTotal: 0 }, previous: { at: 0, bytesDone: 1 * MiB, bytesTotal: 0 }, text: 'restore of main: 5.0 MiB (total unknown), 2.0 MiB/s' },
    { name: 'no movement: no rate', now: { at: 4_000, bytesDone: 5 * MiB, bytesTotal: 10 * MiB }, previous: { at: 2_000, bytesDone: 5 * MiB, bytesTotal: 10 * MiB }, text: 'restore of main: 5.0 MiB of 10.0 MiB (50%)' },
  ])('$name', ({ now, previous, text }) => {
    // Act
    const line = describeRestoreProgress('main', now, previous);

    // Assess
    expect(line).toContain(text);
    if (previous === undefined || now.bytesTotal === 0) expect(line).not.toContain('ETA');
  });
});
