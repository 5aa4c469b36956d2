/**
 * partition: the two stacks stop reaching each other (every packet between the lab
 * hosts' processes dropped, both ways: chaos/partition.ts) while the old primary keeps
 * its clients (the writer, through the name). An operator who sees replication broken
 * starts an ordinary failover: it fails over when the outage is confirmed (in sync mode
 * the partitioned primary cannot commit, so its health fails) and holds when the
 * primary is healthy, and then the operator forces it. Throughout, the sampler records
 * every ~100 ms where the name points and which stacks accept writes.
 */
import { partitionHosts } from '../../chaos/partition.ts';
import { DualPrimarySampler } from '../dual-primary-sampler.ts';
import { evaluateDualPrimary, type DualPrimaryReport } from '../dual-primary.ts';
import { failoverOutcomeOf } from '../summarize-drill.ts';
import { verdictOf, type DrillScenario, type ScenarioRun } from './drill-scenario.ts';
import { awaitWritesAfter } from './kill-primary.scenario.ts';
import { SCENARIOS } from './scenario-catalog.ts';

/** How long the partition lasts before anyone acts (the old primary serving its clients alone). */
const PARTITIONED_BEFORE_FAILOVER_MS = 3_000;
const SAMPLE_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 500;

/** Pure: the partition's property from its figures. */
export function partitionConditions(report: DualPrimaryReport, failovers: readonly string[], switched: boolean): Array<readonly [boolean, string]> {
  return [
    [report.samples >= 10, `${report.samples} samples`],
    [report.dualPrimarySamples === 0, `${report.dualPrimarySamples} dual-primary samples${report.dualPrimaryAtMs.length ? ` (at ${report.dualPrimaryAtMs.join(', ')} ms)` : ''}`],
    [switched, `failovers during the partition: ${failovers.join(', then ')}; traffic ${switched ? 'moved to the twin' : 'never moved'} (the property must hold across a switch)`],
  ];
}

export const partitionScenario: DrillScenario = {
  spec: SCENARIOS.partition,
  async run(ctx): Promise<ScenarioRun> {
    const sampler = new DualPrimarySampler({
      name: ctx.group.dns.name,
      dnsServer: ctx.dnsServer,
      endpoints: [ctx.group.primary.endpoint, ctx.group.twin.endpoint],
      appPort: ctx.appPort,
      intervalMs: SAMPLE_INTERVAL_MS,
      probeTimeoutMs: PROBE_TIMEOUT_MS,
      maxSamples: 2_000,
      maxDurationMs: 4 * ctx.maxPhaseMs,
    });
    sampler.start();
    ctx.onCleanup('dual-primary sampler', () => sampler.stop());
    await ctx.stopMonitor();
    const faultAt = Date.now();
    const partition = partitionHosts('partition', { name: 'primary', address: ctx.group.primary.endpoint, namespacePid: ctx.hosts.primary.pid }, { name: 'twin', address: ctx.group.twin.endpoint, namespacePid: ctx.hosts.twin.pid });
    ctx.onCleanup('partition', () => partition.heal());
    ctx.timeline.mark(`partition: primary ⇹ twin (${partition.abortedConnections} connections aborted)`, faultAt);
    await new Promise((r) => setTimeout(r, PARTITIONED_BEFORE_FAILOVER_MS));
    const actedAt = Date.now();
    const ordinary = await ctx.runWorkflow('failover', { group: ctx.group.name, reason: 'drill: replication link lost (partition)' }, 'failover');
    const unforced = failoverOutcomeOf(ordinary);
    const forced = unforced.failedOver ? undefined : await ctx.runWorkflow('failover', { group: ctx.group.name, force: true, reason: 'drill: operator forces the failover during the partition' }, 'failover (forced)');
    const measured = forced ?? ordinary;
    await awaitWritesAfter(ctx, measured, actedAt);
    // Sample past the TTL, so clients that cached the old answer are covered too.
    await new Promise((r) => setTimeout(r, 2 * ctx.group.dns.ttl * 1000 + 500));
    partition.heal();
    ctx.timeline.mark('partition healed');
    await sampler.stop();
    const report = evaluateDualPrimary(sampler.samples, ctx.group.dns.ttl * 1000, faultAt);
    const switched = failoverOutcomeOf(measured).failedOver;
    const failovers = [unforced.status, ...(forced ? [`forced ${failoverOutcomeOf(forced).status}`] : [])];
    return {
      faultAt,
      measured,
      readBackFrom: switched ? 'twin' : 'primary',
      details: { ...report, ordinaryFailover: { status: unforced.status, reasons: unforced.reasons }, forced: forced !== undefined, abortedConnections: partition.abortedConnections },
      check: () => verdictOf(partitionConditions(report, failovers, switched)),
    };
  },
};
