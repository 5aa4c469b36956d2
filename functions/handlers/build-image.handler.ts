/**
 * BuildImage: build the push's image ONCE, on one host, before any stack deploys.
 *
 * The builder is the first host of the first planned stack that answers (primary
 * first, then the twin: a dead primary region does not stop a deploy). On it: check
 * out the revision in the stack's deploy directory (the deploy lock held), then
 * `docker build` tagged `<source.image.name>:<revision 12>`; the image ID it prints is
 * what every host must run (DeployHost ships it there and checks the ID).
 *
 * Idempotent: an image already tagged with the revision on the builder is reused.
 * A group without `source.image` builds nothing (`built: false`).
 */
import { checkoutCommand, validateDeployTarget } from '../core/deploy/deploy-commands.ts';
import { buildImageCommand, imageReference, inspectImageCommand, parseImageId } from '../core/deploy/image-commands.ts';
import { HostUnreachableError, InvalidInputError, UnexpectedOutputError } from '../core/errors.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { sourceOf } from './stores/deploy-state-store.ts';
import { loadGroup } from './stores/load-group.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { findStackHost } from './deps/find-stack-host.ts';

export interface BuildImageInput {
  readonly group: string;
  readonly revision: string;
  /** PlanDeploy's stacks (`{stack, hosts}`), in plan order. */
  readonly stacks: readonly { readonly stack: string; readonly hosts: readonly string[] }[];
}

export type BuildImageResult =
  | { readonly built: false; readonly reasons: readonly string[] }
  | {
      readonly built: true;
      /** `name:abcdef012345` */
      readonly reference: string;
      /** `sha256:…` */
      readonly id: string;
      readonly builder: { readonly stack: string; readonly host: string };
      /** True when the builder had the image already (nothing was built). */
      readonly reused: boolean;
      readonly durationMs: number;
      readonly reasons: readonly string[];
    };

/** Within the step's 900 s. */
export const BUILD_TIMEOUT_MS = 600_000;

export function createHandler(deps: StepDeps) {
  return async (event: BuildImageInput): Promise<BuildImageResult> => {
    const group = await loadGroup(deps.params, event.group);
    const source = sourceOf(group);
    const image = source.image;
    if (!image) return { built: false, reasons: ['the group builds no image (source.image is not set)'] };
    const revision = String(event.revision);
    const reference = imageReference(image, revision);
    const planned: unknown = event.stacks;
    if (!Array.isArray(planned) || planned.length === 0) throw new InvalidInputError('BuildImage needs the planned stacks');
    const candidates = (planned as BuildImageInput['stacks']).map((planned) => {
      const { stack, host } = findStackHost(group, planned.stack, planned.hosts[0]);
      if (!host) throw new InvalidInputError(`stack ${stack.name} has no host`);
      return { stack, host };
    });
    const started = deps.clock.now().getTime();
    const reasons: string[] = [];
    return withShell(() => deps.openShell(group.name), async (shell) => {
      for (const { stack, host } of candidates) {
        const directory = stack.deploy.directory;
        validateDeployTarget({ directory, gitUrl: source.gitUrl, branch: source.branch, revision });
        try {
          const existing = parseImageId((await runCommand(shell, host, inspectImageCommand(reference))).stdout);
          let id = existing;
          if (!id) {
            await runCommand(shell, host, checkoutCommand({ directory, gitUrl: source.gitUrl, branch: source.branch, revision }));
            const built = await runCommand(shell, host, buildImageCommand(directory, image, revision, BUILD_TIMEOUT_MS));
            id = parseImageId(built.stdout);
            if (!id) throw new UnexpectedOutputError(`docker build on ${host.name} printed no image ID`);
          }
          reasons.push(`${existing ? 'reused' : 'built'} ${reference} (${id.slice(0, 19)}) on ${stack.name}/${host.name}`);
          deps.logger.info('image built', { group: group.name, reference, id, stack: stack.name, host: host.name, reused: Boolean(existing) });
          return { built: true, reference, id, builder: { stack: stack.name, host: host.name }, reused: Boolean(existing), durationMs: Math.max(0, deps.clock.now().getTime() - started), reasons };
        } catch (error) {
          // Only an unreachable builder moves on to the next stack's host; a failing build fails everywhere.
          if (!(error instanceof HostUnreachableError)) throw error;
          reasons.push(`${stack.name}/${host.name} unreachable: ${error.message}`);
        }
      }
      throw new HostUnreachableError(`no host could build ${reference}: ${reasons.join('; ')}`);
    });
  };
}

export const handler = awsSshEntry(createHandler);
