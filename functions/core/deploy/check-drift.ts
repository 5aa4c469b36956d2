/**
 * CheckDrift's decision: do all stacks of the group run the same revision and the same image?
 *
 * Invariant: `inSync` only when every stack has a successful record (status
 * `deployed`), all of them name the same revision, and — when any stack records an
 * image, or a target image is given — all of them record the same image ID (the target's);
 * otherwise `reasons` says which stack is behind, ahead, failed or on another image (the drift report).
 */
import { shortRevision, type DeployState } from './deploy-state.ts';

export interface DriftReport {
  readonly inSync: boolean;
  /** Stack name → the revision it runs (undefined: never deployed). */
  readonly revisions: Readonly<Record<string, string | null>>;
  /** Stack name → the image ID it runs (null: none recorded). */
  readonly images: Readonly<Record<string, string | null>>;
  readonly failed: readonly string[];
  readonly reasons: readonly string[];
}

export function checkDrift(stackNames: readonly string[], state: DeployState, target?: string, targetImage?: string): DriftReport {
  const revisions: Record<string, string | null> = {};
  const images: Record<string, string | null> = {};
  const failed: string[] = [];
  const reasons: string[] = [];
  for (const name of stackNames) {
    const record = state.stacks[name];
    revisions[name] = record?.deployed ?? null;
    images[name] = record?.image ?? null;
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
  const distinctImages = new Set(Object.values(images));
  const imagesMatter = targetImage !== undefined || [...distinctImages].some((i) => i !== null);
  if (imagesMatter && distinctImages.size > 1) {
    reasons.push(`stacks run different images: ${stackNames.map((n) => `${n} ${shortImage(images[n])}`).join(', ')}`);
  }
  if (targetImage !== undefined) {
    for (const name of stackNames) {
      if (images[name] !== targetImage && record(state, name)) reasons.push(`${name} does not run the built image ${shortImage(targetImage)} (runs ${shortImage(images[name])})`);
    }
  }
  const imagesInSync = !imagesMatter || (distinctImages.size === 1 && !distinctImages.has(null) && (targetImage === undefined || distinctImages.has(targetImage)));
  const inSync = failed.length === 0 && distinct.size === 1 && !distinct.has(null) && (target === undefined || distinct.has(target)) && imagesInSync;
  const image = imagesMatter ? ` (image ${shortImage([...distinctImages][0])})` : '';
  return { inSync, revisions, images, failed, reasons: inSync ? [`every stack runs ${shortRevision([...distinct][0] ?? undefined)}${image}`] : dedupe(reasons) };
}

/** `sha256:0123456789ab` for display. */
function shortImage(image: string | null | undefined): string {
  return image ? image.slice(0, 19) : 'no image';
}

function record(state: DeployState, name: string): boolean {
  return state.stacks[name]?.deployed !== undefined;
}

function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}
