/**
 * Pure: turns what the drill observed into its summary. No clock, no I/O.
 *
 * Definitions (the README repeats them):
 * - rtoMs: primary killed → first write acknowledged through the group's name after that;
 * - detectionMs: primary killed → alarm raised by the health prober;
 * - orchestrationMs: alarm → DNS switched and verified (VerifyDns succeeded);
 * - per database: acknowledged = writes the app acknowledged (it acknowledges a write only
 *   once every database of the stack committed it), lost = those its promoted twin lacks;
 * - per database: duplicated = write ids seen more than once, either acknowledged twice by
 *   the writer or read back twice from the database (`idListsRead`);
 * - acknowledged, lost, duplicated: the sums over the databases.
 *
 * One verdict: a summary's `ok` IS its `passed` (the scenario's property held; for
 * kill-primary that is exactly the failover invariants). The failover-shaped checks
 * stay as named fields (`failoverInvariantsHeld`, `dnsMoved`), never as `ok`.
 */
export interface DrillObservations {
  readonly killAt: number;
  readonly alarmAt?: number;
  readonly dnsVerifiedAt?: number;
  readonly acknowledged: ReadonlyArray<{ readonly id: number; readonly at: number }>;
  /** Per database name: the ids its promoted twin holds. */
  readonly idsOnPromotedTwin: Readonly<Record<string, ReadonlySet<number>>>;
  /** Per database name: every id read back, in read order, repeats kept (for duplicates). */
  readonly idListsRead?: Readonly<Record<string, readonly number[]>>;
  readonly dnsBefore?: string;
  readonly dnsAfter?: string;
  /** SUCCEEDED (failed over), HELD (the decision held) or FAILED. */
  readonly failoverStatus: string;
  /** The decision's reasons (a hold's), or the failure. */
  readonly failoverReasons?: readonly string[];
  readonly databases: readonly DrillDatabaseVerdict[];
  readonly deploy?: DrillDeploySummary;
  /** Faults met while measuring (e.g. the read-back), reported rather than thrown. */
  readonly errors?: readonly string[];
  readonly wallMs: number;
  /** The writer's attempts per wall-clock second and the DNS answers it resolved (drill-writer.ts). */
  readonly writer?: {
    readonly seconds: ReadonlyArray<{ readonly second: number; readonly acknowledged: number; readonly failed: number }>;
    readonly dnsAnswers: ReadonlyArray<{ readonly answer: string | null; readonly fromAt: number; readonly toAt: number; readonly queries: number }>;
  };
}

/**
 * Writes acknowledged and failed in one wall-clock second: `second` counts from the second
 * the primary died (0; negative before), `fromMs` is where that second starts, in ms from the kill.
 */
export interface WritesInSecond {
  readonly second: number;
  readonly fromMs: number;
  readonly acknowledged: number;
  readonly failed: number;
}

/** A run of the writer's DNS queries with the same answer, in ms from the kill (null answer: the query failed). */
export interface DnsAnswerSpan {
  readonly answer: string | null;
  readonly fromMs: number;
  readonly toMs: number;
  readonly queries: number;
}

export interface DrillDeploySummary {
  readonly revision: string;
  /** Signed push sent → deploy workflow ended. */
  readonly durationMs: number;
  /** stack → revision it records as deployed. */
  readonly deployed: Readonly<Record<string, string | undefined>>;
  /** stack → image ID (`sha256:…`) it runs after the deploy. */
  readonly images: Readonly<Record<string, string | undefined>>;
  /** Build once, ship (slowest host), compose up (slowest host). */
  readonly phases?: { readonly buildMs: number; readonly shipMs: number; readonly startMs: number };
}

/** What the failover decided for one database. */
export interface DrillDatabaseVerdict {
  readonly name: string;
  readonly engine: string;
  readonly mode: string;
  readonly promoted: boolean;
  /** What the decision estimated promoting would lose, in `lagUnit` (null: unknowable). */
  readonly loss: number | null;
  readonly lagUnit: string;
  /** The decision's reasons for this database. */
  readonly reasons: readonly string[];
}

export interface DrillDatabaseResult extends DrillDatabaseVerdict {
  readonly acknowledged: number;
  readonly lost: number;
  readonly lostIds: readonly number[];
  readonly duplicated: number;
  readonly duplicatedIds: readonly number[];
}

/** What the drill measured, before the scenario's property is judged (`check` sees this). */
export interface DrillMeasurement {
  /** Why the drill failed before it measured a failover (only then). */
  readonly error?: string;
  /**
   * The failover invariants: the failover SUCCEEDED, DNS moved, an RTO was measured, no
   * acknowledged write lost or duplicated, no measuring error. A scenario that does not
   * fail over (switchover-and-back) may pass with this false.
   */
  readonly failoverInvariantsHeld: boolean;
  /** The group's name answers another address at the end than at the start. */
  readonly dnsMoved: boolean;
  readonly failoverStatus: string;
  readonly failoverReasons: readonly string[];
  readonly rtoMs: number | null;
  readonly detectionMs: number | null;
  readonly orchestrationMs: number | null;
  readonly acknowledged: number;
  readonly acknowledgedAfterFailover: number;
  readonly lost: number;
  readonly lostIds: readonly number[];
  /** Write ids seen twice (summed over the databases), and the first 50 of them. */
  readonly duplicated: number;
  readonly duplicatedIds: readonly number[];
  readonly dnsBefore: string | null;
  readonly dnsAfter: string | null;
  readonly databases: readonly DrillDatabaseResult[];
  readonly deploy: DrillDeploySummary | null;
  readonly errors: readonly string[];
  readonly wallMs: number;
  /** Acknowledged / failed writes per second, relative to the kill. */
  readonly writesPerSecond: readonly WritesInSecond[];
  /** What the group's name answered over time, relative to the kill. */
  readonly dnsAnswers: readonly DnsAnswerSpan[];
}

/** The drill's clone phase (`--clone`): clone-stack built the twin from the primary. */
export interface DrillCloneFigures {
  /** The clone-stack execution, start to end. */
  readonly durationMs: number;
  /** Hosts the twin got. */
  readonly hosts: number;
  /** The twin stack's name. */
  readonly twin: string;
}

/** The drill's summary: what it measured and the one verdict, `ok === passed`. */
export interface DrillSummary extends DrillMeasurement {
  /** Always equal to `passed`: one verdict for every reader (kept for readers of older summaries). */
  readonly ok: boolean;
  /** The scenario's property held (the exit code is 0 only then). */
  readonly passed: boolean;
  /** The scenario that ran (drill-cli's --scenario), the sentence that must hold, and why it held or not. */
  readonly scenario?: string;
  readonly property?: string;
  readonly propertyReasons: readonly string[];
  /** With `--clone` (absent without it). */
  readonly clone?: DrillCloneFigures;
}

/** Pure: the measurement with its verdict; `ok` and `passed` are one value by construction. */
export function withVerdict(
  measured: DrillMeasurement,
  verdict: { readonly passed: boolean; readonly reasons: readonly string[] },
  extra: { readonly scenario?: string; readonly property?: string; readonly clone?: DrillCloneFigures } = {},
): DrillSummary {
  return { ...measured, ok: verdict.passed, passed: verdict.passed, propertyReasons: verdict.reasons, ...extra };
}

/** Pure: the writer's wall-clock series made relative to the kill (seconds with no attempt are filled with zeros). */
export function writerSeriesFromKill(killAt: number, writer: DrillObservations['writer']): Pick<DrillSummary, 'writesPerSecond' | 'dnsAnswers'> {
  if (!writer) return { writesPerSecond: [], dnsAnswers: [] };
  const killSecond = Math.floor(killAt / 1000);
  const bySecond = new Map(writer.seconds.map((s) => [s.second - killSecond, s]));
  const keys = [...bySecond.keys()];
  const writesPerSecond: WritesInSecond[] = [];
  if (keys.length > 0) {
    const first = Math.min(...keys);
    const last = Math.min(Math.max(...keys), first + 3600);
    for (let s = first; s <= last; s++) writesPerSecond.push({ second: s, fromMs: (killSecond + s) * 1000 - killAt, acknowledged: bySecond.get(s)?.acknowledged ?? 0, failed: bySecond.get(s)?.failed ?? 0 });
  }
  return { writesPerSecond, dnsAnswers: writer.dnsAnswers.map((r) => ({ answer: r.answer, fromMs: r.fromAt - killAt, toMs: r.toAt - killAt, queries: r.queries })) };
}

/** The summary of a drill that failed before a failover could be measured: not passed (`ok: false`), with the error. */
export function summarizeFailedDrill(o: { readonly error: string; readonly wallMs: number }): DrillSummary {
  return withVerdict(failedMeasurement(o), { passed: false, reasons: [`FAILED: the drill could not run: ${o.error}`] });
}

function failedMeasurement(o: { readonly error: string; readonly wallMs: number }): DrillMeasurement {
  return {
    error: o.error,
    failoverInvariantsHeld: false,
    dnsMoved: false,
    failoverStatus: 'NOT_RUN',
    failoverReasons: [],
    rtoMs: null,
    detectionMs: null,
    orchestrationMs: null,
    acknowledged: 0,
    acknowledgedAfterFailover: 0,
    lost: 0,
    lostIds: [],
    duplicated: 0,
    duplicatedIds: [],
    dnsBefore: null,
    dnsAfter: null,
    databases: [],
    deploy: null,
    errors: [o.error],
    wallMs: o.wallMs,
    writesPerSecond: [],
    dnsAnswers: [],
  };
}

export function summarizeDrill(o: DrillObservations): DrillMeasurement {
  const firstAckAfterKill = o.acknowledged.find((a) => a.at > o.killAt);
  const databases: DrillDatabaseResult[] = o.databases.map((db) => {
    const held = o.idsOnPromotedTwin[db.name] ?? new Set<number>();
    const missing = o.acknowledged.filter((a) => !held.has(a.id)).map((a) => a.id);
    const twice = [...new Set([...duplicatesOf(o.acknowledged.map((a) => a.id)), ...duplicatesOf(o.idListsRead?.[db.name] ?? [])])].sort((a, b) => a - b);
    return { ...db, acknowledged: o.acknowledged.length, lost: missing.length, lostIds: missing.slice(0, 50), duplicated: twice.length, duplicatedIds: twice.slice(0, 50) };
  });
  const lostIds = [...new Set(databases.flatMap((db) => db.lostIds))].sort((a, b) => a - b);
  const lost = databases.reduce((sum, db) => sum + db.lost, 0);
  const rtoMs = firstAckAfterKill ? firstAckAfterKill.at - o.killAt : null;
  const switched = o.dnsBefore !== undefined && o.dnsAfter !== undefined && o.dnsBefore !== o.dnsAfter;
  return {
    failoverInvariantsHeld: o.failoverStatus === 'SUCCEEDED' && switched && lost === 0 && databases.every((db) => db.duplicated === 0) && rtoMs !== null && (o.errors ?? []).length === 0,
    dnsMoved: switched,
    failoverStatus: o.failoverStatus,
    failoverReasons: o.failoverReasons ?? [],
    rtoMs,
    detectionMs: o.alarmAt === undefined ? null : o.alarmAt - o.killAt,
    orchestrationMs: o.alarmAt === undefined || o.dnsVerifiedAt === undefined ? null : o.dnsVerifiedAt - o.alarmAt,
    acknowledged: databases.reduce((sum, db) => sum + db.acknowledged, 0),
    acknowledgedAfterFailover: o.acknowledged.filter((a) => a.at > o.killAt).length,
    lost,
    lostIds: lostIds.slice(0, 50),
    duplicated: databases.reduce((sum, db) => sum + db.duplicated, 0),
    duplicatedIds: [...new Set(databases.flatMap((db) => db.duplicatedIds))].sort((a, b) => a - b).slice(0, 50),
    dnsBefore: o.dnsBefore ?? null,
    dnsAfter: o.dnsAfter ?? null,
    databases,
    deploy: o.deploy ?? null,
    errors: o.errors ?? [],
    wallMs: o.wallMs,
    ...writerSeriesFromKill(o.killAt, o.writer),
  };
}

/** Pure: the ids that occur more than once in `ids`, each once, in order of their second occurrence. */
export function duplicatesOf(ids: readonly number[]): number[] {
  const seen = new Set<number>();
  const twice = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) twice.add(id);
    else seen.add(id);
  }
  return [...twice];
}

/** What the failover execution did: failed over, held (with the decision's reasons), or failed (with its error). */
export function failoverOutcomeOf(result: { readonly status: string; readonly output?: unknown; readonly error?: string; readonly cause?: string }): { status: 'SUCCEEDED' | 'HELD' | 'FAILED'; failedOver: boolean; reasons: string[] } {
  type Decision = { action?: string; reasons?: string[] };
  const output = (result.output ?? {}) as { outcome?: string; decision?: Decision } & Decision;
  if (result.status !== 'SUCCEEDED') return { status: 'FAILED', failedOver: false, reasons: [`${result.error ?? 'Error'}: ${result.cause ?? ''}`.trim()] };
  // A held execution's output is its decision itself (the Held state's OutputPath), a failed-over one's carries it.
  const decision = output.decision ?? (output.action !== undefined ? output : undefined);
  if (output.outcome === 'held' || decision?.action === 'hold') return { status: 'HELD', failedOver: false, reasons: decision?.reasons ?? ['the failover workflow held'] };
  return { status: 'SUCCEEDED', failedOver: true, reasons: decision?.reasons ?? [] };
}
