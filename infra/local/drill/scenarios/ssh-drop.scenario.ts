/**
 * ssh-drop: the primary dies; while the failover promotes the twin's databases, the
 * control plane's SSH connections to the twin's host are cut (its sshd port rejects
 * new connections with a reset for CUT_MS, and the connections already open are
 * aborted) the moment a twin database is seen promoted, i.e. after the promote command
 * ran and while the step still reads back the result. The step's retry must find the
 * database promoted and change nothing.
 *
 * Evidence of "no second promotion", engine by engine through the engine interface:
 * each promoted twin's forkPosition (PostgreSQL: the timeline switch; Redis: the
 * replication id change) read just before the cut and again at the end must be equal;
 * and a database whose step was retried reports `already-primary`.
 */
import { engineFor } from '../../../../functions/core/engines/engine-registry.ts';
import { databaseHost } from '../../../../functions/core/model.ts';
import { readStatus } from '../../../../functions/handlers/deps/observe-database.ts';
import type { RemoteShell } from '../../../../functions/core/ports.ts';
import { addDrillRule } from '../../chaos/iptables-rules.ts';
import { abortSockets, establishedTo } from '../../chaos/tcp-connections.ts';
import type { WorkflowEvent, WorkflowResult } from '../../runtime/run-workflow.ts';
import { verdictOf, type DrillScenario, type ScenarioContext, type ScenarioRun } from './drill-scenario.ts';
import { failoverConditions } from './failover-checks.ts';
import { awaitWritesAfter, killAndAwaitAlarm } from './kill-primary.scenario.ts';
import { SCENARIOS } from './scenario-catalog.ts';

const CUT_MS = 1_500;
const POLL_MS = 20;
const MAX_POLLS = 500;

export interface SshCut {
  readonly cutAtMs: number | null;
  readonly abortedConnections: number;
  /** Per database: its forkPosition when first seen promoted (before the cut), and at the end. */
  readonly forkPositions: Readonly<Record<string, { readonly atCut?: string; readonly atEnd?: string }>>;
  readonly seenPromoted: readonly string[];
}

export interface PromotionFigures {
  readonly retriesAfterCut: number;
  /** Per database: `promoted` or `already-primary` (PromoteDatabase's result). */
  readonly actions: Readonly<Record<string, string>>;
}

/** Pure: the retry was a no-op and nothing was promoted twice. */
export function sshDropConditions(cut: SshCut, promotion: PromotionFigures): Array<readonly [boolean, string]> {
  const changed = Object.entries(cut.forkPositions).filter(([, f]) => f.atCut !== undefined && f.atEnd !== f.atCut);
  const compared = Object.values(cut.forkPositions).filter((f) => f.atCut !== undefined).length;
  const already = Object.values(promotion.actions).filter((a) => a === 'already-primary').length;
  return [
    [cut.cutAtMs !== null, cut.cutAtMs === null ? 'the cut never happened (no twin database was seen promoted)' : `SSH to the twin cut ${cut.cutAtMs} ms into the failover after ${cut.seenPromoted.join(', ')} was seen promoted (${cut.abortedConnections} connections aborted)`],
    [promotion.retriesAfterCut >= 1, `${promotion.retriesAfterCut} promotion steps retried after the cut`],
    [already >= 1, `promotion results: ${Object.entries(promotion.actions).map(([db, a]) => `${db} ${a}`).join(', ')}`],
    [changed.length === 0, changed.length === 0 ? `fork position unchanged by the retry on ${compared} database(s) that report one` : `fork position moved (a second promotion): ${changed.map(([db, f]) => `${db} ${f.atCut} → ${f.atEnd}`).join(', ')}`],
  ];
}

async function forkPositionsOf(ctx: ScenarioContext, shell: RemoteShell, names: readonly string[]): Promise<Record<string, string | undefined>> {
  const entries = await Promise.all(
    ctx.group.databases
      .filter((db) => names.includes(db.name))
      .map(async (db) => [db.name, (await readStatus(shell, engineFor(db.engine), db, databaseHost(ctx.group.twin, db)).catch(() => undefined))?.forkPosition] as const),
  );
  return Object.fromEntries(entries);
}

/** Polls the twin's databases; the first one seen primary triggers the cut. */
async function cutWhenPromoted(ctx: ScenarioContext, failoverStart: number): Promise<{ cutAtMs: number | null; abortedConnections: number; seenPromoted: string[]; atCut: Record<string, string | undefined> }> {
  const shell = await ctx.deps.openShell(ctx.group.name);
  try {
    for (let poll = 0; poll < MAX_POLLS; poll++) {
      const statuses = await Promise.all(ctx.group.databases.map(async (db) => [db.name, await readStatus(shell, engineFor(db.engine), db, databaseHost(ctx.group.twin, db)).catch(() => undefined)] as const));
      const promoted = statuses.filter(([, s]) => s?.role === 'primary');
      if (promoted.length > 0) {
        const atCut = Object.fromEntries(promoted.map(([name, s]) => [name, s?.forkPosition]));
        const rule = addDrillRule({ scenario: 'ssh-drop', destination: ctx.group.twin.endpoint, protocol: 'tcp', destinationPort: ctx.sshPort, target: 'REJECT' });
        const cutAt = Date.now();
        const aborted = abortSockets(establishedTo(ctx.group.twin.endpoint, ctx.sshPort));
        ctx.timeline.mark(`SSH to the twin cut (${aborted} connections aborted; ${promoted.map(([n]) => n).join(', ')} seen promoted)`, cutAt);
        setTimeout(() => {
          rule.remove();
          ctx.timeline.mark('SSH to the twin restored');
        }, CUT_MS);
        return { cutAtMs: cutAt - failoverStart, abortedConnections: aborted, seenPromoted: promoted.map(([n]) => n), atCut };
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    return { cutAtMs: null, abortedConnections: 0, seenPromoted: [], atCut: {} };
  } finally {
    await shell.close().catch(() => undefined);
  }
}

export function promotionFiguresOf(result: WorkflowResult, cutAt: number | undefined): PromotionFigures {
  const promoted = ((result.output ?? {}) as { promoted?: Array<{ database?: string; action?: string }> }).promoted ?? [];
  return {
    retriesAfterCut: cutAt === undefined ? 0 : result.events.filter((e) => e.state === 'PromoteDatabase' && e.type === 'retry' && e.at.getTime() >= cutAt).length,
    actions: Object.fromEntries(promoted.map((p) => [p.database ?? '?', p.action ?? '?'])),
  };
}

export const sshDropScenario: DrillScenario = {
  spec: SCENARIOS['ssh-drop'],
  async run(ctx): Promise<ScenarioRun> {
    let cutting: ReturnType<typeof cutWhenPromoted> | undefined;
    let failoverStart = 0;
    const onEvent = (e: WorkflowEvent): void => {
      if (e.state === 'PromoteDatabase' && e.type === 'entered' && !cutting) cutting = cutWhenPromoted(ctx, failoverStart);
    };
    const { killAt, alarmAt, result } = await killAndAwaitAlarm(ctx, (reason) => {
      failoverStart = Date.now();
      return ctx.runWorkflow('failover', { group: ctx.group.name, reason }, 'failover', onEvent);
    });
    const cut = cutting ? await cutting : { cutAtMs: null, abortedConnections: 0, seenPromoted: [], atCut: {} };
    await new Promise((r) => setTimeout(r, CUT_MS));
    const shell = await ctx.deps.openShell(ctx.group.name);
    const atEnd = await forkPositionsOf(ctx, shell, cut.seenPromoted).finally(() => shell.close().catch(() => undefined));
    await awaitWritesAfter(ctx, result, killAt);
    const sshCut: SshCut = {
      cutAtMs: cut.cutAtMs,
      abortedConnections: cut.abortedConnections,
      seenPromoted: cut.seenPromoted,
      forkPositions: Object.fromEntries(cut.seenPromoted.map((name) => [name, { ...(cut.atCut[name] !== undefined ? { atCut: cut.atCut[name] } : {}), ...(atEnd[name] !== undefined ? { atEnd: atEnd[name] } : {}) }])),
    };
    const promotion = promotionFiguresOf(result, cut.cutAtMs === null ? undefined : failoverStart + cut.cutAtMs);
    return {
      faultAt: killAt,
      alarmAt,
      measured: result,
      readBackFrom: 'twin',
      details: { sshCut, promotion },
      check: (summary) => verdictOf([...sshDropConditions(sshCut, promotion), ...failoverConditions(summary)]),
    };
  },
};
