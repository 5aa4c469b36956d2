/**
 * Step Functions executions of the twinstack workflows: started by the CLI (one start path:
 * credentials checked, then StartExecution of `twinstack-<workflow>`), waited for (bounded
 * DescribeExecution polls), and listed as history entries (the same shape `history --local`
 * prints). ListExecutions is read newest first for a bounded number of pages; DescribeExecution
 * gives each one's input (its group and trigger, derived as the local records derive it),
 * output and error.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { DescribeExecutionCommand, ListExecutionsCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { SfnWorkflowStarter } from '../../functions/adapters/aws/sfn.workflow-starter.ts';
import { decisionOf, triggerOf } from '../local/runtime/execution-record.ts';
import { ensureAwsCredentials, stateMachineArnOf, WORKFLOW_NAMES, type AwsTarget } from './aws-target.ts';
import type { HistoryEntry } from './commands/history.command.ts';

export interface AwsExecutionQuery {
  /** Only executions whose input names this group. */
  readonly group?: string;
  /** Newest N in all (and at most N per workflow). */
  readonly limit: number;
  /** Only these statuses (ListExecutions statusFilter), e.g. RUNNING. */
  readonly status?: 'RUNNING';
  /** @default 3 pages of ListExecutions per workflow */
  readonly maxPages?: number;
  /** @default 50 */
  readonly pageSize?: number;
  /** Bound on DescribeExecution calls per workflow. @default min(100, 5 × limit) */
  readonly maxDescribes?: number;
}

function parse(json: string | undefined): unknown {
  if (json === undefined) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

/** Pure: one DescribeExecution answer → a history entry (RTO / lost writes are only known for a drill). */
export function historyEntryOfExecution(workflow: string, d: Partial<Pick<DescribeExecutionCommandOutput, 'name' | 'executionArn' | 'status' | 'startDate' | 'stopDate' | 'input' | 'output' | 'error' | 'cause'>>): HistoryEntry {
  const input = parse(d.input);
  const output = parse(d.output) as { outcome?: unknown } | undefined;
  const decision = decisionOf(output);
  const group = (input as { group?: unknown } | undefined)?.group;
  const start = d.startDate?.getTime();
  const stop = d.stopDate?.getTime();
  return {
    name: d.name ?? d.executionArn?.split(':').pop() ?? '?',
    workflow,
    group: typeof group === 'string' ? group : null,
    trigger: triggerOf(input),
    status: d.status ?? 'UNKNOWN',
    outcome: (typeof output?.outcome === 'string' ? output.outcome : undefined) ?? decision?.action ?? null,
    startedAt: d.startDate?.toISOString() ?? '',
    durationMs: start !== undefined && stop !== undefined ? stop - start : null,
    error: d.error ? `${d.error}${d.cause ? `: ${d.cause}` : ''}` : null,
    reasons: decision?.reasons ?? [],
    rtoMs: null,
    lostWrites: null,
  };
}

/** Newest first, across the three workflows; every loop bounded by pages and describes. */
export async function listAwsExecutions(client: SFNClient, target: AwsTarget, query: AwsExecutionQuery): Promise<HistoryEntry[]> {
  const maxPages = query.maxPages ?? 3;
  const pageSize = query.pageSize ?? 50;
  const maxDescribes = query.maxDescribes ?? Math.min(100, 5 * query.limit);
  const perWorkflow = await Promise.all(
    WORKFLOW_NAMES.map(async (workflow) => {
      const found: HistoryEntry[] = [];
      let describes = 0;
      let nextToken: string | undefined;
      for (let page = 0; page < maxPages && found.length < query.limit && describes < maxDescribes; page++) {
        const listed = await client.send(
          new ListExecutionsCommand({ stateMachineArn: stateMachineArnOf(target, workflow), maxResults: pageSize, nextToken, ...(query.status ? { statusFilter: query.status } : {}) }),
        );
        for (const item of listed.executions ?? []) {
          if (found.length >= query.limit || describes >= maxDescribes) break;
          if (!item.executionArn) continue;
          describes += 1;
          const described = await client.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
          const entry = historyEntryOfExecution(workflow, described);
          if (query.group === undefined || entry.group === query.group) found.push(entry);
        }
        nextToken = listed.nextToken;
        if (!nextToken) break;
      }
      return found;
    }),
  );
  return perWorkflow
    .flat()
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, query.limit);
}

export interface StartedAwsExecution {
  readonly executionName: string;
  readonly executionArn: string;
  /** False when an execution of that name already existed (nothing new started). */
  readonly started: boolean;
}

/**
 * Starts `twinstack-<workflow>` for `group` as `cli-<workflow>-<group>-<8 hex>`, after a bounded
 * credentials check (CliInputError naming the fix, nothing started). `what` names the command in that error.
 */
export async function startAwsExecution(client: SFNClient, target: AwsTarget, workflow: string, group: string, input: unknown, what = `${workflow} ${group}`): Promise<StartedAwsExecution> {
  await ensureAwsCredentials(client, what);
  const starter = new SfnWorkflowStarter(client, (wf) => stateMachineArnOf(target, wf));
  const executionName = `cli-${workflow}-${group}-${randomUUID().slice(0, 8)}`;
  const started = await starter.start(workflow, executionName, input);
  return { executionName, executionArn: started.executionId, started: started.started };
}

export interface AwsExecutionWait {
  /** Give up after this long (the execution goes on). */
  readonly timeoutMs: number;
  /** @default 15 000 */
  readonly pollMs?: number;
  /** @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
  /** @default Date.now */
  readonly now?: () => number;
}

export type FinishedAwsExecution = Pick<DescribeExecutionCommandOutput, 'status' | 'output' | 'error' | 'cause' | 'startDate' | 'stopDate'>;

/** Still running (or not visible yet) after the wait: `status` as last described. */
export interface UnfinishedAwsExecution { readonly finished: false; readonly status: string; readonly waitedMs: number }

/**
 * Polls DescribeExecution until the execution ends or `timeoutMs` passes; bounded in count
 * (timeout / poll + 1 calls) and in time. `ExecutionDoesNotExist` right after the start is
 * "not visible yet", polled again like RUNNING.
 */
export async function waitForAwsExecution(client: SFNClient, executionArn: string, wait: AwsExecutionWait): Promise<({ readonly finished: true } & FinishedAwsExecution) | UnfinishedAwsExecution> {
  const pollMs = wait.pollMs ?? 15_000;
  const sleep = wait.sleep ?? sleepFor;
  const now = wait.now ?? Date.now;
  const start = now();
  const maxPolls = Math.ceil(wait.timeoutMs / pollMs) + 1;
  let status = 'NOT_VISIBLE';
  for (let poll = 0; poll < maxPolls; poll++) {
    if (poll > 0) await sleep(pollMs);
    try {
      const d = await client.send(new DescribeExecutionCommand({ executionArn }));
      status = d.status ?? 'UNKNOWN';
      if (status !== 'RUNNING' && status !== 'PENDING_REDRIVE') return { finished: true, status: d.status, output: d.output, error: d.error, cause: d.cause, startDate: d.startDate, stopDate: d.stopDate };
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ExecutionDoesNotExist')) throw error;
    }
    if (now() - start >= wait.timeoutMs) break;
  }
  return { finished: false, status, waitedMs: now() - start };
}
