/** Where a command writes. The process uses stdout/stderr; tests collect lines. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** stdout is a terminal: tables may use colour. @default false */
  readonly isTty?: boolean;
  /** Ask a yes/no question; false when nobody can answer (no terminal). @default always false */
  confirm?(question: string): Promise<boolean>;
}

/** Exit codes of the `twinstack` command. */
export const EXIT = {
  ok: 0,
  /** An unexpected fault (a bug, or the environment failed). */
  fault: 1,
  /** The input (twinstack.yaml, a flag, a group name, missing local state or credentials) is invalid: nothing was done. */
  invalidInput: 2,
  /** The decision refused (a failover held, e.g. the twin is not ready) or the operator did not confirm: nothing was started. */
  refused: 3,
  /** The workflow ran and failed. */
  workflowFailed: 4,
} as const;

/** A bad-input failure the CLI reports as one line: the reason, then the exact fix. */
export class CliInputError extends Error {
  override readonly name = 'CliInputError';
  constructor(
    message: string,
    readonly fix: string,
    readonly exitCode: number = EXIT.invalidInput,
  ) {
    super(message);
  }
}

/** Prints a CliInputError as `twinstack: <reason> — fix: <fix>` and returns its exit code. */
export function reportInputError(error: CliInputError, io: CliIo): number {
  io.err(`twinstack: ${error.message} — fix: ${error.fix}`);
  return error.exitCode;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  isTty: process.stdout.isTTY === true,
  confirm: async (question) => {
    if (!process.stdin.isTTY) return false;
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  },
};
