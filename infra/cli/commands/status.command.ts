/**
 * `twinstack status [GROUP] --local [--state-dir DIR] [--json]`: per group, the active
 * stack, what its DNS name answers, each database's role / lag / promotability (the real
 * AssessFailover + DecideFailover over SSH, or the last observations when the hosts are
 * gone: the output says which), the deployed revision and image per stack and any drift,
 * the leases, and running and recent executions.
 */
import type { Command } from 'commander';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53DnsRouter } from '../../../functions/adapters/aws/route53.dns-router.ts';
import { SsmParameterStore } from '../../../functions/adapters/aws/ssm.parameter-store.ts';
import type { DnsRouter, ParameterStore } from '../../../functions/core/ports.ts';
import type { DnsTarget } from '../../../functions/core/model.ts';
import { listAwsExecutions } from '../aws-executions.ts';
import { reportAwsError } from '../aws-errors.ts';
import { awsTarget, ensureAwsCredentials } from '../aws-target.ts';
import type { HistoryEntry } from './history.command.ts';
import type { DeployState } from '../../../functions/core/deploy/deploy-state.ts';
import type { GroupState } from '../../../functions/core/group-state.ts';
import type { FailoverGroup } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import { ZoneFileDnsRouter } from '../../../functions/adapters/local/zone-file.dns-router.ts';
import { readExecutionRecords } from '../../local/runtime/execution-record.ts';
import { CliInputError, EXIT, reportInputError, type CliIo } from '../cli-io.ts';
import { formatDuration, paint, statusColour, table } from '../format.ts';
import { lastObservations, observeGroup, unobservedDatabases, type GroupObservation } from '../local-observe.ts';
import { openLocalState, readLeases, selectGroups, type LocalState } from '../local-state.ts';

export interface StackView {
  readonly role: 'primary' | 'twin';
  readonly name: string;
  readonly region: string;
  readonly address: string;
  readonly deployed: string | null;
  readonly image: string | null;
  readonly deployStatus: string | null;
  readonly lastError: string | null;
}

export interface GroupStatus {
  readonly group: string;
  readonly activeStack: string;
  readonly lastFailoverAt: string | null;
  /** `error`: the answer could not be read (e.g. no hostedZoneId, Route 53 refused). */
  readonly dns: { readonly name: string; readonly answer: string | null; readonly pointsAt: string | null; readonly error?: string };
  readonly observation: { readonly source: GroupObservation['source']; readonly detail: string; readonly decision: { readonly action: string; readonly reasons: readonly string[] } | null };
  readonly databases: GroupObservation['databases'];
  readonly stacks: readonly StackView[];
  readonly desiredRevision: string | null;
  readonly drift: readonly string[];
  /** null: not read (AWS mode). */
  readonly leases: ReadonlyArray<{ readonly key: string; readonly holder: string; readonly expiresAt: string }> | null;
  readonly running: ReadonlyArray<{ readonly workflow: string; readonly name: string; readonly startedAt: string }>;
  readonly recent: ReadonlyArray<{ readonly workflow: string; readonly status: string; readonly outcome: string | null; readonly startedAt: string; readonly durationMs: number | null }>;
}

export interface StatusOptions {
  readonly local?: boolean;
  readonly stateDir?: string;
  readonly json?: boolean;
  readonly observe?: boolean;
  readonly timeout?: string;
  readonly region?: string;
  readonly account?: string;
}

/** What a test may replace: the AWS clients. */
export interface StatusDeps {
  readonly sfnClient?: (region: string) => SFNClient;
  readonly ssmClient?: (region: string) => SSMClient;
  readonly route53Client?: (region: string) => Route53Client;
}

const GROUP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Bound on DescribeParameters pages (50 names each) when listing the groups. */
const MAX_NAME_PAGES = 20;

/** Groups with a `/twinstack/<group>/config` parameter (names only: DescribeParameters reads no value, decrypts no secret). */
export async function awsGroupNames(ssm: SSMClient): Promise<string[]> {
  const names = new Set<string>();
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_NAME_PAGES; page++) {
    const out = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/twinstack/'] }], MaxResults: 50, NextToken: nextToken }));
    for (const p of out.Parameters ?? []) {
      const g = /^\/twinstack\/([^/]+)\/config$/.exec(p.Name ?? '')?.[1];
      if (g) names.add(g);
    }
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return [...names].sort();
}

async function awsStatuses(group: string | undefined, options: StatusOptions, deps: StatusDeps): Promise<GroupStatus[]> {
  const what = `status${group ? ` ${group}` : ''}`;
  if (group !== undefined && !GROUP_NAME.test(group)) throw new CliInputError(`invalid group name ${JSON.stringify(group)}`, 'use the group\'s name from twinstack.yaml (lowercase letters, digits, dashes)');
  const target = awsTarget(what, options);
  const ssm = deps.ssmClient ? deps.ssmClient(target.region) : new SSMClient({ region: target.region });
  await ensureAwsCredentials(ssm, what, 'nothing read');
  const sfn = deps.sfnClient ? deps.sfnClient(target.region) : new SFNClient({ region: target.region });
  const route53 = deps.route53Client ? deps.route53Client(target.region) : new Route53Client({ region: target.region });
  const params = new SsmParameterStore(ssm);
  const names = group !== undefined ? [group] : await awsGroupNames(ssm);
  if (names.length === 0) throw new CliInputError(`no twinstack group in Parameter Store in ${target.region}`, 'check --region (the control region), or deploy a group first (see "The failover group in AWS")');
  const configs: FailoverGroup[] = [];
  for (const name of names) {
    const raw = await params.get(parameterNames.config(name));
    if (raw === undefined) {
      const known = group !== undefined ? await awsGroupNames(ssm) : [];
      throw new CliInputError(`unknown group ${JSON.stringify(name)} in ${target.region} (no ${parameterNames.config(name)})`, known.length ? `use one of: ${known.join(', ')}` : 'check --region (the control region), or deploy the group first');
    }
    configs.push(JSON.parse(raw) as FailoverGroup);
  }
  const executions = [
    ...(await listAwsExecutions(sfn, target, { ...(group !== undefined ? { group } : {}), limit: 20, status: 'RUNNING', maxPages: 1 })),
    ...(await listAwsExecutions(sfn, target, { ...(group !== undefined ? { group } : {}), limit: 10, maxPages: 1 })),
  ];
  const unique = [...new Map(executions.map((e) => [`${e.workflow}/${e.name}`, e])).values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const dns = new Route53DnsRouter(route53);
  const statuses: GroupStatus[] = [];
  for (const g of configs) statuses.push(await awsGroupStatus(params, dns, unique, g));
  return statuses;
}

/** Pure: drift between the stacks and against the newest pushed revision. */
export function driftOf(group: FailoverGroup, deploy: DeployState | undefined, desired: string | undefined): string[] {
  if (!deploy && !desired) return [];
  const at = (name: string) => deploy?.stacks[name];
  const problems: string[] = [];
  const p = at(group.primary.name);
  const t = at(group.twin.name);
  if (p?.deployed !== t?.deployed) problems.push(`revision differs: ${group.primary.name} ${p?.deployed?.slice(0, 12) ?? 'none'}, ${group.twin.name} ${t?.deployed?.slice(0, 12) ?? 'none'}`);
  if (p?.image !== undefined && t?.image !== undefined && p.image !== t.image) problems.push(`image differs: ${p.image.slice(0, 19)} vs ${t.image.slice(0, 19)}`);
  for (const [name, s] of [[group.primary.name, p], [group.twin.name, t]] as const) {
    if (desired !== undefined && s?.deployed !== desired) problems.push(`${name} is not at the newest push ${desired.slice(0, 12)}`);
    if (s?.status === 'failed') problems.push(`${name}: last deploy of ${s.failedRevision?.slice(0, 12) ?? '?'} failed${s.lastError ? `: ${s.lastError.slice(0, 100)}` : ''}`);
  }
  return problems;
}

async function json<T>(params: Pick<ParameterStore, 'get'>, name: string): Promise<T | undefined> {
  const raw = await params.get(name);
  return raw === undefined ? undefined : (JSON.parse(raw) as T);
}

/** The group's state, deploy state and newest pushed revision, from any ParameterStore (the local file, SSM). */
export async function groupParameters(params: Pick<ParameterStore, 'get'>, group: FailoverGroup): Promise<{ groupState: GroupState; deploy: DeployState | undefined; desired: string | undefined }> {
  const [groupState, deploy, desired] = await Promise.all([
    json<GroupState>(params, parameterNames.state(group.name)),
    json<DeployState>(params, parameterNames.deployState(group.name)),
    json<{ revision?: string }>(params, parameterNames.deployDesired(group.name)),
  ]);
  return { groupState: groupState ?? { active: 'primary' }, deploy, desired: desired?.revision };
}

/** Pure: the parts of a status both modes share. */
export function baseStatus(
  group: FailoverGroup,
  p: { groupState: GroupState; deploy: DeployState | undefined; desired: string | undefined },
  answer: DnsTarget | undefined,
): Pick<GroupStatus, 'group' | 'activeStack' | 'lastFailoverAt' | 'dns' | 'stacks' | 'desiredRevision' | 'drift'> {
  const pointsAt = answer === undefined ? null : [group.primary, group.twin].find((s) => s.hosts.some((h) => h.address === answer.value))?.name ?? null;
  const stack = (role: 'primary' | 'twin'): StackView => {
    const s = group[role];
    const d = p.deploy?.stacks[s.name];
    return { role, name: s.name, region: s.region, address: s.hosts[0]?.address ?? '', deployed: d?.deployed ?? null, image: d?.image ?? null, deployStatus: d?.status ?? null, lastError: d?.lastError ?? null };
  };
  return {
    group: group.name,
    activeStack: p.groupState.active === 'twin' ? group.twin.name : group.primary.name,
    lastFailoverAt: p.groupState.lastFailoverAt ?? null,
    dns: { name: group.dns.name, answer: answer ? `${answer.type} ${answer.value}` : null, pointsAt },
    stacks: [stack('primary'), stack('twin')],
    desiredRevision: p.desired ?? null,
    drift: driftOf(group, p.deploy, p.desired),
  };
}

export async function groupStatus(state: LocalState, group: FailoverGroup, options: { observe: boolean; timeoutMs: number }): Promise<GroupStatus> {
  const params = await groupParameters(state.params, group);
  const answer = await new ZoneFileDnsRouter(state.zoneFile).current(group.dns).catch(() => undefined);
  const observation = await observeGroup(state, group, { live: options.observe, timeoutMs: options.timeoutMs });
  const records = readExecutionRecords(state.dir).filter((r) => r.group === group.name);
  const now = Date.now();
  return {
    ...baseStatus(group, params, answer),
    observation: { source: observation.source, detail: observation.detail, decision: observation.decision ? { action: observation.decision.action, reasons: observation.decision.reasons } : null },
    databases: observation.databases,
    leases: Object.entries(readLeases(state, now))
      .filter(([key]) => key.includes(group.name))
      .map(([key, l]) => ({ key, holder: l.holder, expiresAt: new Date(l.expiresAt).toISOString() })),
    running: records.filter((r) => r.status === 'RUNNING').map((r) => ({ workflow: r.workflow, name: r.name, startedAt: r.startedAt })),
    recent: records
      .filter((r) => r.status !== 'RUNNING')
      .slice(-5)
      .reverse()
      .map((r) => ({ workflow: r.workflow, status: r.status, outcome: r.outcome ?? r.decision?.action ?? null, startedAt: r.startedAt, durationMs: r.durationMs ?? null })),
  };
}

export const AWS_NO_SSH = 'not observed: in AWS mode the CLI does not SSH to the hosts (the control plane does); the primaries\' last observations from Parameter Store are shown';

/**
 * AWS: the group's state, deploy state and last primary observations from SSM, what Route 53
 * answers now (undefined → `no record`; `dnsError` when it could not be read), and the
 * executions listed from Step Functions (running and recent, newest first).
 */
export async function awsGroupStatus(
  params: Pick<ParameterStore, 'get'>,
  dns: Pick<DnsRouter, 'current'>,
  executions: readonly HistoryEntry[],
  group: FailoverGroup,
): Promise<GroupStatus> {
  const [p, last, answer] = await Promise.all([
    groupParameters(params, group),
    lastObservations(params, group),
    dns.current(group.dns).then(
      (a) => ({ a, error: undefined }),
      (error: unknown) => ({ a: undefined, error: error instanceof Error ? error.message : String(error) }),
    ),
  ]);
  const mine = executions.filter((e) => e.group === group.name);
  const base = baseStatus(group, p, answer.a);
  return {
    ...base,
    dns: { ...base.dns, ...(answer.error ? { error: answer.error } : {}) },
    observation: { source: 'not-observed', detail: AWS_NO_SSH, decision: null },
    databases: unobservedDatabases(group, last),
    leases: null,
    running: mine.filter((e) => e.status === 'RUNNING').map((e) => ({ workflow: e.workflow, name: e.name, startedAt: e.startedAt })),
    recent: mine
      .filter((e) => e.status !== 'RUNNING')
      .slice(0, 5)
      .map((e) => ({ workflow: e.workflow, status: e.status, outcome: e.outcome, startedAt: e.startedAt, durationMs: e.durationMs })),
  };
}

/** The human view of one group's status. */
export function renderStatus(s: GroupStatus, colour: boolean | undefined): string[] {
  const c = paint(colour);
  const lines: string[] = [];
  lines.push(c(`group ${s.group}`, 'bold') + `  active ${c(s.activeStack, 'green')}${s.lastFailoverAt ? `  (last failover ${s.lastFailoverAt})` : ''}`);
  lines.push(`dns   ${s.dns.name} → ${s.dns.answer ?? c(s.dns.error ? `unknown (${s.dns.error})` : 'no record', 'red')}${s.dns.pointsAt ? ` (${s.dns.pointsAt})` : ''}`);
  lines.push('');
  lines.push(c(`databases — ${s.observation.detail}`, 'dim'));
  lines.push(
    ...table(
      ['DATABASE', 'MODE', 'PRIMARY', 'TWIN', 'LAG', 'PROMOTABLE'],
      s.databases.map((d) => [
        d.name,
        d.mode,
        c(d.primaryRole, statusColour(d.primaryRole.split(/[ :]/)[0] ?? '')),
        c(d.twinRole, d.twinRole.startsWith('replica, streaming') || d.twinRole === 'primary' ? 'green' : 'red'),
        `${d.lagText}${d.lagBound === 'lower-bound' ? ' (at least)' : ''}`,
        d.promotable === null ? (d.lastObservation ? `unknown (primary last seen ${d.lastObservation.at})` : 'unknown') : c(d.promotable ? 'yes' : 'no', d.promotable ? 'green' : 'red'),
      ]),
    ),
  );
  for (const d of s.databases) if (s.observation.source !== 'live' && d.lastObservation) lines.push(c(`  ${d.name}: primary last seen healthy ${d.lastObservation.at} at ${d.lastObservation.position}${d.lastObservation.syncReplicas.length ? `, sync replicas ${d.lastObservation.syncReplicas.join(', ')}` : ''}`, 'dim'));
  if (s.observation.decision) {
    lines.push(`decision: ${c(s.observation.decision.action, s.observation.decision.action === 'failover' ? 'green' : 'yellow')}`);
    for (const r of s.observation.decision.reasons) lines.push(`  - ${r}`);
  }
  lines.push('');
  lines.push(
    ...table(
      ['STACK', 'ROLE', 'REGION', 'ADDRESS', 'REVISION', 'IMAGE', 'DEPLOY'],
      s.stacks.map((st) => [st.name, st.role, st.region, st.address, st.deployed?.slice(0, 12) ?? '—', st.image?.slice(0, 19) ?? '—', st.deployStatus ? c(st.deployStatus, st.deployStatus === 'deployed' ? 'green' : 'red') : '—']),
    ),
  );
  lines.push(s.drift.length === 0 ? `drift: ${c('none', 'green')}` : `drift: ${c(s.drift.join('; '), 'yellow')}`);
  lines.push(`leases: ${s.leases === null ? 'not read (AWS mode)' : s.leases.length === 0 ? 'none held' : s.leases.map((l) => `${l.key} held by ${l.holder} until ${l.expiresAt}`).join('; ')}`);
  lines.push(`running: ${s.running.length === 0 ? 'none' : s.running.map((r) => `${r.workflow} ${r.name} since ${r.startedAt}`).join('; ')}`);
  if (s.recent.length > 0) {
    lines.push('recent:');
    for (const r of s.recent) lines.push(`  ${r.startedAt}  ${r.workflow.padEnd(9)}  ${c(r.status, statusColour(r.status))}  ${r.outcome ?? ''}  ${formatDuration(r.durationMs)}`);
  }
  return lines;
}

export async function runStatus(group: string | undefined, options: StatusOptions, io: CliIo, deps: StatusDeps = {}): Promise<number> {
  try {
    if (!options.local) {
      const statuses = await awsStatuses(group, options, deps);
      if (options.json) io.out(JSON.stringify(group === undefined ? statuses : statuses[0], null, 2));
      else statuses.forEach((s, i) => [...(i > 0 ? [''] : []), ...renderStatus(s, io.isTty)].forEach((line) => io.out(line)));
      return EXIT.ok;
    }
    const timeoutMs = options.timeout === undefined ? 15_000 : Number(options.timeout) * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new CliInputError(`--timeout ${JSON.stringify(options.timeout)} is not a positive number of seconds`, 'pass e.g. --timeout 15');
    const state = openLocalState(options.stateDir);
    const groups = await selectGroups(state, group);
    const statuses = [];
    for (const g of groups) statuses.push(await groupStatus(state, g, { observe: options.observe !== false, timeoutMs }));
    if (options.json) io.out(JSON.stringify(group === undefined ? statuses : statuses[0], null, 2));
    else statuses.forEach((s, i) => [...(i > 0 ? [''] : []), ...renderStatus(s, io.isTty)].forEach((line) => io.out(line)));
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliInputError) return reportInputError(error, io);
    return reportAwsError(error, io);
  }
}

export function registerStatusCommand(program: Command, io: CliIo, setExitCode: (code: number) => void, deps: StatusDeps = {}): void {
  program
    .command('status')
    .description('active stack, DNS answer, each database\'s role, lag and promotability, deployed revision and drift, leases, executions')
    .argument('[group]', 'only this group (default: every group)')
    .option('--local', 'read the local runtime\'s state and observe its hosts over SSH')
    .option('--state-dir <dir>', 'local runtime state (default: .twinstack/state, else drill-report/state)')
    .option('--no-observe', 'do not observe over SSH; show the last stored observations')
    .option('--timeout <seconds>', 'give up observing live after this long', '15')
    .option('--json', 'print JSON (an array of groups without GROUP, one object with it)')
    .option('--region <region>', 'AWS: the control region (default: AWS_REGION)')
    .option('--account <id>', 'AWS: the account of the state machines (default: TWINSTACK_AWS_ACCOUNT)')
    .addHelpText(
      'after',
      `
Examples:
  npx twinstack status --local
  npx twinstack status drill --local --state-dir drill-report/state --json
  npx twinstack status shop --region eu-west-1 --account 123456789012

Without --local: state, deploy state and the primaries' last observations from SSM Parameter Store,
what Route 53 answers, running and recent Step Functions executions; the CLI does not SSH to the hosts
in AWS mode (roles and lag come from the control plane's last observations).

Exit codes: 0 shown; 2 invalid input (unknown group, no local state, no AWS region, account or credentials): nothing read;
1 fault (AWS refused or failed: the line says which).`,
    )
    .action(async (group: string | undefined, options: StatusOptions) => {
      setExitCode(await runStatus(group, options, io, deps));
    });
}
