/**
 * `twinstack drill [--json] [--scenario NAME] [--mode sync|async] [--engines …] …`: the local drill, the
 * same options and run as `npm run drill` (infra/local/drill/drill-cli.ts).
 */
import type { Command } from 'commander';
import { addDrillOptions, DRILL_DESCRIPTION, drillOptionsProblem, runDrillCli, type DrillCliOptions } from '../../local/drill/drill-cli.ts';
import type { CliIo } from '../cli-io.ts';

export interface DrillCommandDeps {
  /** @default runDrillCli */
  readonly run?: (opts: DrillCliOptions, io: CliIo) => Promise<number>;
}

export function registerDrillCommand(program: Command, io: CliIo, setExitCode: (code: number) => void, deps: DrillCommandDeps = {}): void {
  addDrillOptions(program.command('drill').description(`${DRILL_DESCRIPTION} (the same as \`npm run drill\`)`))
    .addHelpText(
      'after',
      `
Examples:
  npx twinstack drill
  npx twinstack drill --json --mode async --engines postgres
  npx twinstack drill --scenario partition
  npx twinstack drill --scenario lagging-replica --engines postgres

Scenarios: kill-primary (default), partition, lagging-replica (async), flapping,
duplicate-alarm, ssh-drop, switchover-and-back, rejoin. The summary says which ran, the
property it checks (\`property\`) and whether it held (\`passed\`, with \`propertyReasons\`).

Writes <report-dir>/summary.json, timeline.txt and index.html, and <report-dir>/state (what
\`twinstack status --local\` and \`history --local\` read). One drill at a time (it owns the lab's loopback addresses).

Exit codes: 0 the scenario's property held (kill-primary: failed over, DNS moved, nothing acknowledged lost);
1 it did not, or could not run (the reason on stderr, a summary JSON line on stdout); 2 invalid option: nothing run.`,
    )
    .action(async (opts: DrillCliOptions, command: Command) => {
      const problem = drillOptionsProblem(opts);
      if (problem) command.error(`error: ${problem}`, { exitCode: 2 });
      setExitCode(await (deps.run ?? runDrillCli)(opts, io));
    });
}
