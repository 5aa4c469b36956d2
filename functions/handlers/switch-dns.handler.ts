/**
 * SwitchDns: point the group's name at the twin (UPSERT, waits for sync). Idempotent:
 * no change when it already does. Invariant: DNS is pointed only at a stack whose every
 * database was just re-read (one shell) as a writable primary; otherwise PromotionError
 * and DNS is left alone (a twin demoted, stopped or rebuilt since PromoteDatabase ran
 * must not receive traffic).
 */
import { PromotionError } from '../core/errors.ts';
import type { DnsTarget } from '../core/model.ts';
import { databaseHost, dnsTargetOf } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { loadGroup } from './stores/load-group.ts';
import { readStatus } from './deps/observe-database.ts';
import { withShell } from './deps/run-command.ts';
import { stackPointedAt } from '../core/decisions/stack-pointed-at.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface SwitchDnsInput { readonly group: string }
export interface SwitchDnsResult { readonly record: string; readonly target: DnsTarget; readonly changed: boolean }

export function createHandler(deps: StepDeps) {
  return async (event: SwitchDnsInput): Promise<SwitchDnsResult> => {
    const group = await loadGroup(deps.params, event.group);
    const target = dnsTargetOf(group.twin);
    const current = await deps.dns.current(group.dns);
    if (stackPointedAt(group, current) === 'twin') return { record: group.dns.name, target, changed: false };
    const problems = await withShell(() => deps.openShell(group.name), (shell) =>
      Promise.all(
        group.databases.map(async (database) => {
          const host = databaseHost(group.twin, database);
          // A transport fault throws (HostUnreachableError etc. are retried by the workflow); DNS is untouched either way.
          const { role, writable } = await readStatus(shell, engineOf(deps, database.engine), database, host);
          return role === 'primary' && writable ? undefined : `${database.name} on ${host.name} is ${role}${writable ? '' : ' (read-only)'}`;
        }),
      ),
    );
    const notReady = problems.filter((p): p is string => p !== undefined);
    if (notReady.length > 0) throw new PromotionError(`DNS not switched: every twin database must be a writable primary: ${notReady.join('; ')}`);
    await deps.dns.pointAt(group.dns, target);
    deps.logger.info('DNS switched', { group: group.name, record: group.dns.name, target });
    return { record: group.dns.name, target, changed: true };
  };
}

export const handler = awsEntry(createHandler);
