/**
 * The whole drill, on one machine: two stacks on loopback lab hosts (own sshd,
 * own database servers, one per engine, through lab-nodes.ts), a local DNS server for the group's name, one demo app per
 * stack, the replicate workflow, a bounded writer through the DNS name, an
 * immediate kill of the primary, the prober's alarm starting the failover
 * workflow, and a read-back of every acknowledged write from the promoted twin.
 * What goes wrong after the set-up is the scenario's (scenarios/<name>.scenario.ts,
 * default kill-primary); the summary adds its property and whether it held.
 *
 * Every process it starts is registered and stopped on success, failure or
 * Ctrl-C; a second run starts from a clean slate (old clusters are removed).
 */
import { chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleDemoApp } from '../../../examples/demo-app/bundle.ts';
import { parseConfig } from '../../config/load-config.ts';
import { FileParameterStore } from '../../../functions/adapters/local/file.parameter-store.ts';
import { ZoneFileDnsRouter } from '../../../functions/adapters/local/zone-file.dns-router.ts';
import { startLocalDnsServer } from '../../../functions/adapters/local/local-dns-server.ts';
import { resolveA } from '../../../functions/adapters/local/resolve-with.ts';
import { FetchHealthProbe } from '../../../functions/adapters/http/fetch.health-probe.ts';
import { engineFor } from '../../../functions/core/engines/engine-registry.ts';
import { dnsTargetOf, type EngineName, type FailoverGroup, type GroupAwaitingTwin } from '../../../functions/core/model.ts';
import { databaseEnvNames } from '../../../functions/core/publish/published-env.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import { WORKFLOW_NAMES, type WorkflowName } from '../../../functions/core/workflows/workflow-names.ts';
import { prepareWorkflow, runWorkflow, type WorkflowEvent, type WorkflowResult } from '../runtime/run-workflow.ts';
import { createLocalStepDeps } from '../runtime/local-step-deps.ts';
import { provisionGroup } from '../runtime/provision-group.ts';
import { ReplicationMonitor } from '../runtime/replication-monitor.ts';
import { ensureSystemRequirements } from '../lab/system-requirements.ts';
import { ensureLabUser } from '../lab/lab-user.ts';
import { startLoopbackHost, type LoopbackHost } from '../lab/loopback-host.ts';
import { ensureDockerRequirements, ensureLabBaseImage, type LabDocker } from '../lab/lab-docker.ts';
import type { LabNodeHost } from '../lab/lab-database-node.ts';
import { LAB_NODES, labNodeFor } from '../lab/lab-nodes.ts';
import { HealthProber } from '../prober/health-prober.ts';
import { iptablesProblem, removeStaleDrillRules } from '../chaos/iptables-rules.ts';
import { releaseStaleHostCgroups } from '../chaos/host-cgroup.ts';
import type { ScenarioContext } from './scenarios/drill-scenario.ts';
import type { ScenarioName } from './scenarios/scenario-catalog.ts';
import { loadScenario } from './scenarios/scenario-registry.ts';
import { DrillWriter } from './drill-writer.ts';
import { DrillTimeline } from './drill-timeline.ts';
import { writeDrillReport } from './drill-report.ts';
import { failoverOutcomeOf, summarizeDrill, summarizeFailedDrill, withVerdict, type DrillCloneFigures, type DrillSummary } from './summarize-drill.ts';
import { drillConfigYaml, DRILL_DNS_NAME, DRILL_GROUP, LAB_HOST_ROOT } from './drill-config.ts';
import { createSourceRepository, initDeployDirectory, runDrillDeploy, type DrillDeployResult } from './drill-deploy.ts';
import { cloneDrillStack } from './drill-clone.ts';
import { clonedTwinHost, retireStaticTwin, sweepEarlierDrillClone } from './drill-cloned-twin.ts';
import { loadGroup } from '../../../functions/handlers/stores/load-group.ts';

export interface DrillOptions {
  readonly labRoot: string;
  readonly reportDir: string;
  readonly mode: 'sync' | 'async';
  /** One database per engine, all replicated and promoted together. */
  readonly engines: readonly EngineName[];
  /** Acknowledged writes before the primary is killed, and after the failover. */
  readonly writesBefore: number;
  readonly writesAfter: number;
  /** What the drill does once both stacks run (scenarios/scenario-catalog.ts). */
  readonly scenario: ScenarioName;
  /** Start the primary alone; clone-stack builds the twin (drill-clone.ts) before replicate. */
  readonly clone?: boolean;
  readonly log: (line: string) => void;
}

const LAB_USER = 'twinstack';
/** The demo app's port (its compose file's default). */
const APP_PORT = 8080;
const SSH_PORT = 2222;
const DNS_SERVER = { address: '127.0.3.1', port: 10053 } as const;
const WEBHOOK_SERVER = { address: '127.0.3.1', port: 8787 } as const;
const HOSTS = { primary: '127.0.1.1', twin: '127.0.2.1' } as const;
/** Hard bounds so a stuck drill ends by itself. */
const MAX_PHASE_MS = 60_000;

export async function runDrill(options: DrillOptions): Promise<DrillSummary> {
  const started = Date.now();
  const timeline = new DrillTimeline(started);
  const cleanup = new Cleanup(options.log);
  const { log } = options;
  const scenario = await loadScenario(options.scenario);
  // A failed run must never leave an earlier run's report in place.
  mkdirSync(options.reportDir, { recursive: true });
  for (const file of ['summary.json', 'timeline.txt', 'index.html']) rmSync(join(options.reportDir, file), { force: true });
  const onSignal = () => {
    log('interrupted: stopping everything the drill started');
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // Lab: two hosts (with --clone the primary alone), each with its own sshd and Docker engine in its own mount namespace.
    const startedRoles = options.clone ? (['primary'] as const) : (['primary', 'twin'] as const);
    const labStep = `lab: ${options.clone ? 'primary host' : 'hosts'}, sshd, dockerd, primaries (${options.engines.join(', ')})`;
    timeline.begin(labStep);
    await ensureSystemRequirements({ install: true, log });
    await ensureDockerRequirements({ install: true, log });
    sweepStaleFaults(scenario.spec.networkFaults, log);
    const labUser = await ensureLabUser({ labRoot: options.labRoot, name: LAB_USER });
    // --clone: the twin's address goes to the clone, never to the static twin host of an earlier run.
    if (options.clone && (await retireStaticTwin(options.labRoot))) log('stopped the twin host of an earlier drill (its address goes to the clone)');
    const hosts: Record<'primary' | 'twin', LoopbackHost> = {} as never;
    for (const role of startedRoles) {
      const hostRoot = join(options.labRoot, role);
      resetHostFilesystem(hostRoot, labUser);
      hosts[role] = await startLoopbackHost({
        name: role,
        address: HOSTS[role],
        sshPort: SSH_PORT,
        labRoot: options.labRoot,
        user: LAB_USER,
        privateMounts: [{ source: join(hostRoot, 'srv'), target: LAB_HOST_ROOT }],
        docker: { socketGroup: String(labUser.gid) },
      });
      cleanup.add(`sshd and dockerd ${role}`, () => hosts[role].stop());
    }
    const engines = { primary: dockerOf(hosts.primary) };
    // No registry: the base image is made here and imported once per engine (kept with its data root); a clone's engine loads the primary's images.
    await Promise.all(startedRoles.map((role) => ensureLabBaseImage(options.labRoot, dockerOf(hosts[role]))));

    // The group's code: a git repository (the demo app's compose project, bundled) the hosts fetch from.
    const source = createSourceRepository(`${options.labRoot}-source`, labUser, await demoAppProjectFiles());
    for (const role of startedRoles) initDeployDirectory(join(options.labRoot, role, 'srv', 'app'), labUser);

    // Config: the real file a user would write, validated by the real schema.
    mkdirSync(options.reportDir, { recursive: true });
    const configPath = join(options.reportDir, 'twinstack.drill.yaml');
    const yaml = drillConfigYaml({
      primary: { address: HOSTS.primary, sshPort: SSH_PORT, user: LAB_USER, hostKey: hosts.primary.host.hostKey },
      ...(options.clone ? {} : { twin: { address: HOSTS.twin, sshPort: SSH_PORT, user: LAB_USER, hostKey: hosts.twin.host.hostKey } }),
      appPort: APP_PORT,
      engines: options.engines,
      mode: options.mode,
      gitUrl: `file://${source.path}`,
      ...(scenario.maxLag ? { maxLag: scenario.maxLag } : {}),
    });
    writeFileSync(configPath, yaml);
    const parsed = parseConfig(yaml, configPath);
    // With --clone the group awaits its twin until clone-stack registers it (reloaded below).
    let group: FailoverGroup | undefined = options.clone ? undefined : findGroup(parsed.groups);
    const provisioned: GroupAwaitingTwin = group ?? findGroup(parsed.awaitingClone ?? []);

    // Databases: a fresh primary of each engine; the twin only made ready for its restore (a clone's servers are empty and running: each restore stops and empties them).
    const nodeHosts: Record<'primary' | 'twin', LabNodeHost> = { primary: nodeHostOf(hosts.primary, labUser) } as never;
    if (!options.clone) nodeHosts.twin = nodeHostOf(hosts.twin, labUser);
    for (const role of startedRoles) {
      cleanup.add(`databases ${role}`, () => {
        for (const node of LAB_NODES) node.stopAllUnder(join(options.labRoot, role, 'srv'));
      });
    }
    await Promise.all(provisioned.databases.map((db) => labNodeFor(db.engine).initPrimary(nodeHosts.primary, db)));
    if (group) await Promise.all(group.databases.map((db) => labNodeFor(db.engine).prepareTwin(nodeHosts.twin, db)));
    timeline.end(labStep);

    // Control plane: parameter file, zone file, DNS server; DNS starts on the primary.
    const stateDir = join(options.reportDir, 'state');
    rmSync(stateDir, { recursive: true, force: true });
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const parameterFile = join(stateDir, 'parameters.json');
    const zoneFile = join(stateDir, 'zone.json');
    const params = new FileParameterStore(parameterFile);
    await provisionGroup(params, provisioned, { sshPrivateKey: labUser.privateKey });
    await new ZoneFileDnsRouter(zoneFile).pointAt(provisioned.dns, dnsTargetOf(provisioned.primary));
    const dnsServer = await startLocalDnsServer({ ...DNS_SERVER, zoneFilePath: zoneFile });
    cleanup.add('DNS server', () => dnsServer.close());
    const deps = createLocalStepDeps({ parameterFile, zoneFile, dnsServer: DNS_SERVER });
    // "Deploy" the workflows: load, bind and validate both ASL files once, as CreateStateMachine would.
    await Promise.all(['replicate', ...scenario.spec.workflows].map((w) => prepareWorkflow(workflowNamed(w))));

    // --clone: clone-stack builds the twin from the primary (a new lab host, its host key pinned), then the group is reloaded with it.
    let clone: DrillCloneFigures | undefined;
    if (!group) {
      const compute = { labRoot: options.labRoot, mountPoint: LAB_HOST_ROOT, user: labUser, addresses: { first: HOSTS.twin, last: HOSTS.twin }, params };
      const swept = await sweepEarlierDrillClone({ ...compute, group: DRILL_GROUP, sourceStack: provisioned.primary.name });
      if (swept.instances + swept.images > 0) log(`removed what an earlier drill's clone left: ${swept.instances} hosts, ${swept.images} images`);
      await prepareWorkflow('clone-stack');
      const cloneStep = 'workflow clone-stack: image the primary, launch the twin, register it';
      timeline.begin(cloneStep);
      log('workflow clone-stack: started');
      const cloned = await cloneDrillStack({ deps, group: DRILL_GROUP, ...compute, stateDir, onEvent: timelineListener(timeline, 'clone-stack') });
      clone = cloned.summary;
      timeline.end(cloneStep, `${cloned.result.status}: ${clone.twin}, ${clone.hosts} host(s), ${clone.durationMs} ms`);
      log(`workflow clone-stack: ${cloned.result.status} (${clone.durationMs} ms)`);
      hosts.twin = clonedTwinHost({ ...compute, twin: cloned.stack, deployUser: labUser });
      cleanup.add('cloned twin host', () => hosts.twin.stop());
      nodeHosts.twin = nodeHostOf(hosts.twin, labUser);
      group = await loadGroup(params, DRILL_GROUP);
    }
    // Replicate: full backup → restore on the twin → replication → env vars.
    const replicate = await runTimed('replicate', { group: DRILL_GROUP }, deps, timeline, log, stateDir);
    if (replicate.status !== 'SUCCEEDED') throw new Error(`replicate failed: ${replicate.error ?? ''} ${replicate.cause ?? ''}`);

    // Code: one signed push builds the image once, ships it to both stacks and starts the compose project there.
    timeline.begin('deploy: signed push → webhook → build once, ship, compose up on both stacks');
    const deploy: DrillDeployResult = await runDrillDeploy({
        group,
        params,
        stateDir,
        listen: WEBHOOK_SERVER,
        dnsServer: DNS_SERVER,
        revision: source.revision,
        log,
        onServer: (server) => cleanup.add('webhook server', () => server.close()),
      });
    const images = new Set(Object.values(deploy.images));
    const everywhere = Object.values(deploy.deployed).every((r) => r === source.revision) && images.size === 1 && !images.has(undefined);
    const phases = deploy.phases ? ` (build ${deploy.phases.buildMs} ms, ship ${deploy.phases.shipMs} ms, up ${deploy.phases.startMs} ms)` : '';
    timeline.end(
      'deploy: signed push → webhook → build once, ship, compose up on both stacks',
      `HTTP ${deploy.webhookStatus}, ${deploy.executionStatus}, ${everywhere ? 'both stacks' : 'DRIFT'} at ${source.revision.slice(0, 12)}, image ${[...images].map((i) => i?.slice(0, 19)).join(' / ')}${phases}`,
    );
    if (!everywhere) throw new Error(`deploy did not reach both stacks with one image: ${deploy.error ?? deploy.drift ?? ''} ${JSON.stringify({ deployed: deploy.deployed, images: deploy.images })}`);
    await waitFor('primary app healthy', () => healthy(group.primary.healthUrl), MAX_PHASE_MS);
    timeline.mark('primary app healthy (its container)');

    // The scheduled replication check keeps the failover's evidence fresh (EventBridge in AWS).
    const monitor = new ReplicationMonitor({ deps, group, intervalMs: 1_000, maxRuns: 600 });
    monitor.start();
    cleanup.add('replication monitor', () => monitor.stop());

    // Traffic through the group's name.
    const dnsBefore = (await resolveA(DRILL_DNS_NAME, DNS_SERVER))[0]?.address;
    const writer = new DrillWriter({
      name: DRILL_DNS_NAME,
      dnsServer: DNS_SERVER,
      appPort: APP_PORT,
      intervalMs: 10,
      requestTimeoutMs: 1_000,
      maxWrites: 100_000,
      maxDurationMs: 3 * MAX_PHASE_MS,
      databases: group.databases.map((db) => db.name),
    });
    writer.start();
    cleanup.add('writer', () => writer.stop());
    await withTimeout(writer.waitForAcks(options.writesBefore), MAX_PHASE_MS, 'writes before the kill');
    timeline.mark(`writer: ${writer.acknowledged.length} writes acknowledged`);

    // The scenario: its fault, the workflows it starts, its figures (scenarios/<name>.scenario.ts).
    const probers: HealthProber[] = [];
    const context: ScenarioContext = {
      group,
      deps,
      writer,
      timeline,
      log,
      hosts,
      nodeHosts,
      dnsServer: DNS_SERVER,
      appPort: APP_PORT,
      sshPort: SSH_PORT,
      writesAfter: options.writesAfter,
      maxPhaseMs: MAX_PHASE_MS,
      runWorkflow: (workflow, input, label, onEvent) => runTimed(workflowNamed(workflow), input, deps, timeline, log, stateDir, label, onEvent),
      killPrimary: async () => {
        const at = Date.now();
        await Promise.all([engines.primary.kill(), ...group.databases.map((db) => labNodeFor(db.engine).kill(nodeHosts.primary, db))]);
        timeline.mark(`primary killed (containers and dockerd SIGKILL; ${group.databases.map((db) => db.engine).join(', ')} crashed)`, at);
        return at;
      },
      startProber: (onAlarm) => {
        const prober = new HealthProber({ url: group.primary.healthUrl, probe: new FetchHealthProbe(), intervalMs: 100, timeoutMs: 250, failureThreshold: 3, maxProbes: 3_000, onAlarm });
        probers.push(prober);
        prober.start();
        return prober;
      },
      stopMonitor: () => monitor.stop(),
      onCleanup: (label, stop) => cleanup.add(label, stop),
      waitFor: (what, condition, timeoutMs) => waitFor(what, async () => condition(), timeoutMs),
      withTimeout,
    };
    cleanup.add('probers', () => probers.forEach((p) => p.stop()));
    const run = await scenario.run(context);
    await writer.stop();
    timeline.mark(`writer stopped: ${writer.acknowledged.length} acknowledged, ${writer.failures} failed attempts`);
    const dnsAfter = (await resolveA(DRILL_DNS_NAME, DNS_SERVER))[0]?.address;

    // Read every acknowledged id back from each database of the stack that holds the writes now (one that was not promoted may not answer).
    let readBackError: string | undefined;
    const idsRead = await readIds(params, group, run.readBackFrom).catch((error: unknown) => {
      readBackError = `reading the ${run.readBackFrom} back failed: ${error instanceof Error ? error.message : String(error)}`;
      const none: Record<string, number[]> = {};
      return none;
    });
    const outcome = run.measured ? failoverOutcomeOf(run.measured) : { status: 'NOT_RUN', failedOver: false, reasons: [] as string[] };
    const dnsVerifiedAt = run.measured?.events.find((e) => e.state === 'VerifyDns' && e.type === 'succeeded')?.at.getTime();
    const measured = summarizeDrill({
      killAt: run.faultAt,
      alarmAt: run.alarmAt,
      dnsVerifiedAt,
      acknowledged: writer.acknowledged,
      idsOnPromotedTwin: Object.fromEntries(Object.entries(idsRead).map(([name, ids]) => [name, new Set(ids)])),
      idListsRead: idsRead,
      dnsBefore,
      dnsAfter,
      failoverStatus: outcome.status,
      failoverReasons: outcome.reasons,
      databases: run.measured ? databaseResults(group, run.measured, outcome.failedOver) : databaseResults(group, { status: 'NOT_RUN', events: [] } as unknown as WorkflowResult, false),
      deploy: {
        revision: deploy.revision,
        durationMs: deploy.durationMs,
        deployed: deploy.deployed,
        images: deploy.images,
        ...(deploy.phases ? { phases: deploy.phases } : {}),
      },
      ...(readBackError ? { errors: [readBackError] } : {}),
      wallMs: Date.now() - started,
      writer: { seconds: writer.seconds, dnsAnswers: writer.dnsAnswers },
    });
    const verdict = run.check(measured);
    // One verdict: `ok` is `passed` (withVerdict); the scenario's figures join the measurement, never the verdict.
    const summary: DrillSummary = withVerdict({ ...measured, ...run.details }, verdict, { scenario: scenario.spec.name, property: scenario.spec.property, ...(clone ? { clone } : {}) });
    writeFileSync(join(options.reportDir, 'timeline.txt'), `${timeline.render()}\n`);
    writeFileSync(join(options.reportDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    writeDrillReport(options.reportDir, summary, timeline.rows);
    log('');
    log(timeline.render());
    if (!outcome.failedOver) log(`failover ${outcome.status}: ${outcome.reasons.join('; ')}`);
    log(`scenario ${scenario.spec.name}: ${verdict.passed ? 'PASSED' : 'FAILED'} — ${scenario.spec.property}`);
    for (const reason of verdict.reasons) log(`  ${reason}`);
    return summary;
  } catch (error) {
    // A failed drill still reports: an `ok: false` summary with the error, and the timeline so far.
    const message = error instanceof Error ? error.message : String(error);
    const summary: DrillSummary = { ...summarizeFailedDrill({ error: message, wallMs: Date.now() - started }), scenario: scenario.spec.name, property: scenario.spec.property };
    writeFileSync(join(options.reportDir, 'timeline.txt'), `${timeline.render()}
`);
    writeFileSync(join(options.reportDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}
`);
    writeDrillReport(options.reportDir, summary, timeline.rows);
    throw new DrillFailedError(message, summary, { cause: error });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanup.run();
  }
}

/**
 * Network faults a crashed run left (drill-tagged iptables rules, host cgroups) are removed
 * before anything starts; a scenario that cuts paths refuses to start without iptables.
 */
function sweepStaleFaults(needed: boolean, log: (line: string) => void): void {
  const problem = iptablesProblem();
  if (problem) {
    if (needed) throw new Error(`this scenario cuts network paths, but ${problem}`);
    return;
  }
  const rules = removeStaleDrillRules();
  const cgroups = releaseStaleHostCgroups();
  if (rules + cgroups > 0) log(`removed what a crashed drill left: ${rules} iptables rules, ${cgroups} host cgroups`);
}

function findGroup<G extends GroupAwaitingTwin>(groups: readonly G[]): G {
  const group = groups.find((g) => g.name === DRILL_GROUP);
  if (!group) throw new Error(`drill config has no group ${DRILL_GROUP}`);
  return group;
}

/** A lab host as a database node sees it: its mount namespace, the lab user, its `srv/` at LAB_HOST_ROOT. */
function nodeHostOf(host: LoopbackHost, user: LabNodeHost['user']): LabNodeHost {
  const srv = host.paths.srvDir;
  return {
    host: host.host,
    namespacePid: host.pid,
    user,
    mountPoint: LAB_HOST_ROOT,
    realPath: (hostPath) => {
      if (hostPath !== LAB_HOST_ROOT && !hostPath.startsWith(`${LAB_HOST_ROOT}/`)) throw new Error(`${hostPath} is not under ${LAB_HOST_ROOT}`);
      return `${srv}${hostPath.slice(LAB_HOST_ROOT.length)}`;
    },
  };
}

/** Each run starts from an empty host filesystem (keys live elsewhere, in the lab root); servers a crashed run left are stopped first. */
function resetHostFilesystem(hostRoot: string, owner: { uid: number; gid: number }): void {
  const srv = join(hostRoot, 'srv');
  for (const node of LAB_NODES) node.stopAllUnder(srv);
  rmSync(srv, { recursive: true, force: true });
  for (const dir of [srv, join(srv, 'app'), join(srv, 'run')]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The lab user owns its "host" (PostgreSQL refuses root).
    chownSync(dir, owner.uid, owner.gid);
  }
}

/** A scenario's workflow as the runtime knows it; one not yet in WORKFLOW_NAMES (or its ASL) is a clear error. */
function workflowNamed(name: string): WorkflowName {
  if (!(WORKFLOW_NAMES as readonly string[]).includes(name)) throw new Error(`this scenario needs the ${name} workflow, which this checkout does not have yet (statemachines/${name}.asl.json and WORKFLOW_NAMES)`);
  return name as WorkflowName;
}

async function runTimed(
  workflow: WorkflowName,
  input: Record<string, unknown>,
  deps: ReturnType<typeof createLocalStepDeps>,
  timeline: DrillTimeline,
  log: (line: string) => void,
  stateDir: string,
  label: string = workflow,
  listener?: (e: WorkflowEvent) => void,
): Promise<WorkflowResult> {
  timeline.begin(`workflow ${label}`);
  log(`workflow ${label}: started`);
  const onState = timelineListener(timeline, label);
  const result = await runWorkflow({
    workflow,
    input,
    deps,
    record: { stateDir },
    onEvent: (e: WorkflowEvent) => {
      listener?.(e);
      onState(e);
    },
  });
  timeline.end(`workflow ${label}`, result.status);
  log(`workflow ${label}: ${result.status}`);
  return result;
}

/** Each state of an execution labelled `label` as a row of the timeline (retries as marks). */
function timelineListener(timeline: DrillTimeline, label: string): (e: WorkflowEvent) => void {
  const opened = new Map<string, Date>();
  return (e) => {
    const key = `  ${label} › ${e.state}`;
    if (e.type === 'entered') opened.set(key, e.at);
    if (e.type === 'succeeded' || e.type === 'failed' || e.type === 'caught') {
      timeline.begin(key, (opened.get(key) ?? e.at).getTime());
      timeline.end(key, e.type === 'succeeded' ? 'ok' : `${e.type}${e.detail ? `: ${e.detail}` : ''}`, e.at.getTime());
    }
    if (e.type === 'retry') timeline.mark(`${key} retry`, e.at.getTime(), e.detail);
  };
}

async function healthy(url: string): Promise<boolean> {
  return (await new FetchHealthProbe().check(url, 500)).healthy;
}

/** Per database: every id the stack's copy holds (repeats kept), read through that stack's published URL (as an app would). */
async function readIds(params: FileParameterStore, group: FailoverGroup, role: 'primary' | 'twin'): Promise<Record<string, number[]>> {
  const stack = role === 'primary' ? group.primary : group.twin;
  const names = databaseEnvNames(group.databases.map((db) => ({ name: db.name, prefix: engineFor(db.engine).envPrefix, sql: engineFor(db.engine).sql })));
  const entries = await Promise.all(
    group.databases.map(async (db, i) => {
      const variable = names[i]?.url ?? '';
      const url = await params.get(parameterNames.env(group.name, stack.name, variable));
      if (!url) throw new Error(`the ${role} has no published ${variable} for database ${db.name}`);
      return [db.name, await labNodeFor(db.engine).readWrittenIds(url)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

function databaseResults(group: FailoverGroup, result: WorkflowResult, failedOver: boolean) {
  type Decision = { reasons?: string[]; databases?: Array<{ name: string; action: string; loss: number | null; lagUnit?: string; reasons?: string[] }> };
  const output = (result.output ?? {}) as { decision?: Decision } & Decision;
  // A held execution's output is the decision itself (failoverOutcomeOf reads it the same way).
  const decision = output.decision ?? output;
  return group.databases.map((db) => {
    const verdict = decision.databases?.find((d) => d.name === db.name);
    const reasons = verdict?.reasons?.length ? verdict.reasons : (decision.reasons ?? []);
    return {
      name: db.name,
      engine: db.engine,
      mode: db.replication.mode,
      promoted: failedOver && verdict !== undefined && verdict.action !== 'blocked',
      loss: verdict?.loss ?? null,
      lagUnit: engineFor(db.engine).lagUnit,
      reasons,
    };
  });
}

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The drill failed before it could measure a failover; `summary` is its `ok: false` report. */
export class DrillFailedError extends Error {
  override readonly name = 'DrillFailedError';
  constructor(
    message: string,
    readonly summary: DrillSummary,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function dockerOf(host: LoopbackHost): LabDocker {
  if (!host.docker) throw new Error(`lab host ${host.host.name} has no Docker engine`);
  return host.docker;
}

/** The demo app's compose project as the group's repository holds it: Dockerfile, compose file, the app bundled to one file. */
async function demoAppProjectFiles(): Promise<Record<string, string>> {
  const app = resolve(import.meta.dirname, '../../../examples/demo-app');
  const out = mkdtempSync(join(tmpdir(), 'twinstack-demo-app-'));
  try {
    const bundle = await bundleDemoApp(out);
    return {
      Dockerfile: readFileSync(join(app, 'Dockerfile'), 'utf8'),
      'docker-compose.yml': readFileSync(join(app, 'docker-compose.yml'), 'utf8'),
      '.dockerignore': readFileSync(join(app, '.dockerignore'), 'utf8'),
      'server.js': readFileSync(bundle, 'utf8'),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Stops what the drill started, newest first, each by its own handle; never throws. */
class Cleanup {
  private readonly steps: Array<{ label: string; stop: () => Promise<void> | void }> = [];
  private ran = false;
  constructor(private readonly log: (line: string) => void) {}
  add(label: string, stop: () => Promise<void> | void): void {
    this.steps.push({ label, stop });
  }
  async run(): Promise<void> {
    if (this.ran) return;
    this.ran = true;
    for (const step of this.steps.reverse()) {
      try {
        await step.stop();
      } catch (error) {
        this.log(`cleanup ${step.label}: ${String(error)}`);
      }
    }
  }
}
