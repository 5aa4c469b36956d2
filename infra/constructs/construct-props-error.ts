import { TwinstackError } from '../../functions/core/errors.ts';

/**
 * A construct or stack was given props it cannot build from. `issues` lists EVERY
 * problem found (constructs validate all props before creating anything), and the
 * message repeats them one per line so a failed synth shows them all at once.
 */
export class InvalidConstructPropsError extends TwinstackError {
  override readonly name = 'InvalidConstructPropsError';
  readonly code = 'INVALID_CONSTRUCT_PROPS';

  constructor(
    readonly construct: string,
    readonly issues: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${construct}: ${issues.length} problem(s):\n${issues.map((i) => `  - ${i}`).join('\n')}`, options);
  }
}
