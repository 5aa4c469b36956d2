/**
 * PollInstances (clone-stack): whether every launched instance is running, has published its
 * SSH host key on a trusted channel (`Compute.hostKeyOf`: console output or SSM, never the
 * connection it authenticates) and accepts an SSH login pinned to that key. "Not yet" is
 * data (`ready: false`, the workflow's Wait loop polls again, bounded); an instance that
 * stopped or terminated, or a host key that does not match what it published, is a fault.
 */
import type { Host } from '../core/model.ts';
import type { ClonedHost } from '../core/decisions/plan-clone.ts';
import { ComputeError, HostUnreachableError, InvalidInputError, RemoteTimeoutError } from '../core/errors.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { clonePlanOf, computeOf, idsByHost } from './deps/clone-step-input.ts';
import { withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { loadGroupAwaitingTwin } from './stores/load-group.ts';

export interface PollInstancesInput { readonly plan: unknown; readonly launched: unknown }
export interface PollInstancesResult {
  readonly ready: boolean;
  /** The hosts ready so far (all of them when `ready`). */
  readonly hosts: readonly ClonedHost[];
  /** Why each other host is not ready yet. */
  readonly waiting: Readonly<Record<string, string>>;
}

/** Logging in proves the pinned key and the login: the command's own exit does not matter. */
const SSH_CHECK = { description: 'check SSH login', argv: ['true'], timeoutMs: 10_000 } as const;

export function createHandler(deps: StepDeps) {
  return async (event: PollInstancesInput): Promise<PollInstancesResult> => {
    const plan = clonePlanOf(event.plan);
    const launched = idsByHost(plan, event.launched, 'instanceId', 'launched');
    const group = await loadGroupAwaitingTwin(deps.params, plan.group);
    const compute = computeOf(deps);
    const instances = await compute.describeInstances(plan.targetRegion, [...launched.values()]);
    const hosts: ClonedHost[] = [];
    const waiting: Record<string, string> = {};
    const candidates: { host: Host; instanceId: string }[] = [];
    for (const planned of plan.hosts) {
      const instanceId = launched.get(planned.hostName) ?? '';
      const instance = instances.find((i) => i.id === instanceId);
      const configured = group.primary.hosts.find((h) => h.name === planned.hostName);
      if (!configured) throw new InvalidInputError(`host ${planned.hostName} is no longer in ${group.primary.name}'s config`);
      if (!instance) {
        waiting[planned.hostName] = `${instanceId} not visible yet`;
        continue;
      }
      if (instance.state === 'stopping' || instance.state === 'stopped' || instance.state === 'shutting-down' || instance.state === 'terminated') {
        throw new ComputeError(`instance ${instanceId} (${planned.hostName}) is ${instance.state} in ${plan.targetRegion}: look at its console output, then run the clone again`);
      }
      const address = instance.publicAddress ?? instance.privateAddress;
      if (instance.state !== 'running' || !address) {
        waiting[planned.hostName] = `${instanceId} is ${instance.state}${address ? '' : ', no address yet'}`;
        continue;
      }
      const hostKey = await compute.hostKeyOf(plan.targetRegion, instanceId);
      if (!hostKey) {
        waiting[planned.hostName] = `${instanceId} has not published its SSH host key yet`;
        continue;
      }
      candidates.push({ host: { name: planned.hostName, address, sshPort: configured.sshPort, user: configured.user, hostKey }, instanceId });
    }
    if (candidates.length > 0) {
      await withShell(() => deps.openShell(plan.group), async (shell) => {
        for (const { host, instanceId } of candidates) {
          try {
            await shell.exec(host, SSH_CHECK);
            hosts.push({ hostName: host.name, instanceId, address: host.address, hostKey: host.hostKey });
          } catch (error) {
            // Not listening yet (booting); a wrong key or a refused login is a fault and goes up.
            if (!(error instanceof HostUnreachableError || error instanceof RemoteTimeoutError)) throw error;
            waiting[host.name] = `${instanceId}: SSH not reachable yet (${error.message.slice(0, 200)})`;
          }
        }
      });
    }
    return { ready: Object.keys(waiting).length === 0, hosts, waiting };
  };
}

export const handler = awsSshEntry(createHandler);
