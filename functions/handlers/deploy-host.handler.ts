/**
 * DeployHost: on one host of a stack, check out the revision and run the stack's
 * deploy command in its directory, over SSH (argv only, every word quoted by the shell).
 *
 * 1. `.twinstack-revision` already names the revision → skipped (idempotent re-run);
 * 2. git fetch <gitUrl> <branch> && git checkout --force --detach <revision>;
 * 3. `.env.deploy` (mode 600, over stdin): the stack's published env vars + TWINSTACK_REVISION/GROUP/STACK;
 * 4. `sh -c <deploy.command>` in the directory with `.env.deploy` exported and TWINSTACK_REVISION set;
 * 5. the marker is written only after the command exited 0.
 * A non-zero exit is a RemoteCommandError redacted of every published value and of the
 * bare passwords inside published URLs (decoded and URL-encoded); the output holds no env values.
 */
import {
  checkoutCommand,
  passwordsInUrls,
  readMarkerCommand,
  redactionsOf,
  renderDeployEnv,
  runDeployCommand,
  validateDeployTarget,
  writeDeployEnvCommand,
  writeMarkerCommand,
} from '../core/deploy/deploy-commands.ts';
import { InvalidInputError } from '../core/errors.ts';
import { parameterNames } from '../core/parameter-names.ts';
import { findStackHost } from './deps/find-stack-host.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { sourceOf } from './deps/deploy-state-store.ts';
import { loadGroup } from './deps/load-group.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface DeployHostInput { readonly group: string; readonly stack: string; readonly revision: string; readonly host: string }
export interface DeployHostResult {
  readonly host: string;
  readonly revision: string;
  /** True when the host had already completed this revision: nothing was run. */
  readonly skipped: boolean;
  readonly exitCode: number;
  readonly durationMs: number;
}

/** Time left for the deploy command within the step's 900 s. */
export const DEPLOY_COMMAND_TIMEOUT_MS = 540_000;

export function createHandler(deps: StepDeps) {
  return async (event: DeployHostInput): Promise<DeployHostResult> => {
    const group = await loadGroup(deps.params, event.group);
    const source = sourceOf(group);
    const { stack, host } = findStackHost(group, event.stack, event.host);
    if (!host) throw new InvalidInputError('no host');
    const revision = String(event.revision);
    const directory = stack.deploy.directory;
    validateDeployTarget({ directory, gitUrl: source.gitUrl, branch: source.branch, revision });

    const published = await deps.params.getByPath(parameterNames.envPrefix(group.name, stack.name));
    const prefix = `${parameterNames.envPrefix(group.name, stack.name)}/`;
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(published)) {
      const variable = name.slice(prefix.length);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) env[variable] = value;
    }
    Object.assign(env, { TWINSTACK_GROUP: group.name, TWINSTACK_STACK: stack.name, TWINSTACK_REVISION: revision });
    // DeployHost may read only the published env (no secrets:read): the bare passwords come from the published URLs.
    const secrets = redactionsOf(Object.values(published), passwordsInUrls(Object.values(published)));

    const started = deps.clock.now().getTime();
    return withShell(() => deps.openShell(group.name), async (shell) => {
      const marker = (await runCommand(shell, host, readMarkerCommand(directory))).stdout.trim();
      if (marker === revision) {
        return { host: host.name, revision, skipped: true, exitCode: 0, durationMs: 0 };
      }
      await runCommand(shell, host, checkoutCommand({ directory, gitUrl: source.gitUrl, branch: source.branch, revision }));
      await runCommand(shell, host, writeDeployEnvCommand(directory, renderDeployEnv(env), secrets));
      const result = await runCommand(shell, host, runDeployCommand(directory, stack.deploy.command, revision, DEPLOY_COMMAND_TIMEOUT_MS, secrets));
      await runCommand(shell, host, writeMarkerCommand(directory, revision));
      deps.logger.info('host deployed', { group: group.name, stack: stack.name, host: host.name, revision });
      return { host: host.name, revision, skipped: false, exitCode: result.exitCode, durationMs: Math.max(0, deps.clock.now().getTime() - started) };
    });
  };
}

export { findStackHost };

export const handler = awsSshEntry(createHandler);
