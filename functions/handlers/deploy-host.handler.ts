/**
 * DeployHost: on one host of a stack, check out the revision and run the stack's
 * deploy command in its directory, over SSH (argv only, every word quoted by the shell).
 *
 * 1. `.twinstack-revision` already names the revision → skipped (idempotent re-run);
 * 2. git fetch <gitUrl> <branch> && git checkout --force --detach <revision>;
 * 3. with a built image (BuildImage): unless the host has it with the built ID, it is
 *    shipped from the builder (`docker save` there | `docker load` here, streamed through
 *    the control plane) and its ID checked — a host never runs another image;
 * 4. `.env.deploy` (mode 600, over stdin): the stack's published env vars + TWINSTACK_REVISION/
 *    GROUP/STACK/HOST/HOST_ADDRESS and, with an image, TWINSTACK_IMAGE (`name:rev12`) and TWINSTACK_IMAGE_ID;
 * 5. `sh -c <deploy.command>` in the directory with `.env.deploy` exported and TWINSTACK_REVISION set;
 * 6. the marker is written only after the command exited 0; the result names the image ID the host has.
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
import { inspectImageCommand, loadImageCommand, parseImageId, saveImageCommand, IMAGE_ID_PATTERN } from '../core/deploy/image-commands.ts';
import { InvalidInputError, RemoteCommandError } from '../core/errors.ts';
import type { RemoteShell } from '../core/ports.ts';
import type { FailoverGroup, Host } from '../core/model.ts';
import { parameterNames } from '../core/parameter-names.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { findStackHost } from './deps/find-stack-host.ts';
import { sourceOf } from './stores/deploy-state-store.ts';
import { loadGroup } from './stores/load-group.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';

/** BuildImage's output, as the workflow hands it on (`built: false`: no image). */
export interface BuiltImage {
  readonly built: boolean;
  readonly reference?: string;
  readonly id?: string;
  readonly builder?: { readonly stack: string; readonly host: string };
}

export interface DeployHostInput { readonly group: string; readonly stack: string; readonly revision: string; readonly host: string; readonly image?: BuiltImage }
export interface DeployHostResult {
  readonly host: string;
  readonly revision: string;
  /** True when the host had already completed this revision: nothing was run. */
  readonly skipped: boolean;
  readonly exitCode: number;
  readonly durationMs: number;
  /** The image ID the host has for this push (absent: the group builds no image). */
  readonly image?: string;
  /** Time spent shipping the image to this host (0: it had it). */
  readonly shipMs?: number;
  /** Time the deploy command took. */
  readonly commandMs?: number;
}

/** Time for one `docker save | docker load`, within the step's 900 s. */
export const SHIP_TIMEOUT_MS = 300_000;

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
    const image = builtImageOf(event.image);
    Object.assign(env, { TWINSTACK_GROUP: group.name, TWINSTACK_STACK: stack.name, TWINSTACK_REVISION: revision, TWINSTACK_HOST: host.name, TWINSTACK_HOST_ADDRESS: host.address });
    if (image) Object.assign(env, { TWINSTACK_IMAGE: image.reference, TWINSTACK_IMAGE_ID: image.id });
    // DeployHost may read only the published env (no secrets:read): the bare passwords come from the published URLs.
    const secrets = redactionsOf(Object.values(published), passwordsInUrls(Object.values(published)));

    const started = deps.clock.now().getTime();
    return withShell(() => deps.openShell(group.name), async (shell) => {
      const marker = (await runCommand(shell, host, readMarkerCommand(directory))).stdout.trim();
      const present = image ? parseImageId((await runCommand(shell, host, inspectImageCommand(image.reference))).stdout) : undefined;
      if (marker === revision && (!image || present === image.id)) {
        return { host: host.name, revision, skipped: true, exitCode: 0, durationMs: 0, ...(image ? { image: image.id, shipMs: 0, commandMs: 0 } : {}) };
      }
      const shipStarted = deps.clock.now().getTime();
      if (image && present !== image.id) await shipImage(shell, group, image, host);
      const shipMs = Math.max(0, deps.clock.now().getTime() - shipStarted);
      await runCommand(shell, host, checkoutCommand({ directory, gitUrl: source.gitUrl, branch: source.branch, revision }));
      await runCommand(shell, host, writeDeployEnvCommand(directory, renderDeployEnv(env), secrets));
      const commandStarted = deps.clock.now().getTime();
      const result = await runCommand(shell, host, runDeployCommand(directory, stack.deploy.command, revision, DEPLOY_COMMAND_TIMEOUT_MS, secrets));
      const commandMs = Math.max(0, deps.clock.now().getTime() - commandStarted);
      await runCommand(shell, host, writeMarkerCommand(directory, revision));
      deps.logger.info('host deployed', { group: group.name, stack: stack.name, host: host.name, revision, ...(image ? { image: image.id } : {}) });
      return {
        host: host.name,
        revision,
        skipped: false,
        exitCode: result.exitCode,
        durationMs: Math.max(0, deps.clock.now().getTime() - started),
        ...(image ? { image: image.id, shipMs, commandMs } : { commandMs }),
      };
    });
  };
}

/** The built image of the step input, validated; undefined when the push built none. */
function builtImageOf(input: BuiltImage | undefined): { reference: string; id: string; builder: { stack: string; host: string } } | undefined {
  if (!input || input.built !== true) return undefined;
  const { reference, id, builder } = input;
  if (typeof reference !== 'string' || !/^[a-z0-9][a-z0-9._/-]{0,200}:[0-9a-f]{12}$/.test(reference)) throw new InvalidInputError('image.reference must be `name:<12 hex>`');
  if (typeof id !== 'string' || !IMAGE_ID_PATTERN.test(id)) throw new InvalidInputError('image.id must be sha256:<64 hex>');
  if (!builder || typeof builder.stack !== 'string' || typeof builder.host !== 'string') throw new InvalidInputError('image.builder must name a stack and a host');
  return { reference, id, builder: { stack: builder.stack, host: builder.host } };
}

/** `docker save` on the builder | `docker load` on `host`; the loaded ID must be the built one. */
async function shipImage(shell: RemoteShell, group: FailoverGroup, image: { reference: string; id: string; builder: { stack: string; host: string } }, host: Host): Promise<void> {
  const { host: builder } = findStackHost(group, image.builder.stack, image.builder.host);
  if (!builder) throw new InvalidInputError('no builder host');
  if (builder.address === host.address && builder.sshPort === host.sshPort) {
    throw new RemoteCommandError(`${host.name} built ${image.reference} but no longer has it as ${image.id}`, 1, '');
  }
  if (!shell.pipe) throw new InvalidInputError('this runtime cannot stream an image between hosts (RemoteShell.pipe)');
  const shipped = await shell.pipe(builder, saveImageCommand(image.reference, SHIP_TIMEOUT_MS), host, loadImageCommand(image.reference, SHIP_TIMEOUT_MS));
  if (shipped.source.exitCode !== 0) {
    throw new RemoteCommandError(`docker save ${image.reference} on ${builder.name} exited ${shipped.source.exitCode}: ${shipped.source.stderr.trim().slice(-500)}`, shipped.source.exitCode, shipped.source.stderr);
  }
  if (shipped.target.exitCode !== 0) {
    throw new RemoteCommandError(`shipping ${image.reference} to ${host.name}: docker load exited ${shipped.target.exitCode}: ${shipped.target.stderr.trim().slice(-500)}`, shipped.target.exitCode, shipped.target.stderr);
  }
  const loaded = parseImageId(shipped.target.stdout);
  if (loaded !== image.id) throw new RemoteCommandError(`${host.name} loaded ${image.reference} as ${loaded ?? 'nothing'}, not the built ${image.id}`, 1, '');
}

export const handler = awsSshEntry(createHandler);
