/**
 * The remote commands that build a push's image once and ship it to every host.
 * Data only (a RemoteShell quotes every argv word).
 *
 * Invariants:
 * - an image is addressed by `<name>:<first 12 hex of the revision>` and identified by
 *   its ID (`sha256:<64 hex>`); a host runs a push's image only when its ID is the built one;
 * - the build holds the deploy lock of the builder's directory (as the checkout does);
 * - shipping streams `docker save` of the builder into `docker load` of the host, nothing
 *   is written to disk on the way (locally over SSH; in AWS a registry replaces it).
 */
import type { RemoteCommand } from '../command.ts';
import type { DeployImage } from '../model.ts';
import { InvalidInputError } from '../errors.ts';
import { DEPLOY_LOCK_FILE } from './deploy-commands.ts';
import { REVISION_PATTERN } from './deploy-state.ts';

export const IMAGE_ID_PATTERN = /^sha256:[0-9a-f]{64}$/;
const LOCK_WAIT_SECONDS = 600;

/** `name:abcdef012345` for a revision. */
export function imageReference(image: Pick<DeployImage, 'name'>, revision: string): string {
  if (!REVISION_PATTERN.test(revision)) throw new InvalidInputError('revision must be a full 40-hex commit id');
  return `${image.name}:${revision.slice(0, 12)}`;
}

/** The last `sha256:…` line of a command's output, or undefined. */
export function parseImageId(stdout: string): string | undefined {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => IMAGE_ID_PATTERN.test(l));
  return lines.at(-1);
}

/**
 * In the checked-out directory: `docker build` of the configured Dockerfile and context,
 * tagged with the push's reference; prints the image ID as the last line.
 */
export function buildImageCommand(directory: string, image: DeployImage, revision: string, timeoutMs: number): RemoteCommand {
  const reference = imageReference(image, revision);
  return {
    description: `build image ${reference}`,
    argv: [
      'sh', '-c',
      `cd -- "$1" && exec flock -w ${LOCK_WAIT_SECONDS} -o ${DEPLOY_LOCK_FILE} sh -c 'docker build --quiet --file "$1" --tag "$2" --label "twinstack.revision=$3" -- "$4" >/dev/null && docker image inspect --format "{{.Id}}" "$2"' twinstack-build "$2" "$3" "$4" "$5"`,
      'twinstack-build', directory, image.dockerfile, reference, revision, image.context,
    ],
    timeoutMs,
  };
}

/** Prints the ID of the image `reference` on this host (empty output, exit 0, when it has none). */
export function inspectImageCommand(reference: string): RemoteCommand {
  return {
    description: `inspect image ${reference}`,
    argv: ['sh', '-c', 'docker image inspect --format "{{.Id}}" -- "$1" 2>/dev/null || true', 'twinstack-inspect', reference],
    timeoutMs: 30_000,
  };
}

/** On the builder: the image as a tar stream on stdout. */
export function saveImageCommand(reference: string, timeoutMs: number): RemoteCommand {
  return { description: `save image ${reference}`, argv: ['docker', 'save', reference], timeoutMs };
}

/** On a host: load the tar stream on stdin, then print the ID the reference now names. */
export function loadImageCommand(reference: string, timeoutMs: number): RemoteCommand {
  return {
    description: `load image ${reference}`,
    argv: ['sh', '-c', 'docker load --quiet >/dev/null && docker image inspect --format "{{.Id}}" -- "$1"', 'twinstack-load', reference],
    timeoutMs,
  };
}
