/** Shared by DeployHost, CheckStackHealth and RecordStackRevision (so the latter two bundle no ssh wiring). */
import { InvalidInputError } from '../../core/errors.ts';
import type { FailoverGroup, Host, Stack } from '../../core/model.ts';

/** The stack and host named in a step input; InvalidInputError when the group has neither. */
export function findStackHost(group: FailoverGroup, stackName: unknown, hostName?: unknown): { stack: Stack; host?: Host } {
  const stack = [group.primary, group.twin].find((s) => s.name === stackName);
  if (!stack) throw new InvalidInputError(`group ${group.name} has no stack ${JSON.stringify(stackName)}`);
  if (hostName === undefined) return { stack };
  const host = stack.hosts.find((h) => h.name === hostName);
  if (!host) throw new InvalidInputError(`stack ${stack.name} has no host ${JSON.stringify(hostName)}`);
  return { stack, host };
}
