/** Where a command writes. The process uses stdout/stderr; tests collect lines. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** Exit codes of the `twinstack` command. */
export const EXIT = {
  ok: 0,
  /** An unexpected fault (a bug, or the environment failed). */
  fault: 1,
  /** The input (twinstack.yaml, a flag) is invalid: nothing was done. */
  invalidInput: 2,
} as const;

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
