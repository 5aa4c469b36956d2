/**
 * Pure: turns what the drill observed into its summary. No clock, no I/O.
 *
 * Definitions (the README repeats them):
 * - rtoMs: primary killed → first write acknowledged through the group's name after that;
 * - detectionMs: primary killed → alarm raised by the health prober;
 * - orchestrationMs: alarm → DNS switched and verified (VerifyDns succeeded);
 * - lost: acknowledged ids that the promoted twin does not have.
 */
export interface DrillObservations {
  readonly killAt: number;
  readonly alarmAt?: number;
  readonly dnsVerifiedAt?: number;
  readonly acknowledged: ReadonlyArray<{ readonly id: number; readonly at: number }>;
  readonly idsOnPromotedTwin: ReadonlySet<number>;
  readonly dnsBefore?: string;
  readonly dnsAfter?: string;
  readonly failoverStatus: string;
  readonly databases: readonly DrillDatabaseResult[];
  readonly deploy?: DrillDeploySummary;
  readonly wallMs: number;
}

export interface DrillDeploySummary {
  readonly revision: string;
  /** Signed push sent → deploy workflow ended. */
  readonly durationMs: number;
  /** stack → revision it records as deployed. */
  readonly deployed: Readonly<Record<string, string | undefined>>;
}

export interface DrillDatabaseResult {
  readonly name: string;
  readonly engine: string;
  readonly mode: string;
  readonly promoted: boolean;
  /** What the decision estimated promoting would lose (null: unknowable). */
  readonly lossBytes: number | null;
  /** The decision's reasons for this database. */
  readonly reasons: readonly string[];
}

export interface DrillSummary {
  readonly ok: boolean;
  readonly failoverStatus: string;
  readonly rtoMs: number | null;
  readonly detectionMs: number | null;
  readonly orchestrationMs: number | null;
  readonly acknowledged: number;
  readonly acknowledgedAfterFailover: number;
  readonly lost: number;
  readonly lostIds: readonly number[];
  readonly dnsBefore: string | null;
  readonly dnsAfter: string | null;
  readonly databases: readonly DrillDatabaseResult[];
  readonly deploy: DrillDeploySummary | null;
  readonly wallMs: number;
}

export function summarizeDrill(o: DrillObservations): DrillSummary {
  const firstAckAfterKill = o.acknowledged.find((a) => a.at > o.killAt);
  const lostIds = o.acknowledged.filter((a) => !o.idsOnPromotedTwin.has(a.id)).map((a) => a.id);
  const rtoMs = firstAckAfterKill ? firstAckAfterKill.at - o.killAt : null;
  const switched = o.dnsBefore !== undefined && o.dnsAfter !== undefined && o.dnsBefore !== o.dnsAfter;
  return {
    ok: o.failoverStatus === 'SUCCEEDED' && switched && lostIds.length === 0 && rtoMs !== null,
    failoverStatus: o.failoverStatus,
    rtoMs,
    detectionMs: o.alarmAt === undefined ? null : o.alarmAt - o.killAt,
    orchestrationMs: o.alarmAt === undefined || o.dnsVerifiedAt === undefined ? null : o.dnsVerifiedAt - o.alarmAt,
    acknowledged: o.acknowledged.length,
    acknowledgedAfterFailover: o.acknowledged.filter((a) => a.at > o.killAt).length,
    lost: lostIds.length,
    lostIds: lostIds.slice(0, 50),
    dnsBefore: o.dnsBefore ?? null,
    dnsAfter: o.dnsAfter ?? null,
    databases: o.databases,
    deploy: o.deploy ?? null,
    wallMs: o.wallMs,
  };
}
