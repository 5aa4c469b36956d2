/**
 * Pure: how long writes were unavailable around a planned switch of traffic.
 *
 * Definition (the README repeats it): for one database, an attempt "committed there"
 * when the app acknowledged it or refused it without naming that database; the window
 * of a switch is last committed attempt before the first attempt that did not commit
 * (at or after the switch's start, before its end plus `settleMs`) → first committed
 * attempt after the last such failure. With no failure in that span, the window is the
 * longest gap between consecutive committed attempts in it. Overall: the same over
 * acknowledged attempts (every database committed).
 */
import type { WriteAttempt } from './drill-writer.ts';

export interface UnavailabilityWindow {
  readonly fromAt: number | null;
  readonly toAt: number | null;
  /** null: no committed write on one side of the failures (the window is open). */
  readonly ms: number | null;
  readonly failedAttempts: number;
}

function committed(attempt: WriteAttempt, database: string | undefined): boolean {
  if (database === undefined) return attempt.failed.length === 0;
  return !attempt.failed.includes('*') && !attempt.failed.includes(database);
}

export function unavailabilityWindow(attempts: readonly WriteAttempt[], span: { readonly fromAt: number; readonly toAt: number }, database?: string): UnavailabilityWindow {
  const inSpan = attempts.filter((a) => a.at >= span.fromAt && a.at <= span.toAt);
  const failures = inSpan.filter((a) => !committed(a, database));
  if (failures.length === 0) {
    const ok = inSpan.filter((a) => committed(a, database));
    let best: UnavailabilityWindow = { fromAt: null, toAt: null, ms: 0, failedAttempts: 0 };
    for (let i = 1; i < ok.length; i++) {
      const gap = ok[i]!.at - ok[i - 1]!.at;
      if (gap > (best.ms ?? 0)) best = { fromAt: ok[i - 1]!.at, toAt: ok[i]!.at, ms: gap, failedAttempts: 0 };
    }
    return best;
  }
  const firstFailure = failures[0]!.at;
  const lastFailure = failures[failures.length - 1]!.at;
  const before = [...attempts].reverse().find((a) => a.at < firstFailure && committed(a, database));
  const after = attempts.find((a) => a.at > lastFailure && committed(a, database));
  return {
    fromAt: before?.at ?? null,
    toAt: after?.at ?? null,
    ms: before && after ? after.at - before.at : null,
    failedAttempts: attempts.filter((a) => a.at >= firstFailure && a.at <= lastFailure && !committed(a, database)).length,
  };
}
