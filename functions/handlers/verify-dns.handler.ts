/**
 * VerifyDns: after a switch, the group's name answers the stack it was pointed at (`to`, default
 * the twin) AND that stack serves its health URL; else DnsVerificationError (transient: the
 * workflow retries, long enough for a routing gate to take effect). In AWS the answer is asked of
 * the zone's authoritative name servers (Route 53's data plane), so it reflects the failover
 * records' health-based choice; locally of the local DNS server.
 */
import { DnsVerificationError } from '../core/errors.ts';
import type { DnsTarget, StackRole } from '../core/model.ts';
import { dnsTargetOf, stackOf } from '../core/model.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadGroup } from './stores/load-group.ts';
import { stackPointedAt } from '../core/decisions/stack-pointed-at.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { switchTargetOf } from './deps/switch-target.ts';

export interface VerifyDnsInput { readonly group: string; readonly to?: StackRole }
export interface VerifyDnsResult { readonly record: string; readonly verified: true; readonly to: StackRole; readonly target: DnsTarget; readonly health: string }

/** How long the health probe of the active stack may take. */
export const VERIFY_HEALTH_TIMEOUT_MS = 5000;

export function createHandler(deps: StepDeps) {
  return async (event: VerifyDnsInput): Promise<VerifyDnsResult> => {
    const to = switchTargetOf(event.to);
    const group = await loadGroup(deps.params, event.group);
    const stack = stackOf(group, to);
    const expected = dnsTargetOf(stack);
    const ok = deps.dnsVerifier
      ? await deps.dnsVerifier(group.dns, expected)
      : stackPointedAt(group, await deps.dns.current(group.dns)) === to;
    if (!ok) throw new DnsVerificationError(`${group.dns.name} does not answer ${expected.type} ${expected.value} (${to} ${stack.name}) yet`);
    const health = await deps.health.check(stack.healthUrl, VERIFY_HEALTH_TIMEOUT_MS);
    if (!health.healthy) throw new DnsVerificationError(`${group.dns.name} answers the ${to} ${stack.name}, but ${stack.healthUrl} does not serve: ${health.detail}`);
    return { record: group.dns.name, verified: true, to, target: expected, health: health.detail };
  };
}

export const handler = awsEntry(createHandler);
