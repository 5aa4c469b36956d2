/**
 * The drill's deploy phase (issue: one webhook per group deploys every stack):
 * a real git repository as the group's source, a real signed GitHub push sent to
 * `twinstack serve`'s handler over loopback HTTP, and the deploy workflow fanning
 * the revision out to both lab stacks over SSH. Returns what each stack runs.
 */
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FailoverGroup } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { ParameterStore } from '../../../functions/core/ports.ts';
import { startWebhookServer, type WebhookServer } from '../../cli/commands/serve.command.ts';

export const DRILL_REPOSITORY = 'twinstack/drill-app';
export const DRILL_BRANCH = 'main';

export interface LabUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Runs git as the lab user (the hosts' user owns both the source and the checkouts). */
function git(user: LabUser, cwd: string, args: readonly string[]): string {
  return execFileSync('git', [...args], {
    cwd,
    uid: user.uid,
    gid: user.gid,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'drill', GIT_AUTHOR_EMAIL: 'drill@twinstack.test', GIT_COMMITTER_NAME: 'drill', GIT_COMMITTER_EMAIL: 'drill@twinstack.test' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/**
 * A bare repository with one commit on `main` (README, .gitignore and `files`: the demo
 * app's compose project), owned by the lab user, in `root`
 * (outside the lab root, which only root may enter: it holds the control plane's key).
 * Returns its path and the commit id.
 */
export function createSourceRepository(root: string, user: LabUser, files: Readonly<Record<string, string>> = {}): { path: string; revision: string } {
  const work = join(root, 'work');
  const bare = join(root, 'drill-app.git');
  mkdirSync(root, { recursive: true, mode: 0o755 });
  for (const dir of [work, bare]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    chownSync(dir, user.uid, user.gid);
  }
  git(user, work, ['init', '--quiet', '--initial-branch', DRILL_BRANCH]);
  writeFileSync(join(work, 'README.md'), '# drill app\nDeployed by twinstack to both stacks of the drill.\n');
  writeFileSync(join(work, '.gitignore'), '.env.twinstack\n.env.deploy\n.twinstack-revision\n.twinstack-deploy.lock\n');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(work, name), content);
  for (const name of ['README.md', '.gitignore', ...Object.keys(files)]) chownSync(join(work, name), user.uid, user.gid);
  git(user, work, ['add', '.']);
  git(user, work, ['commit', '--quiet', '-m', 'drill app']);
  git(user, bare, ['init', '--quiet', '--bare']);
  git(user, work, ['push', '--quiet', bare, `${DRILL_BRANCH}:${DRILL_BRANCH}`]);
  return { path: bare, revision: git(user, work, ['rev-parse', 'HEAD']) };
}

/**
 * Each stack's deploy directory starts as an empty git repository (hosts fetch into
 * it). Made as root through the host's real path (the lab root is closed to the lab
 * user outside the host's namespace), then handed to the lab user.
 */
export function initDeployDirectory(directory: string, user: LabUser): void {
  execFileSync('git', ['init', '--quiet', directory], { stdio: ['ignore', 'pipe', 'pipe'] });
  execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, directory], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface DrillDeployResult {
  readonly revision: string;
  readonly webhookStatus: number;
  readonly executionStatus: string;
  readonly durationMs: number;
  /** stack name → the revision it records as deployed. */
  readonly deployed: Readonly<Record<string, string | undefined>>;
  /** stack name → the image ID it records as running. */
  readonly images: Readonly<Record<string, string | undefined>>;
  /** The deploy's phases from the execution output (build once, ship, compose up), when it ran. */
  readonly phases?: DeployPhases;
  /** CheckDrift's summary. */
  readonly drift?: string;
  /** Why the deploy execution failed. */
  readonly error?: string;
}

export interface DeployPhases {
  readonly buildMs: number;
  /** The slowest host's ship time. */
  readonly shipMs: number;
  /** The slowest host's deploy command (compose up). */
  readonly startMs: number;
}

/** Build, ship and start times of a deploy execution's output (BuildImage, DeployHost results). */
export function deployPhasesOf(output: unknown): DeployPhases | undefined {
  const o = output as { image?: { durationMs?: number }; stacks?: Array<{ hosts?: Array<{ shipMs?: number; commandMs?: number }> }> } | undefined;
  if (!o?.image) return undefined;
  const hosts = (o.stacks ?? []).flatMap((s) => s.hosts ?? []);
  return {
    buildMs: o.image.durationMs ?? 0,
    shipMs: Math.max(0, ...hosts.map((h) => h.shipMs ?? 0)),
    startMs: Math.max(0, ...hosts.map((h) => h.commandMs ?? 0)),
  };
}

/** Send one signed GitHub push to the local webhook server and wait for the deploy it starts. */
export async function runDrillDeploy(options: {
  readonly group: FailoverGroup;
  readonly params: ParameterStore;
  readonly stateDir: string;
  readonly listen: { readonly address: string; readonly port: number };
  readonly dnsServer: { readonly address: string; readonly port: number };
  readonly revision: string;
  readonly log: (line: string) => void;
  readonly onServer: (server: WebhookServer) => void;
}): Promise<DrillDeployResult> {
  const quiet = { info: () => undefined, warn: (m: string) => options.log(`webhook: ${m}`), error: (m: string) => options.log(`webhook: ${m}`), debug: () => undefined };
  const server = await startWebhookServer({
    config: { version: 1, groups: [options.group] },
    listen: options.listen,
    stateDir: options.stateDir,
    dnsServer: options.dnsServer,
    logger: quiet,
  });
  options.onServer(server);
  const secrets = JSON.parse((await options.params.get(parameterNames.webhookSecrets(options.group.name))) ?? '[]') as string[];
  const secret = secrets[0];
  if (!secret) throw new Error('the webhook server provisioned no secret');

  const body = JSON.stringify({
    ref: `refs/heads/${DRILL_BRANCH}`,
    after: options.revision,
    repository: { full_name: DRILL_REPOSITORY },
    head_commit: { id: options.revision, timestamp: new Date().toISOString() },
  });
  const started = Date.now();
  const response = await fetch(`${server.url}/hooks/${options.group.name}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': `drill-${started}`,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  await server.starter.idle();
  const execution = server.starter.list()[0];
  const state = JSON.parse((await options.params.get(parameterNames.deployState(options.group.name))) ?? '{}') as {
    stacks?: Record<string, { deployed?: string; image?: string }>;
  };
  const output = (execution as { output?: unknown } | undefined)?.output as { drift?: { summary?: string } } | undefined;
  const phases = deployPhasesOf(output);
  return {
    revision: options.revision,
    webhookStatus: response.status,
    executionStatus: execution?.status ?? 'NOT_STARTED',
    durationMs: Date.now() - started,
    deployed: Object.fromEntries([options.group.primary.name, options.group.twin.name].map((s) => [s, state.stacks?.[s]?.deployed])),
    images: Object.fromEntries([options.group.primary.name, options.group.twin.name].map((s) => [s, state.stacks?.[s]?.image])),
    ...(phases ? { phases } : {}),
    ...(output?.drift?.summary ? { drift: output.drift.summary } : {}),
    ...(execution?.error ? { error: execution.error } : {}),
  };
}
