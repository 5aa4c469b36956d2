import '../../infra/local/runtime/polyfill-promise-with-resolvers.ts';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { dnsTargetOf } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { createStepHandlers } from '../../functions/handlers/create-step-handlers.ts';
import type { StepDeps } from '../../functions/handlers/deps/step-deps.ts';
import { STEPS } from '../../functions/handlers/step-catalog.ts';
import { loadAsl } from '../../infra/local/runtime/load-asl.ts';
import { runWorkflow } from '../../infra/local/runtime/run-workflow.ts';
import { createHarness, replicateInWorld, type Harness } from '../unit/handlers/fakes/fake-world.ts';

const FAST = { retryIntervalMs: 0, waitMs: 0 };
const GATE_TRAFFIC = { mode: 'routing-gate', healthCheck: { intervalSeconds: 10, failureThreshold: 3 } };

/** A replicated group whose primary stack just died; `traffic` overrides the fakes' record mode. */
async function primaryDown(traffic?: unknown): Promise<Harness> {
  const h = await createHarness();
  if (traffic) await h.params.put(parameterNames.config('shop'), JSON.stringify({ ...h.group, traffic }));
  await replicateInWorld(h);
  for (const db of ['main', 'audit']) await h.params.put(parameterNames.observation('shop', db), JSON.stringify({ at: '2026-01-01T11:59:30.000Z', position: '0/3000148', syncReplicas: [] }));
  h.world.unreachable.add('127.0.1.1');
  h.world.unreachable.add('127.0.1.2');
  h.health.healthy.set(h.group.primary.healthUrl, false);
  return h;
}

const json = <T>(v: unknown): T => JSON.parse(JSON.stringify(v ?? null)) as T;

/**
 * The failover ASL with the real handlers, and SetTrafficGate (Step Functions' CloudWatch
 * integration in AWS) replaced by `setGate`: the routing-gate path of the very same file.
 */
async function runGateFailover(deps: StepDeps, setGate: (params: unknown) => Promise<unknown>) {
  const definition = await loadAsl('failover', STEPS.map((s) => s.state));
  const order: string[] = [];
  const handlers = Object.fromEntries(
    Object.entries(createStepHandlers(deps)).map(([state, handle]) => [state, async (event: unknown) => { order.push(state); return json<never>(await handle(json(event))); }]),
  );
  const machine = new StateMachine(definition as unknown as StateMachineDefinition);
  const zero = (names: string[]) => Object.fromEntries(names.map((n) => [n, 0]));
  const execution = machine.run(json({ group: 'shop', reason: 'alarm' }), {
    context: { Execution: { Name: 'gate-test', Id: 'arn:aws:states:eu-central-1:000000000000:execution:twinstack-failover:gate-test' } },
    overrides: {
      taskResourceLocalHandlers: { ...handlers, SetTrafficGate: async (params: unknown) => { order.push('SetTrafficGate'); return json<never>(await setGate(params)); } },
      retryIntervalOverrides: zero(['SwitchDns', 'SetTrafficGate', 'VerifyDns', 'ReportFailure']),
    },
  });
  try {
    return { status: 'SUCCEEDED' as const, output: await execution.result, order };
  } catch (error) {
    const failure = (error as { cause?: unknown }).cause ?? error;
    return { status: 'FAILED' as const, error: (failure as Error).name, order };
  }
}

describe('failover traffic switch: routing-gate', () => {
  it('sets TrafficGate 0 for the group after SwitchDns re-checked the twin, never calls the record API, and verifies before recording', async () => {
    // Prepare
    const h = await primaryDown(GATE_TRAFFIC);
    const gates: unknown[] = [];
    // The name follows the gate: the authoritative answer is the twin only once the gate is set.
    const deps = { ...h.deps, dnsVerifier: () => Promise.resolve(gates.length > 0) };
    // Act
    const result = await runGateFailover(deps, (params) => { gates.push(params); return Promise.resolve({}); });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(gates).toEqual([{ Namespace: 'twinstack', MetricData: [{ MetricName: 'TrafficGate', Dimensions: [{ Name: 'group', Value: 'shop' }], Value: 0, Unit: 'None' }] }]);
    expect(result.order.lastIndexOf('PromoteDatabase')).toBeLessThan(result.order.indexOf('SwitchDns'));
    expect(result.order.indexOf('SwitchDns')).toBeLessThan(result.order.indexOf('SetTrafficGate'));
    expect(result.order.indexOf('SetTrafficGate')).toBeLessThan(result.order.lastIndexOf('VerifyDns'));
    expect(result.order.lastIndexOf('VerifyDns')).toBeLessThan(result.order.indexOf('RecordFailover'));
    expect(h.dns.changes).toEqual([]);
    expect(JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}')).toMatchObject({ active: 'twin' });
  });

  it('a gate that cannot be set ends DnsNotSwitched (reported, lease released), nothing recorded', async () => {
    // Prepare
    const h = await primaryDown(GATE_TRAFFIC);
    const failing = () => Promise.reject(Object.assign(new Error('CloudWatch unavailable'), { name: 'States.TaskFailed' }));
    // Act
    const result = await runGateFailover(h.deps, failing);
    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'DnsNotSwitched' });
    expect(result.order.filter((s) => s === 'SetTrafficGate').length).toBeGreaterThan(1); // retried
    expect(result.order).toContain('ReportFailure');
    expect(result.order).toContain('ReleaseGroupLease');
    expect(result.order).not.toContain('RecordFailover');
    expect(JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}')).toMatchObject({ active: 'primary' });
  });
});

describe('failover traffic switch: record', () => {
  it('a Route 53 API that keeps failing after the fence ends DnsNotSwitched, and a re-run resumes and switches', async () => {
    // Prepare
    const h = await primaryDown();
    h.dns.failNextChanges = 1000;
    // Act
    const first = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess: fenced and promoted, DNS still on the fenced primary, reported with the way out.
    expect(first.status).toBe('FAILED');
    expect(first.error).toBe('DnsNotSwitched');
    expect(first.cause).toMatch(/start the failover again/);
    expect(first.events.filter((e) => e.state === 'SwitchDns' && e.type === 'retry').length).toBe(6);
    expect(first.events.some((e) => e.state === 'FenceOldPrimary' && e.type === 'succeeded')).toBe(true);
    expect(first.events.some((e) => e.state === 'ReportFailure' && e.type === 'succeeded')).toBe(true);
    for (const d of h.group.databases) expect(h.world.db('127.0.2.1', d.name)).toMatchObject({ role: 'primary', writable: true });
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.primary));

    // Act: the API is back; the same input again.
    h.dns.failNextChanges = 0;
    const second = await runWorkflow({ workflow: 'failover', input: { group: 'shop' }, deps: h.deps, timing: FAST });
    // Assess
    expect(second.cause ?? '').toBe('');
    expect(second.status).toBe('SUCCEEDED');
    expect(h.dns.records.get(h.group.dns.name)).toEqual(dnsTargetOf(h.group.twin));
    expect(JSON.parse((await h.params.get(parameterNames.state('shop'))) ?? '{}')).toMatchObject({ active: 'twin' });
  });
});

describe('workflow input validation', () => {
  it.each([
    ['failover', {}],
    ['failover', { group: 42 }],
    ['replicate', { reason: 'no group' }],
    ['deploy', { group: 'shop', revision: 'a'.repeat(40), branch: 'main', deliveryId: 'd-1' }],
  ] as const)('%s with %j fails InvalidWorkflowInput before any step runs', async (workflow, input) => {
    // Prepare
    const h = await createHarness();
    // Act
    const result = await runWorkflow({ workflow, input, deps: h.deps, timing: FAST });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidWorkflowInput');
    expect(result.cause).toMatch(/for example/);
    expect(result.events.filter((e) => e.type === 'entered').map((e) => e.state)).toEqual(['ValidateInput', 'InvalidWorkflowInput']);
  });
});
