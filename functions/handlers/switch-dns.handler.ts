/** SwitchDns: point the group's name at the twin (UPSERT, waits for sync). Idempotent: no change when it already does. */
import type { DnsTarget } from '../core/model.ts';
import { dnsTargetOf } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadGroup } from './deps/load-group.ts';
import { stackPointedAt } from './deps/stack-pointed-at.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface SwitchDnsInput { readonly group: string }
export interface SwitchDnsResult { readonly record: string; readonly target: DnsTarget; readonly changed: boolean }

export function createHandler(deps: StepDeps) {
  return async (event: SwitchDnsInput): Promise<SwitchDnsResult> => {
    const group = await loadGroup(deps.params, event.group);
    const target = dnsTargetOf(group.twin);
    const current = await deps.dns.current(group.dns);
    if (stackPointedAt(group, current) === 'twin') return { record: group.dns.name, target, changed: false };
    await deps.dns.pointAt(group.dns, target);
    deps.logger.info('DNS switched', { group: group.name, record: group.dns.name, target });
    return { record: group.dns.name, target, changed: true };
  };
}

export const handler = awsEntry(createHandler);
