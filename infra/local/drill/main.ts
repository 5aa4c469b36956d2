/**
 * `npm run drill [-- --json] [-- --mode async] [-- --engines postgres,mariadb,redis]`: a whole failover on this machine,
 * with its measured RTO and lost writes. Exit 0 when the drill met its
 * invariants (failover succeeded, DNS moved, nothing acknowledged was lost).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolve } from 'node:path';
import '../runtime/polyfill-promise-with-resolvers.ts';
import { ENGINE_NAMES, pluginFor } from '../../../functions/core/engines/engine-registry.ts';
import type { EngineName } from '../../../functions/core/model.ts';
import { LAB_NODES } from '../lab/lab-nodes.ts';
import { DrillFailedError, runDrill } from './run-drill.ts';
import { summarizeFailedDrill } from './summarize-drill.ts';

/** Engines the drill runs by default: every live-tested engine the lab has a node for. */
const DEFAULT_ENGINES = LAB_NODES.map((n) => n.engine).filter((e) => pluginFor(e).tested === 'live');

/** `--engines a,b`: known, live-tested and in the lab, each once; else a one-line reason. */
function parseEngines(value: string): EngineName[] {
  const names = value.split(',').map((n) => n.trim()).filter(Boolean);
  const problems = names.flatMap((name) => {
    if (!(ENGINE_NAMES as readonly string[]).includes(name)) return [`unknown engine "${name}" (engines: ${ENGINE_NAMES.join(', ')})`];
    const engine = name as EngineName;
    if (pluginFor(engine).tested !== 'live') return [`${engine} is not yet tested against a live server here (built against recorded outputs only), so the drill cannot run it`];
    if (!LAB_NODES.some((n) => n.engine === engine)) return [`the lab has no ${engine} server`];
    return [];
  });
  if (names.length === 0) problems.push('name at least one engine');
  if (new Set(names).size !== names.length) problems.push('name each engine once');
  if (problems.length > 0) throw new InvalidArgumentError(problems.join('; '));
  return names as EngineName[];
}

const program = new Command('drill')
  .description('Run a whole twinstack failover on this machine and measure it')
  .option('--json', 'print only the summary JSON line', false)
  .addOption(new Option('--mode <mode>', 'replication mode of the drill databases').choices(['sync', 'async']).default('sync'))
  .option('--engines <list>', `comma-separated database engines, one database each (default ${DEFAULT_ENGINES.join(',')})`, parseEngines, DEFAULT_ENGINES)
  .option('--lab-root <dir>', 'where lab hosts keep their files', '/var/tmp/twinstack-lab')
  .option('--report-dir <dir>', 'where the summary, timeline and config are written', 'drill-report')
  .option('--writes-before <n>', 'acknowledged writes before the kill', '200')
  .option('--writes-after <n>', 'acknowledged writes after the kill', '100')
  .parse();

const opts = program.opts<{ json: boolean; mode: 'sync' | 'async'; engines: EngineName[]; labRoot: string; reportDir: string; writesBefore: string; writesAfter: string }>();
const started = Date.now();
const log = opts.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`);
if (!opts.json) log(`twinstack drill (${opts.engines.join(', ')}; ${opts.mode} replication): two local stacks, a primary that dies, a failover`);

try {
  const summary = await runDrill({
    labRoot: opts.labRoot,
    reportDir: resolve(opts.reportDir),
    mode: opts.mode,
    engines: opts.engines,
    writesBefore: Number(opts.writesBefore),
    writesAfter: Number(opts.writesAfter),
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
  // Still one JSON line (the `ok: false` summary runDrill wrote to summary.json), and the reason on stderr.
  const summary = error instanceof DrillFailedError ? error.summary : summarizeFailedDrill({ error: error instanceof Error ? error.message : String(error), wallMs: Date.now() - started });
  process.stderr.write(`drill failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exitCode = 1;
}
