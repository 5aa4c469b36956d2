/** Entry of the `twinstack` command (run through twinstack.mjs). */
import { processIo } from './cli-io.ts';
import { runCli } from './program.ts';

await runCli(process.argv, processIo, (code) => {
  process.exitCode = code;
});
