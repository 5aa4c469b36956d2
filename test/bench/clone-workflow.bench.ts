/**
 * Benchmark: what the clone-stack workflow itself costs around its Compute calls — the real ASL
 * in the local runtime (real Wait and retry timings), every step handler, the lease, the
 * parameter copy and the deploy step — over the in-memory Compute of the tests, answering
 * "ready" at once (as the lab's does: its copies are available and its hosts running when the
 * call returns). The lab adapter's own time is test/bench/clone.bench.ts; a local clone costs
 * about the sum.
 *
 *   npx tsx test/bench/clone-workflow.bench.ts [--runs 5]
 */
import { runWorkflow } from '../../infra/local/runtime/run-workflow.ts';
import { CLONE_INPUT, createCloneHarness } from '../unit/handlers/fakes/fake-compute.ts';

const runsAt = process.argv.indexOf('--runs');
const RUNS = Math.min(20, Math.max(1, Number(runsAt >= 0 ? process.argv[runsAt + 1] : 5)));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const times: number[] = [];
for (let round = 0; round < RUNS; round++) {
  const h = await createCloneHarness();
  Object.assign(h.compute, { imageMissingPolls: 0, imagePendingPolls: 0, instancePendingDescribes: 0, hostKeyDelayReads: 0 });
  const result = await runWorkflow({ workflow: 'clone-stack', input: CLONE_INPUT, deps: h.deps, executionName: `bench-${round}` });
  if (result.status !== 'SUCCEEDED') throw new Error(`round ${round}: ${result.error ?? ''} ${result.cause ?? ''}`);
  times.push(result.durationMs);
  console.log(`round ${round + 1}: ${result.durationMs.toFixed(0)} ms (${result.events.filter((e) => e.type === 'entered').length} states)`);
}
console.log(JSON.stringify({ runs: RUNS, medianMs: Math.round(median(times)), minMs: Math.round(Math.min(...times)), maxMs: Math.round(Math.max(...times)) }));
