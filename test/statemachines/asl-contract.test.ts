import { readdirSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { ENGINE_PLUGINS } from '../../functions/core/engines/engine-registry.ts';
import { ERROR_NAMES } from '../../functions/core/errors.ts';
import { generateAslText } from '../../functions/core/workflows/asl-generate.ts';
import { GROUP_LEASE, WORKFLOW_LEASES } from '../../functions/core/workflows/lease-scaffold.ts';
import { WORKFLOW_NAMES } from '../../functions/core/workflows/workflow-names.ts';
import { PLATFORM_TRANSIENT_ERRORS, POLICY_OF_TASK, RETRY_POLICIES, TRANSIENT_ERRORS, retryOf } from '../../functions/core/workflows/retry-policy.ts';
import { STEPS } from '../../functions/handlers/step-catalog.ts';
import { parseDatabaseEntry } from '../../infra/config/twinstack-config.schema.ts';
import { STATEMACHINES_DIR, bindPlaceholders, loadAsl, localFunctionArn, placeholdersIn, readAslText, type WorkflowName } from '../../infra/local/runtime/load-asl.ts';
import { RECORDED_STATUS } from '../unit/core/engines/contract/recorded-status.ts';

const WORKFLOWS = readdirSync(STATEMACHINES_DIR).filter((f) => f.endsWith('.asl.json')).map((f) => f.replace(/\.asl\.json$/, '') as WorkflowName);
const STATE_NAMES = STEPS.map((s) => s.state);
/** A host and secrets to build the engines' rejoin commands with (only their timeouts are read). */
const BUDGET_HOST = { name: 'db', address: '127.0.1.1', sshPort: 22, user: 'twinstack', hostKey: 'SHA256:abc' };
const BUDGET_SECRETS = { replicationPassword: 'replication-secret', appPassword: 'app-secret' };
/** Tasks that call an AWS service directly (no Lambda, so no catalog step), with their exact resource. */
const SERVICE_TASKS: Readonly<Record<string, string>> = { SetTrafficGate: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData' };

interface AnyState { Type?: string; Resource?: string; TimeoutSeconds?: number; Retry?: { ErrorEquals: string[] }[]; Catch?: { ErrorEquals: string[] }[]; QueryLanguage?: string }

interface FlowState { Type?: string; Next?: string; Default?: string; End?: boolean; ResultPath?: string; Choices?: { Next: string; Variable?: string; BooleanEquals?: boolean; IsPresent?: boolean }[]; Catch?: { Next: string; ResultPath?: string }[] }

/** The Tasks (nested ones included) whose Retry is not exactly `retryOf` their name. */
function retryMismatches(definition: unknown): string[] {
  return statesOf(definition)
    .filter(([name, s]) => s.Type === 'Task' && JSON.stringify(s.Retry) !== JSON.stringify(retryOf(name)))
    .map(([name]) => name);
}

/**
 * Every path from `start` through the top-level states (Next, Default, Choices, Catch;
 * a Map is one step) that reaches a Succeed, Fail or End without passing `release`, as
 * the states it took. Path-aware for one idiom: a Choice rule `IsPresent: true` on a
 * field is taken only on paths where some state set that field (ResultPath).
 */
function pathsAround(states: Record<string, FlowState>, start: string, release: string): string[][] {
  const leaks: string[][] = [];
  const seen = new Set<string>();
  const overlaps = (a: string, b: string): boolean => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
  const walk = (name: string, path: string[], set: ReadonlySet<string>): void => {
    const key = `${name}|${[...set].sort().join(',')}`;
    if (name === release || seen.has(key)) return;
    seen.add(key);
    const state = states[name];
    if (!state) return void leaks.push([...path, `${name} (missing)`]);
    const feasible = (c: { Variable?: string; IsPresent?: boolean }): boolean => c.IsPresent !== true || c.Variable === undefined || [...set].some((p) => overlaps(p, c.Variable ?? ''));
    const after = state.ResultPath ? new Set([...set, state.ResultPath]) : set;
    const next: [string, ReadonlySet<string>][] = [
      ...[state.Next, state.Default].filter((n): n is string => n !== undefined).map((n): [string, ReadonlySet<string>] => [n, after]),
      ...(state.Choices ?? []).filter(feasible).map((c): [string, ReadonlySet<string>] => [c.Next, after]),
      ...(state.Catch ?? []).map((c): [string, ReadonlySet<string>] => [c.Next, c.ResultPath ? new Set([...set, c.ResultPath]) : set]),
    ];
    if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End === true || next.length === 0) return void leaks.push([...path, name]);
    for (const [n, s] of next) walk(n, [...path, name], s);
  };
  walk(start, [], new Set());
  return leaks;
}

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
  it('finds every registered workflow (WORKFLOW_NAMES), and nothing else', () => {
    // Assess
    expect(WORKFLOWS.sort()).toEqual([...WORKFLOW_NAMES].sort());
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
      // One rule: a Task waits exactly as long as its Lambda may run (the catalog), wherever it is used.
      expect(task.TimeoutSeconds, name).toBe(step?.timeoutSeconds);
    }
  });

  it.each(ENGINE_PLUGINS.map((p) => [p.name, p] as const))(
    'RejoinDatabase (%s): the step runs long enough for the engine\'s commands it must finish — status, the new primary\'s preparation, the rejoin',
    (_name, plugin) => {
      // Prepare: the commands RejoinDatabase runs in sequence before it can return a rejoin
      const { engine } = plugin;
      const database = parseDatabaseEntry({ name: 'main', engine: plugin.name, host: 'db', replication: { mode: 'sync' } });
      const [oldHost, newHost] = [{ ...BUDGET_HOST, address: '127.0.1.1' }, { ...BUDGET_HOST, address: '127.0.2.1' }];
      const recorded = RECORDED_STATUS[plugin.name];
      const primaryStatus = engine.parseStatus(recorded?.promoted ?? recorded?.primary ?? { exitCode: 1, stdout: '', stderr: '', durationMs: 0 });
      const replicaName = engine.replicaName(database, 'shop', oldHost);
      const commands = [
        engine.status({ database, host: oldHost }),
        engine.preparePrimary({ database, host: newHost, replicaName, replicaAddress: oldHost.address }, BUDGET_SECRETS),
        engine.rejoin({ database, host: oldHost, primaryHost: newHost, replicaName, primaryStatus }, BUDGET_SECRETS),
      ];
      const step = STEPS.find((s) => s.state === 'RejoinDatabase');
      // Act
      const neededSeconds = commands.reduce((sum, c) => sum + c.timeoutMs, 0) / 1000;
      // Assess: the Lambda (and so every RejoinDatabase Task, by the rule above) outlasts them
      expect(step?.timeoutSeconds).toBeGreaterThanOrEqual(neededSeconds);
    },
  );

  it.each(WORKFLOWS.filter((w) => WORKFLOW_LEASES[w].names === GROUP_LEASE))('%s: the group lease\'s texts name every workflow that shares it', async (workflow) => {
    // Prepare
    const definition = JSON.parse(await readAslText(workflow)) as { States: Record<string, { Comment?: string; Cause?: string }> };
    const sharing = WORKFLOWS.filter((w) => WORKFLOW_LEASES[w].names === GROUP_LEASE);
    // Act
    const texts = [definition.States[GROUP_LEASE.acquire]?.Comment, definition.States[GROUP_LEASE.wait]?.Comment, definition.States[GROUP_LEASE.busy]?.Cause];
    // Assess
    expect(sharing).toEqual(expect.arrayContaining(['failover', 'replicate', 'switchover', 'rejoin', 'clone-stack']));
    for (const text of texts) for (const w of sharing) expect(text, `${workflow}: ${text}`).toContain(w);
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

  it.each(WORKFLOWS)('%s is what `npm run asl` generates from it (run `npm run asl` after editing a policy or the lease scaffold)', async (workflow) => {
    // Prepare
    const committed = await readAslText(workflow);
    // Act
    const generated = generateAslText(workflow, committed);
    // Assess
    expect(generated === committed, `statemachines/${workflow}.asl.json is stale: run \`npm run asl\``).toBe(true);
    expect(generateAslText(workflow, generated)).toBe(generated);
  });

  it.each(WORKFLOWS)('%s: every Task\'s Retry is exactly its one named policy (every entry, not only the first)', async (workflow) => {
    // Prepare
    const definition = JSON.parse(await readAslText(workflow)) as unknown;
    // Act + Assess
    expect(retryMismatches(definition)).toEqual([]);
  });

  it('catches a partial Retry edit beyond the first entry', async () => {
    // Prepare
    const definition = JSON.parse(await readAslText('failover')) as { States: Record<string, AnyState> };
    const switchDns = definition.States.SwitchDns as unknown as { Retry: { MaxAttempts: number }[] };
    (switchDns.Retry[1] as { MaxAttempts: number }).MaxAttempts = 2;
    // Act + Assess
    expect(retryMismatches(definition)).toEqual(['SwitchDns']);
  });

  it('maps only existing Tasks to a non-default policy, and the default policy retries every transient catalog error and the platform\'s', async () => {
    // Prepare
    const definitions = await Promise.all(WORKFLOWS.map(async (w) => JSON.parse(await readAslText(w)) as unknown));
    const taskNames = new Set(definitions.flatMap((d) => statesOf(d).filter(([, s]) => s.Type === 'Task').map(([n]) => n)));
    // Assess
    expect(Object.keys(POLICY_OF_TASK).filter((t) => !taskNames.has(t))).toEqual([]);
    expect(TRANSIENT_ERRORS).toEqual(expect.arrayContaining(['HostUnreachableError', 'RemoteTimeoutError', 'LeaseStoreError']));
    expect(TRANSIENT_ERRORS).not.toContain('FencingError');
    expect(RETRY_POLICIES.transient).toEqual([expect.objectContaining({ ErrorEquals: [...TRANSIENT_ERRORS, ...PLATFORM_TRANSIENT_ERRORS] })]);
    for (const [name, task] of definitions.flatMap((d) => statesOf(d))) {
      if (task.Type === 'Task' && SERVICE_TASKS[name] === undefined) expect(task.Retry?.flatMap((r) => r.ErrorEquals), name).toEqual(expect.arrayContaining(['HostUnreachableError', 'States.Timeout']));
    }
  });

  it.each(WORKFLOWS)('%s releases its lease on every path that acquired it', async (workflow) => {
    // Prepare
    const definition = JSON.parse(await readAslText(workflow)) as { States: Record<string, FlowState> };
    const lease = WORKFLOW_LEASES[workflow].names;
    const acquired = definition.States[lease.acquired]?.Choices?.find((c) => c.Variable === '$.lease.acquired' && c.BooleanEquals === true)?.Next;
    // Act
    const leaks = pathsAround(definition.States, acquired ?? '', lease.release);
    // Assess
    expect(acquired, `${lease.acquired} has a lease.acquired == true branch`).toBeDefined();
    expect(leaks).toEqual([]);
  });

  it('catches an exit that skips the lease release', async () => {
    // Prepare
    const definition = JSON.parse(await readAslText('failover')) as { States: Record<string, FlowState> };
    (definition.States.MarkHeld as FlowState).Next = 'Held';
    // Act + Assess
    expect(pathsAround(definition.States, 'AssessFailover', 'ReleaseGroupLease')).toEqual([['AssessFailover', 'DecideFailover', 'FailoverOrHold?', 'MarkHeld', 'Held']]);
  });

  it.each(WORKFLOWS)('%s: every Task and Map ends in ReportFailure when caught', async (workflow) => {
    // Prepare
    const definition = JSON.parse(await readAslText(workflow)) as { States: Record<string, AnyState & { Catch?: { Next: string }[] }> };
    // Assess
    // ReportFailure itself, the final group lease release of failover, replicate and rejoin (it
    // also runs after ReportFailure, so catching into it would loop), and the failover's
    // PublishEnvVars (best-effort after DNS moved: its Catch goes on to MarkFailedOver)
    // are the only exceptions.
    const exempt: Record<string, readonly string[]> = {
      failover: ['ReportFailure', 'ReleaseGroupLease', 'PublishEnvVars'],
      replicate: ['ReportFailure', 'ReleaseGroupLease'],
      rejoin: ['ReportFailure', 'ReleaseGroupLease'],
      // clone-stack: ReportFailure goes on to RollbackClone, whose own Catch comes back to ReportFailure (once).
      'clone-stack': ['ReportFailure', 'ReleaseGroupLease'],
      // Before promotion a failure aborts (undo the demotions); after the DNS switch a failed rejoin or env publish is an outcome.
      switchover: ['ReportFailure', 'ReleaseGroupLease', 'DemoteDatabases', 'CheckSwitchoverCatchUp', 'RejoinDatabases', 'PublishEnvVars'],
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
