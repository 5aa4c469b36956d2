import { readdirSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { ERROR_NAMES } from '../../functions/core/errors.ts';
import { STEPS } from '../../functions/handlers/step-catalog.ts';
import { STATEMACHINES_DIR, bindPlaceholders, loadAsl, localFunctionArn, placeholdersIn, readAslText, type WorkflowName } from '../../infra/local/runtime/load-asl.ts';

const WORKFLOWS = readdirSync(STATEMACHINES_DIR).filter((f) => f.endsWith('.asl.json')).map((f) => f.replace(/\.asl\.json$/, '') as WorkflowName);
const STATE_NAMES = STEPS.map((s) => s.state);
/** Tasks that call an AWS service directly (no Lambda, so no catalog step), with their exact resource. */
const SERVICE_TASKS: Readonly<Record<string, string>> = { SetTrafficGate: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData' };

interface AnyState { Type?: string; Resource?: string; TimeoutSeconds?: number; Retry?: { ErrorEquals: string[] }[]; Catch?: { ErrorEquals: string[] }[]; QueryLanguage?: string }

/** Every state of a definition, nested Map/Parallel ones included. */
function statesOf(definition: unknown): [string, AnyState][] {
  const found: [string, AnyState][] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'States' && value && typeof value === 'object') found.push(...Object.entries(value as Record<string, AnyState>));
      walk(value);
    }
  };
  walk(definition);
  return found;
}

describe('statemachines/*.asl.json', () => {
  it('finds both workflows', () => {
    // Assess
    expect(WORKFLOWS.sort()).toEqual(['deploy', 'failover', 'replicate']);
  });

  it.each(WORKFLOWS)('%s passes asl-validator once its placeholders are bound', async (workflow) => {
    // Prepare
    const definition = await loadAsl(workflow, STATE_NAMES);
    // Act
    const result = validator(definition, { checkArn: true, checkPaths: true });
    // Assess
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('binds every placeholder to a STEPS entry, and every STEPS entry is used by some workflow', async () => {
    // Prepare
    const texts = await Promise.all(WORKFLOWS.map((w) => readAslText(w)));
    // Act
    const used = new Set(texts.flatMap((t) => placeholdersIn(t)));
    // Assess
    expect([...used].filter((p) => !STATE_NAMES.some((s) => `${s}FunctionArn` === p))).toEqual([]);
    expect(STATE_NAMES.filter((s) => !used.has(`${s}FunctionArn`))).toEqual([]);
  });

  it.each(WORKFLOWS)('%s: every Task is named after its step, has a placeholder resource and a timeout within the catalog', async (workflow) => {
    // Prepare
    const definition = JSON.parse(await readAslText(workflow)) as unknown;
    // Act
    const tasks = statesOf(definition).filter(([, s]) => s.Type === 'Task');
    // Assess
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, task] of tasks) {
      if (SERVICE_TASKS[name] !== undefined) {
        expect(task.Resource, name).toBe(SERVICE_TASKS[name]);
        expect(task.TimeoutSeconds, name).toBeGreaterThan(0);
        continue;
      }
      const step = STEPS.find((s) => s.state === name);
      expect(step, name).toBeDefined();
      expect(task.Resource).toBe(`\${${name}FunctionArn}`);
      expect(task.TimeoutSeconds, name).toBeGreaterThan(0);
      expect(task.TimeoutSeconds, name).toBeLessThanOrEqual(step?.timeoutSeconds ?? 0);
    }
  });

  it.each(WORKFLOWS)('%s: every ErrorEquals names a real error class or a States.*/Lambda.* error', async (workflow) => {
    // Prepare
    const definition = JSON.parse(await readAslText(workflow)) as unknown;
    // Act
    const names = statesOf(definition).flatMap(([, s]) => [...(s.Retry ?? []), ...(s.Catch ?? [])].flatMap((r) => r.ErrorEquals));
    // Assess
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !(ERROR_NAMES as readonly string[]).includes(n) && !/^(States|Lambda)\.[A-Za-z]+$/.test(n))).toEqual([]);
  });

  it.each(WORKFLOWS)('%s: every Task retries transient errors and ends in ReportFailure when caught', async (workflow) => {
    // Prepare
    const definition = JSON.parse(await readAslText(workflow)) as { States: Record<string, AnyState & { Catch?: { Next: string }[] }> };
    // Act
    const tasks = statesOf(definition).filter(([, s]) => s.Type === 'Task');
    // Assess
    for (const [name, task] of tasks) expect(task.Retry?.[0]?.ErrorEquals, name).toContain(SERVICE_TASKS[name] !== undefined ? 'States.TaskFailed' : 'HostUnreachableError');
    // ReportFailure itself, the final group lease release of failover and replicate (it
    // also runs after ReportFailure, so catching into it would loop), and the failover's
    // PublishEnvVars (best-effort after DNS moved: its Catch goes on to MarkFailedOver)
    // are the only exceptions.
    const exempt: Record<string, readonly string[]> = {
      failover: ['ReportFailure', 'ReleaseGroupLease', 'PublishEnvVars'],
      replicate: ['ReportFailure', 'ReleaseGroupLease'],
    };
    const exemptHere = exempt[workflow] ?? ['ReportFailure'];
    for (const [name, state] of Object.entries(definition.States)) {
      if ((state.Type === 'Task' || state.Type === 'Map') && !exemptHere.includes(name)) expect(state.Catch?.[0]?.Next, name).toBe('ReportFailure');
    }
  });

  it.each(WORKFLOWS)('%s uses JSONPath only', async (workflow) => {
    // Prepare
    const text = await readAslText(workflow);
    const definition = JSON.parse(text) as { QueryLanguage?: string };
    // Assess
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(statesOf(definition).filter(([, s]) => s.QueryLanguage !== undefined && s.QueryLanguage !== 'JSONPath')).toEqual([]);
    expect(text).not.toMatch(/\{%|JSONata|"Arguments"|"Output"/);
  });

  it('refuses an unbound placeholder', () => {
    // Act + Assess
    expect(() => bindPlaceholders('{"Resource":"${NopeFunctionArn}"}', {})).toThrow(/NopeFunctionArn/);
    expect(bindPlaceholders('"${AFunctionArn}"', { AFunctionArn: localFunctionArn('A') })).toContain('function:twinstack-local-A');
  });
});
