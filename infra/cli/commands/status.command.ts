/**
 * `twinstack status [GROUP] --local [--state-dir DIR] [--json]`: per group, the active
 * stack, what its DNS name answers, each database's role / lag / promotability (the real
 * AssessFailover + DecideFailover over SSH, or the last observations when the hosts are
 * gone: the output says which), the deployed revision and image per stack and any drift,
 * the leases, and running and recent executions.
 */
import type { Command } from 'commander';
import type { DeployState } from '../../../functions/core/deploy/deploy-state.ts';
import type { GroupState } from '../../../functions/core/group-state.ts';
import type { FailoverGroup } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import { ZoneFileDnsRouter } from '../../../functions/adapters/local/zone-file.dns-router.ts';
import { readExecutionRecords } from '../../local/runtime/execution-record.ts';
import { CliInputError, EXIT, reportInputError, type CliIo } from '../cli-io.ts';
import { formatDuration, paint, statusColour, table } from '../format.ts';
import { observeGroup, type GroupObservation } from '../local-observe.ts';
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
  readonly dns: { readonly name: string; readonly answer: string | null; readonly pointsAt: string | null };
  readonly observation: { readonly source: GroupObservation['source']; readonly detail: string; readonly decision: { readonly action: string; readonly reasons: readonly string[] } | null };
  readonly databases: GroupObservation['databases'];
  readonly stacks: readonly StackView[];
  readonly desiredRevision: string | null;
  readonly drift: readonly string[];
  readonly leases: ReadonlyArray<{ readonly key: string; readonly holder: string; readonly expiresAt: string }>;
  readonly running: ReadonlyArray<{ readonly workflow: string; readonly name: string; readonly startedAt: string }>;
  readonly recent: ReadonlyArray<{ readonly workflow: string; readonly status: string; readonly outcome: string | null; readonly startedAt: string; readonly durationMs: number | null }>;
}

export interface StatusOptions {
  readonly local?: boolean;
  readonly stateDir?: string;
  readonly json?: boolean;
  readonly observe?: boolean;
  readonly timeout?: string;
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

async function json<T>(state: LocalState, name: string): Promise<T | undefined> {
  const raw = await state.params.get(name);
  return raw === undefined ? undefined : (JSON.parse(raw) as T);
}

export async function groupStatus(state: LocalState, group: FailoverGroup, options: { observe: boolean; timeoutMs: number }): Promise<GroupStatus> {
  const groupState = (await json<GroupState>(state, parameterNames.state(group.name))) ?? { active: 'primary' };
  const deploy = await json<DeployState>(state, parameterNames.deployState(group.name));
  const desired = (await json<{ revision?: string }>(state, parameterNames.deployDesired(group.name)))?.revision;
  const answer = await new ZoneFileDnsRouter(state.zoneFile).current(group.dns).catch(() => undefined);
  const pointsAt = answer === undefined ? null : [group.primary, group.twin].find((s) => s.hosts.some((h) => h.address === answer.value))?.name ?? null;
  const observation = await observeGroup(state, group, { live: options.observe, timeoutMs: options.timeoutMs });
  const records = readExecutionRecords(state.dir).filter((r) => r.group === group.name);
  const now = Date.now();
  const stack = (role: 'primary' | 'twin'): StackView => {
    const s = group[role];
    const d = deploy?.stacks[s.name];
    return { role, name: s.name, region: s.region, address: s.hosts[0]?.address ?? '', deployed: d?.deployed ?? null, image: d?.image ?? null, deployStatus: d?.status ?? null, lastError: d?.lastError ?? null };
  };
  return {
    group: group.name,
    activeStack: groupState.active === 'twin' ? group.twin.name : group.primary.name,
    lastFailoverAt: groupState.lastFailoverAt ?? null,
    dns: { name: group.dns.name, answer: answer ? `${answer.type} ${answer.value}` : null, pointsAt },
    observation: { source: observation.source, detail: observation.detail, decision: observation.decision ? { action: observation.decision.action, reasons: observation.decision.reasons } : null },
    databases: observation.databases,
    stacks: [stack('primary'), stack('twin')],
    desiredRevision: desired ?? null,
    drift: driftOf(group, deploy, desired),
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

/** The human view of one group's status. */
export function renderStatus(s: GroupStatus, colour: boolean | undefined): string[] {
  const c = paint(colour);
  const lines: string[] = [];
  lines.push(c(`group ${s.group}`, 'bold') + `  active ${c(s.activeStack, 'green')}${s.lastFailoverAt ? `  (last failover ${s.lastFailoverAt})` : ''}`);
  lines.push(`dns   ${s.dns.name} → ${s.dns.answer ?? c('no record', 'red')}${s.dns.pointsAt ? ` (${s.dns.pointsAt})` : ''}`);
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
  lines.push(`leases: ${s.leases.length === 0 ? 'none held' : s.leases.map((l) => `${l.key} held by ${l.holder} until ${l.expiresAt}`).join('; ')}`);
  lines.push(`running: ${s.running.length === 0 ? 'none' : s.running.map((r) => `${r.workflow} ${r.name} since ${r.startedAt}`).join('; ')}`);
  if (s.recent.length > 0) {
    lines.push('recent:');
    for (const r of s.recent) lines.push(`  ${r.startedAt}  ${r.workflow.padEnd(9)}  ${c(r.status, statusColour(r.status))}  ${r.outcome ?? ''}  ${formatDuration(r.durationMs)}`);
  }
  return lines;
}

export async function runStatus(group: string | undefined, options: StatusOptions, io: CliIo): Promise<number> {
  try {
    if (!options.local) throw new CliInputError('status reads the local runtime only for now (AWS status is not wired yet)', 'add --local (e.g. `twinstack status --local`)');
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
    throw error;
  }
}

export function registerStatusCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('status')
    .description('active stack, DNS answer, each database\'s role, lag and promotability, deployed revision and drift, leases, executions')
    .argument('[group]', 'only this group (default: every group)')
    .option('--local', 'read the local runtime\'s state and observe its hosts over SSH')
    .option('--state-dir <dir>', 'local runtime state (default: .twinstack/state, else drill-report/state)')
    .option('--no-observe', 'do not observe over SSH; show the last stored observations')
    .option('--timeout <seconds>', 'give up observing live after this long', '15')
    .option('--json', 'print JSON (an array of groups without GROUP, one object with it)')
    .addHelpText(
      'after',
      `
Examples:
  npx twinstack status --local
  npx twinstack status drill --local --state-dir drill-report/state --json

Exit codes: 0 shown; 2 invalid input (unknown group, no local state, no --local); 1 fault.`,
    )
    .action(async (group: string | undefined, options: StatusOptions) => {
      setExitCode(await runStatus(group, options, io));
    });
}
