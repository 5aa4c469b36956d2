/**
 * `npm run drill [-- --json] [-- --mode async] [-- --engines postgres,mariadb,redis]`: a whole failover on this machine,
 * with its measured RTO and lost writes. Exit 0 when the drill met its
 * invariants (failover succeeded, DNS moved, nothing acknowledged was lost).
 * The options and the run are drill-cli.ts's, shared with `twinstack drill`.
 */
import { Command } from 'commander';
import { addDrillOptions, DRILL_DESCRIPTION, runDrillCli, type DrillCliOptions } from './drill-cli.ts';

const program = addDrillOptions(new Command('drill').description(DRILL_DESCRIPTION)).parse();
process.exitCode = await runDrillCli(program.opts<DrillCliOptions>(), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
