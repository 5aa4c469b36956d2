/**
 * What `--wait` prints for a restore job as the workflow polls it: bytes done of the
 * total, the percentage and an ETA from the rate between two polls. Pure: samples in,
 * a line out.
 */
import { formatBytes } from '../../functions/core/decisions/format-bytes.ts';

export interface ProgressSample {
  readonly at: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** `restore of main: 1.2 GiB of 3.0 GiB (40%), 25.0 MiB/s, ETA 1 min 13 s`; rate and ETA only with a previous sample that moved. */
export function describeRestoreProgress(database: string, now: ProgressSample, previous?: ProgressSample): string {
  const of = now.bytesTotal > 0 ? ` of ${formatBytes(now.bytesTotal)} (${Math.min(100, Math.floor((now.bytesDone / now.bytesTotal) * 100))}%)` : ' (total unknown)';
  const seconds = previous ? (now.at - previous.at) / 1000 : 0;
  const rate = seconds > 0 ? (now.bytesDone - (previous?.bytesDone ?? 0)) / seconds : 0;
  const left = now.bytesTotal - now.bytesDone;
  const eta = rate > 0 && now.bytesTotal > 0 && left > 0 ? `, ETA ${formatSeconds(left / rate)}` : '';
  return `restore of ${database}: ${formatBytes(now.bytesDone)}${of}${rate > 0 ? `, ${formatBytes(Math.round(rate))}/s` : ''}${eta}`;
}

function formatSeconds(total: number): string {
  const s = Math.ceil(total);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
