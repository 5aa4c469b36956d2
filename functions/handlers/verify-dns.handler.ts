/** VerifyDns: the group's name answers the twin, else DnsVerificationError (transient: the workflow retries). */
import { DnsVerificationError } from '../core/errors.ts';
import type { DnsTarget } from '../core/model.ts';
import { dnsTargetOf } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadGroup } from './stores/load-group.ts';
import { stackPointedAt } from '../core/decisions/stack-pointed-at.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface VerifyDnsInput { readonly group: string }
export interface VerifyDnsResult { readonly record: string; readonly verified: true; readonly target: DnsTarget }

export function createHandler(deps: StepDeps) {
  return async (event: VerifyDnsInput): Promise<VerifyDnsResult> => {
    const group = await loadGroup(deps.params, event.group);
    const expected = dnsTargetOf(group.twin);
    const ok = deps.dnsVerifier
      ? await deps.dnsVerifier(group.dns, expected)
      : stackPointedAt(group, await deps.dns.current(group.dns)) === 'twin';
    if (!ok) throw new DnsVerificationError(`${group.dns.name} does not answer ${expected.type} ${expected.value} yet`);
    return { record: group.dns.name, verified: true, target: expected };
  };
}

export const handler = awsEntry(createHandler);
