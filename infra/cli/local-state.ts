/**
 * The local runtime's state as the CLI reads it: a state directory holding
 * parameters.json (groups' config, state, deploy state), zone.json (what the local
 * DNS answers), parameters.json.leases.json and executions/ (execution records).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FileParameterStore } from '../../functions/adapters/local/file.parameter-store.ts';
import type { FailoverGroup } from '../../functions/core/model.ts';
import { PARAMETER_ROOT, parameterNames } from '../../functions/core/parameter-names.ts';
import { CliInputError } from './cli-io.ts';

/** Where `--local` looks when `--state-dir` is not given: `twinstack serve`'s default, then the drill's. */
export const DEFAULT_STATE_DIRS = ['.twinstack/state', 'drill-report/state'] as const;

export interface LocalState {
  readonly dir: string;
  readonly parameterFile: string;
  readonly zoneFile: string;
  readonly leaseFile: string;
  readonly params: FileParameterStore;
}

/** The state dir to use; CliInputError (nothing done) when there is none. */
export function openLocalState(explicit: string | undefined, cwd = process.cwd()): LocalState {
  const candidates = explicit !== undefined ? [explicit] : [...DEFAULT_STATE_DIRS];
  const dir = candidates.map((c) => resolve(cwd, c)).find((c) => existsSync(join(c, 'parameters.json')));
  if (!dir) {
    throw new CliInputError(
      explicit !== undefined ? `no local state in ${explicit} (no parameters.json)` : `no local state (looked in ${DEFAULT_STATE_DIRS.join(' and ')})`,
      explicit !== undefined ? 'pass the --state-dir of a local runtime (the drill\'s is drill-report/state), or run `npm run drill` first' : 'run `npm run drill` (or `twinstack serve`) first, or pass --state-dir DIR',
    );
  }
  const parameterFile = join(dir, 'parameters.json');
  return { dir, parameterFile, zoneFile: join(dir, 'zone.json'), leaseFile: `${parameterFile}.leases.json`, params: new FileParameterStore(parameterFile) };
}

/** Names of every group with a config in the state, sorted. */
export async function localGroupNames(state: LocalState): Promise<string[]> {
  const all = await state.params.getByPath(PARAMETER_ROOT);
  return Object.keys(all)
    .map((name) => /^\/twinstack\/([^/]+)\/config$/.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .sort();
}

/** The group's config; CliInputError naming the known groups when it is unknown. */
export async function localGroup(state: LocalState, name: string): Promise<FailoverGroup> {
  const raw = await state.params.get(parameterNames.config(name));
  if (raw === undefined) {
    const known = await localGroupNames(state);
    throw new CliInputError(`unknown group ${JSON.stringify(name)} in ${state.dir}`, known.length ? `use one of: ${known.join(', ')}` : 'provision a group first (`npm run drill`)');
  }
  return JSON.parse(raw) as FailoverGroup;
}

/** The groups to show: the one named, or every group. */
export async function selectGroups(state: LocalState, name: string | undefined): Promise<FailoverGroup[]> {
  if (name !== undefined) return [await localGroup(state, name)];
  const names = await localGroupNames(state);
  if (names.length === 0) throw new CliInputError(`no group in ${state.dir}`, 'run `npm run drill` first, or pass --state-dir DIR');
  return Promise.all(names.map((n) => localGroup(state, n)));
}

/** The drill summary next to a drill's state dir (`<report>/summary.json`), when there is one, with its write time. */
export function readDrillSummary(state: LocalState): { summary: DrillSummaryLike; writtenAt: number } | undefined {
  const file = join(dirname(state.dir), 'summary.json');
  try {
    return { summary: JSON.parse(readFileSync(file, 'utf8')) as DrillSummaryLike, writtenAt: statSync(file).mtimeMs };
  } catch {
    return undefined;
  }
}

export interface DrillSummaryLike {
  readonly ok?: boolean;
  readonly rtoMs?: number | null;
  readonly lost?: number;
  readonly acknowledged?: number;
  readonly databases?: ReadonlyArray<{ readonly name: string; readonly lost: number; readonly acknowledged: number }>;
}

/** Leases in the lease file (unexpired ones), by key. */
export function readLeases(state: LocalState, now: number): Record<string, { holder: string; expiresAt: number }> {
  try {
    const leases = JSON.parse(readFileSync(state.leaseFile, 'utf8')) as Record<string, { holder: string; expiresAt: number }>;
    return Object.fromEntries(Object.entries(leases).filter(([, l]) => l && l.expiresAt > now));
  } catch {
    return {};
  }
}
