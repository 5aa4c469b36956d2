/**
 * `npm run drill [-- --json] [-- --async]`: a whole failover on this machine,
 * with its measured RTO and lost writes. Exit 0 when the drill met its
 * invariants (failover succeeded, DNS moved, nothing acknowledged was lost).
 */
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import '../runtime/polyfill-promise-with-resolvers.ts';
import { runDrill } from './run-drill.ts';

const program = new Command('drill')
  .description('Run a whole twinstack failover on this machine and measure it')
  .option('--json', 'print only the summary JSON line', false)
  .addOption(new Option('--mode <mode>', 'replication mode of the drill database').choices(['sync', 'async']).default('sync'))
  .option('--lab-root <dir>', 'where lab hosts keep their files', '/var/tmp/twinstack-lab')
  .option('--report-dir <dir>', 'where the summary, timeline and config are written', 'drill-report')
  .option('--writes-before <n>', 'acknowledged writes before the kill', '200')
  .option('--writes-after <n>', 'acknowledged writes after the kill', '100')
  .option('--no-deploy', 'skip the deploy phase (a signed push deploying both stacks before the failover)')
  .parse();

const opts = program.opts<{ json: boolean; mode: 'sync' | 'async'; labRoot: string; reportDir: string; writesBefore: string; writesAfter: string; deploy: boolean }>();
const started = Date.now();
const log = opts.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
if (!opts.json) log(`twinstack drill (${opts.mode} replication): two local stacks, a primary that dies, a failover`);

try {
  const summary = await runDrill({
    labRoot: opts.labRoot,
    reportDir: resolve(opts.reportDir),
    mode: opts.mode,
    writesBefore: Number(opts.writesBefore),
    writesAfter: Number(opts.writesAfter),
    deploy: opts.deploy,
    log,
  });
  if (!opts.json) {
    log('');
    log(
      `RTO ${summary.rtoMs ?? '?'} ms (detection ${summary.detectionMs ?? '?'} ms, orchestration ${summary.orchestrationMs ?? '?'} ms); ` +
        `${summary.acknowledged} writes acknowledged, ${summary.lost} lost; DNS ${summary.dnsBefore} → ${summary.dnsAfter}; ` +
        `whole drill ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exitCode = summary.ok ? 0 : 1;
} catch (error) {
  process.stderr.write(`drill failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
