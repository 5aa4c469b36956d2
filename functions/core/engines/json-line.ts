/**
 * Every engine's status and action scripts end by printing one JSON line; chatter of
 * the tools they run may come before it. One reading of that convention for all engines.
 */
import type { CommandResult } from '../command.ts';
import { UnexpectedOutputError } from '../errors.ts';

/** The last stdout line that looks like a JSON object. */
export function lastJsonLine(stdout: string): string | undefined {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{'))
    .at(-1);
}

/**
 * The last JSON line of `result` parsed (and passed through `decode`, e.g. MongoDB's
 * Extended JSON); UnexpectedOutputError when the command failed, printed no JSON line,
 * or the line is not JSON. Never a guess: the caller checks the shape.
 */
export function parseJsonLine(what: string, result: CommandResult, decode: (json: unknown) => unknown = (json) => json): unknown {
  if (result.exitCode !== 0) throw new UnexpectedOutputError(`${what} command exited ${result.exitCode}: ${result.stderr.trim().slice(0, 200)}`);
  const line = lastJsonLine(result.stdout);
  if (line === undefined) throw new UnexpectedOutputError(`${what} printed no JSON line: ${JSON.stringify(result.stdout.slice(0, 200))}`);
  try {
    return decode(JSON.parse(line));
  } catch (cause) {
    if (cause instanceof UnexpectedOutputError) throw cause;
    throw new UnexpectedOutputError(`${what} line is not JSON: ${JSON.stringify(line.slice(0, 200))}`, { cause });
  }
}
