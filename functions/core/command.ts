/**
 * A remote command is data: engines build it, a RemoteShell runs it.
 *
 * Invariants a RemoteShell keeps for every command:
 * - `argv` is sent as separately shell-quoted words (never one interpolated string);
 * - `secretEnv` values never appear on the command line: they travel over stdin
 *   and are exported by a fixed wrapper before `argv` runs;
 * - every string in `redact` and every `secretEnv` value is replaced by `***`
 *   in errors, logs and returned output.
 */
export interface RemoteCommand {
  /** What this command does, for logs and timelines (never contains secrets). */
  readonly description: string;
  readonly argv: readonly string[];
  /** Non-secret environment for the command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret environment: delivered over stdin, never on the command line. */
  readonly secretEnv?: Readonly<Record<string, string>>;
  /** Data written to the command's stdin (after the secret preamble). */
  readonly stdin?: string;
  readonly timeoutMs: number;
  /** Extra strings to mask in output and errors. */
  readonly redact?: readonly string[];
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell single-quoting of one word. */
export function shellQuote(word: string): string {
  if (word === '') return "''";
  if (SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Mask every secret occurrence in `text` (longest first, so a secret inside another is masked whole). */
export function redact(text: string, secrets: readonly string[]): string {
  return [...secrets]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length)
    .reduce((acc, s) => acc.split(s).join('***'), text);
}
