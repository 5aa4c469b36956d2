/**
 * SwitchDns: point the group's name at one stack (`to`, default the twin: failover; `primary`:
 * failback or switchover). Invariant: traffic is pointed only at a stack whose every database
 * was just re-read (one shell) as a writable primary; otherwise PromotionError and DNS is left
 * alone (a stack demoted, stopped or rebuilt since PromoteDatabase ran must not receive traffic).
 *
 * By the group's traffic mode (`trafficOf`):
 * - `record`: UPSERT the plain record through Route 53's API and wait until INSYNC; idempotent
 *   (no change when it already points there). A failing API throws DnsChangeError: the workflow
 *   retries it, then ends DnsNotSwitched, and a re-run resumes here (fence and promote are no-ops);
 * - `routing-gate`: changes nothing itself and returns the gate value; the workflow sets the
 *   gate metric from the control region (Step Functions' CloudWatch integration), which Route 53's
 *   data plane follows. Setting the gate again is harmless, so there is no short-cut.
 */
import { PromotionError } from '../core/errors.ts';
import type { DnsTarget, StackRole, TrafficMode } from '../core/model.ts';
import { databaseHost, dnsTargetOf, stackOf } from '../core/model.ts';
import { gateValueFor, trafficOf } from '../core/traffic.ts';
import { switchTargetOf } from './deps/switch-target.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { loadGroup } from './stores/load-group.ts';
import { readStatus } from './deps/observe-database.ts';
import { withShell } from './deps/run-command.ts';
import { stackPointedAt } from '../core/decisions/stack-pointed-at.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface SwitchDnsInput { readonly group: string; readonly to?: StackRole }
export interface SwitchDnsResult {
  readonly record: string;
  readonly to: StackRole;
  readonly target: DnsTarget;
  readonly mode: TrafficMode;
  readonly changed: boolean;
  /** routing-gate only: the TrafficGate value the workflow must set (1 primary, 0 twin). */
  readonly gate?: { readonly value: 0 | 1 };
  /** When the switch was made or found made (ISO; a switchover's timings). */
  readonly switchedAt: string;
}

/** The stack a switch or verification targets: `to`, default the twin; anything else is refused. */
export function createHandler(deps: StepDeps) {
  return async (event: SwitchDnsInput): Promise<SwitchDnsResult> => {
    const to = switchTargetOf(event.to);
    const group = await loadGroup(deps.params, event.group);
    const { mode } = trafficOf(group);
    const stack = stackOf(group, to);
    const target = dnsTargetOf(stack);
    const result = { record: group.dns.name, to, target, mode, switchedAt: deps.clock.now().toISOString() };
    if (mode === 'record' && stackPointedAt(group, await deps.dns.current(group.dns)) === to) return { ...result, changed: false };
    const problems = await withShell(() => deps.openShell(group.name), (shell) =>
      Promise.all(
        group.databases.map(async (database) => {
          const host = databaseHost(stack, database);
          // A transport fault throws (HostUnreachableError etc. are retried by the workflow); DNS is untouched either way.
          const { role, writable } = await readStatus(shell, engineOf(deps, database.engine), database, host);
          return role === 'primary' && writable ? undefined : `${database.name} on ${host.name} is ${role}${writable ? '' : ' (read-only)'}`;
        }),
      ),
    );
    const notReady = problems.filter((p): p is string => p !== undefined);
    if (notReady.length > 0) throw new PromotionError(`DNS not switched: every ${to} database must be a writable primary: ${notReady.join('; ')}`);
    if (mode === 'routing-gate') {
      deps.logger.info('routing gate to set', { group: group.name, to, gate: gateValueFor(to) });
      return { ...result, changed: true, gate: { value: gateValueFor(to) } };
    }
    await deps.dns.pointAt(group.dns, target);
    deps.logger.info('DNS switched', { group: group.name, record: group.dns.name, to, target });
    return { ...result, changed: true, switchedAt: deps.clock.now().toISOString() };
  };
}

export { switchTargetOf };

export const handler = awsSshEntry(createHandler);
