import { Command, CommanderError } from 'commander';
import { EXIT, type CliIo } from './cli-io.ts';
import { registerCloneCommand } from './commands/clone.command.ts';
import { registerDrillCommand } from './commands/drill.command.ts';
import { registerHistoryCommand } from './commands/history.command.ts';
import { registerServeCommand } from './commands/serve.command.ts';
import { registerStatusCommand } from './commands/status.command.ts';
import { registerWorkflowCommands } from './commands/workflow.command.ts';
import { registerValidateCommand } from './commands/validate.command.ts';

/**
 * The `twinstack` command line. Each command lives in commands/<name>.command.ts
 * and registers itself here; commands report through `io` and return their exit
 * code through `setExitCode` instead of calling process.exit. Commander's own
 * exits (help, version, usage errors) are thrown as CommanderError (exitOverride,
 * inherited by every command registered after it); see `runCli`.
 */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('twinstack')
    .description('Keep a Docker stack highly available by pairing it with a twin in another region.')
    .version('0.1.0')
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) })
    .showHelpAfterError()
    .exitOverride();
  registerValidateCommand(program, io, setExitCode);
  registerServeCommand(program, io, setExitCode);
  registerStatusCommand(program, io, setExitCode);
  registerHistoryCommand(program, io, setExitCode);
  registerWorkflowCommands(program, io, setExitCode);
  registerCloneCommand(program, io, setExitCode);
  registerDrillCommand(program, io, setExitCode);
  return program;
}

/** Runs the command line; usage errors exit 2 (invalid input), help and version 0. */
export async function runCli(argv: readonly string[], io: CliIo, setExitCode: (code: number) => void): Promise<void> {
  try {
    await buildProgram(io, setExitCode).parseAsync([...argv]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    setExitCode(error.exitCode === 0 ? EXIT.ok : EXIT.invalidInput);
  }
}
