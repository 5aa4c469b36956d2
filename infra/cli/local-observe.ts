/**
 * Observe a group now through the local runtime: the real AssessFailover and
 * DecideFailover step handlers with the local step deps (they observe over SSH), or,
 * when the hosts are gone, the last observations the replication checks stored.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { formatByteSize } from '../../functions/core/config/byte-size.ts';
import type { FailoverDecision, FailoverSnapshot } from '../../functions/core/decisions/failover-snapshot.ts';
import { formatLag, type LagUnit } from '../../functions/core/engines/lag-unit.ts';
import type { PrimaryObservation } from '../../functions/core/group-state.ts';
import type { FailoverGroup } from '../../functions/core/model.ts';
import type { ParameterStore } from '../../functions/core/ports.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { createHandler as createAssess } from '../../functions/handlers/assess-failover.handler.ts';
import { createHandler as createDecide } from '../../functions/handlers/decide-failover.handler.ts';
import type { LocalState } from './local-state.ts';

export const DEFAULT_LOCAL_DNS = { address: '127.0.3.1', port: 10053 } as const;

export interface DatabaseView {
  readonly name: string;
  readonly mode: string;
  /** Role of the database on the primary stack and on the twin (or why it could not be read). */
  readonly primaryRole: string;
  readonly twinRole: string;
  readonly lag: number | null;
  readonly lagUnit: LagUnit;
  /** `1.2 MiB`, `3 transactions`, … or `unknown`. */
  readonly lagText: string;
  readonly lagBound?: string;
  readonly promotable: boolean | null;
  readonly reasons: readonly string[];
  readonly lastObservation?: PrimaryObservation;
}

export interface GroupObservation {
  /** live: the step handlers observed over SSH now; last-observation: the hosts did not answer, the stored observations are shown. */
  readonly source: 'live' | 'last-observation' | 'not-observed';
  readonly detail: string;
  readonly snapshot?: FailoverSnapshot;
  readonly decision?: FailoverDecision;
  readonly databases: readonly DatabaseView[];
}

export function lagText(lag: number | null | undefined, unit: LagUnit): string {
  if (lag === null || lag === undefined) return 'unknown';
  return unit === 'bytes' ? formatByteSize(lag) : formatLag(lag, unit);
}

/** A logger that writes nothing: the CLI's stdout is its own (and --json must stay JSON). */
export function silentLogger(): Logger {
  return new Logger({ serviceName: 'twinstack-cli', logLevel: 'SILENT' });
}

/** The last observation of each database's primary that the replication checks stored (any ParameterStore: the local file, SSM). */
export async function lastObservations(params: Pick<ParameterStore, 'get'>, group: FailoverGroup): Promise<Record<string, PrimaryObservation | undefined>> {
  return Object.fromEntries(
    await Promise.all(
      group.databases.map(async (db) => {
        const raw = await params.get(parameterNames.observation(group.name, db.name));
        return [db.name, raw === undefined ? undefined : (JSON.parse(raw) as PrimaryObservation)] as const;
      }),
    ),
  );
}

/** Pure: snapshot + decision → one view per database. */
export function databaseViews(snapshot: FailoverSnapshot, decision: FailoverDecision | undefined, last: Readonly<Record<string, PrimaryObservation | undefined>>): DatabaseView[] {
  return snapshot.databases.map((db) => {
    const verdict = decision?.databases.find((v) => v.name === db.name);
    return {
      name: db.name,
      mode: db.mode,
      primaryRole: db.primary ? `${db.primary.role}${db.primary.writable ? '' : ' (read-only)'}` : 'unreachable',
      twinRole: db.twin ? `${db.twin.role}${db.twin.role === 'replica' ? (db.twin.streaming ? ', streaming' : ', not streaming') : ''}` : 'unreachable',
      lag: db.lag ?? null,
      lagUnit: db.lagUnit,
      lagText: lagText(db.lag, db.lagUnit),
      ...(db.lagBound ? { lagBound: db.lagBound } : {}),
      promotable: verdict ? verdict.action !== 'blocked' : null,
      reasons: verdict?.reasons ?? [],
      ...(last[db.name] ? { lastObservation: last[db.name] } : {}),
    };
  });
}

/** Pure: one view per database when nothing was observed now (roles unknown), with the last stored observations. */
export function unobservedDatabases(group: FailoverGroup, last: Readonly<Record<string, PrimaryObservation | undefined>>): DatabaseView[] {
  return group.databases.map((db) => ({
    name: db.name,
    mode: db.replication.mode,
    primaryRole: 'not observed',
    twinRole: 'not observed',
    lag: null,
    lagUnit: 'bytes',
    lagText: 'unknown',
    promotable: null,
    reasons: [],
    ...(last[db.name] ? { lastObservation: last[db.name] } : {}),
  }));
}

/** Runs AssessFailover + DecideFailover (read-only: neither acts) within `timeoutMs`. */
export async function observeGroup(state: LocalState, group: FailoverGroup, options: { readonly timeoutMs?: number; readonly force?: boolean; readonly live?: boolean } = {}): Promise<GroupObservation> {
  const last = await lastObservations(state.params, group);
  const fallback = (source: GroupObservation['source'], detail: string): GroupObservation => ({ source, detail, databases: unobservedDatabases(group, last) });
  if (options.live === false) return fallback('not-observed', 'not observed (--no-observe); last observations shown');
  const { createLocalStepDeps } = await import('../local/runtime/local-step-deps.ts');
  const deps = createLocalStepDeps({ parameterFile: state.parameterFile, zoneFile: state.zoneFile, dnsServer: DEFAULT_LOCAL_DNS, leaseFile: state.leaseFile, logger: silentLogger() });
  let timer: NodeJS.Timeout | undefined;
  try {
    const observed = (async () => {
      const snapshot = await createAssess(deps)({ group: group.name, ...(options.force ? { force: true } : {}) });
      const decision = await createDecide(deps)({ snapshot });
      return { snapshot, decision };
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${options.timeoutMs ?? 15_000} ms`)), options.timeoutMs ?? 15_000);
    });
    const { snapshot, decision } = await Promise.race([observed, timeout]);
    const reached = snapshot.databases.some((d) => d.primary !== undefined || d.twin !== undefined);
    return {
      source: reached || snapshot.databases.length === 0 ? 'live' : 'last-observation',
      detail: reached
        ? `observed live over SSH at ${snapshot.observedAt} (AssessFailover + DecideFailover)`
        : `no host answered over SSH at ${snapshot.observedAt}: showing the last observations stored by the replication checks`,
      snapshot,
      decision,
      databases: databaseViews(snapshot, decision, last),
    };
  } catch (error) {
    return fallback('last-observation', `could not observe live (${error instanceof Error ? error.message : String(error)}): showing the last observations`);
  } finally {
    clearTimeout(timer);
  }
}
