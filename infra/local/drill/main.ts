/**
 * `npm run drill [-- --json] [-- --scenario partition] [-- --mode async] [-- --engines postgres,mariadb,redis]`: a whole
 * failover (or another scenario) on this machine, with its measured RTO and lost writes.
 * Exit 0 when the scenario's property held (`passed` in the summary).
 * The options and the run are drill-cli.ts's, shared with `twinstack drill`.
 */
import { Command } from 'commander';
import { addDrillOptions, DRILL_DESCRIPTION, drillOptionsProblem, runDrillCli, type DrillCliOptions } from './drill-cli.ts';

const program = addDrillOptions(new Command('drill').description(DRILL_DESCRIPTION)).parse();
const problem = drillOptionsProblem(program.opts<DrillCliOptions>());
if (problem) program.error(`error: ${problem}`, { exitCode: 2 });
process.exitCode = await runDrillCli(program.opts<DrillCliOptions>(), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
