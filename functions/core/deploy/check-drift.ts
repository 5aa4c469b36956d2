/**
 * CheckDrift's decision: do all stacks of the group run the same revision?
 *
 * Invariant: `inSync` only when every stack has a successful record (status
 * `deployed`) and all of them name the same revision; otherwise `reasons` says
 * which stack is behind, ahead or failed (the drift report).
 */
import { shortRevision, type DeployState } from './deploy-state.ts';

export interface DriftReport {
  readonly inSync: boolean;
  /** Stack name → the revision it runs (undefined: never deployed). */
  readonly revisions: Readonly<Record<string, string | null>>;
  readonly failed: readonly string[];
  readonly reasons: readonly string[];
}

export function checkDrift(stackNames: readonly string[], state: DeployState, target?: string): DriftReport {
  const revisions: Record<string, string | null> = {};
  const failed: string[] = [];
  const reasons: string[] = [];
  for (const name of stackNames) {
    const record = state.stacks[name];
    revisions[name] = record?.deployed ?? null;
    if (record?.status === 'failed') {
      failed.push(name);
      reasons.push(`${name} failed to deploy ${shortRevision(record.failedRevision)}: ${record.lastError ?? 'unknown error'}`);
    }
    if (!record?.deployed) reasons.push(`${name} has never been deployed`);
  }
  const distinct = new Set(Object.values(revisions));
  if (distinct.size > 1) {
    reasons.push(`stacks run different revisions: ${stackNames.map((n) => `${n} ${shortRevision(revisions[n] ?? undefined)}`).join(', ')}`);
  }
  if (target !== undefined) {
    for (const name of stackNames) {
      if (revisions[name] !== target && record(state, name)) reasons.push(`${name} is not at the target ${shortRevision(target)}`);
    }
  }
  const inSync = failed.length === 0 && distinct.size === 1 && !distinct.has(null) && (target === undefined || distinct.has(target));
  return { inSync, revisions, failed, reasons: inSync ? [`every stack runs ${shortRevision([...distinct][0] ?? undefined)}`] : dedupe(reasons) };
}

function record(state: DeployState, name: string): boolean {
  return state.stacks[name]?.deployed !== undefined;
}

function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}
