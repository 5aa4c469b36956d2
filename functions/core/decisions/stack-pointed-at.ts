import type { DnsTarget, FailoverGroup, StackRole } from '../model.ts';
import { dnsTargetOf } from '../model.ts';

/** Which stack a DNS answer designates, if any (case- and trailing-dot-insensitive). */
export function stackPointedAt(group: FailoverGroup, answer: DnsTarget | undefined): StackRole | undefined {
  if (!answer) return undefined;
  const norm = (v: string) => v.replace(/\.$/, '').toLowerCase();
  const same = (t: DnsTarget) => t.type === answer.type && norm(t.value) === norm(answer.value);
  if (same(dnsTargetOf(group.primary))) return 'primary';
  if (same(dnsTargetOf(group.twin))) return 'twin';
  return undefined;
}
