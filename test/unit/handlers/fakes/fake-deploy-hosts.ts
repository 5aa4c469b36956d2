/**
 * In-memory fakes for deploy tests: hosts that play DeployHost's commands (marker,
 * checkout, env file, deploy command) with an optional simulated duration, and a
 * lease store. Builds on fake-world's harness (parameter store, health probe, clock).
 */
import type { CommandResult, RemoteCommand } from '../../../../functions/core/command.ts';
import { HostUnreachableError } from '../../../../functions/core/errors.ts';
import type { DeploySource, FailoverGroup, Host } from '../../../../functions/core/model.ts';
import { parameterNames } from '../../../../functions/core/parameter-names.ts';
import type { RemoteShell } from '../../../../functions/core/ports.ts';
import type { StepDeps } from '../../../../functions/handlers/deps/step-deps.ts';
import { createHarness, type Harness } from './fake-world.ts';
import { MemoryLeaseStore } from './memory-lease-store.ts';

export { MemoryLeaseStore };

export const REV_A = 'a'.repeat(40);
export const REV_B = 'b'.repeat(40);
export const REV_C = 'c'.repeat(40);

export const SOURCE: DeploySource = { provider: 'github', repository: 'acme/shop', branch: 'main', gitUrl: 'https://git.example.test/acme/shop.git', hostConcurrency: 1 };

export interface FakeDeployHost {
  marker: string;
  checkedOut: string;
  envFile: string;
  /** Revisions the deploy command ran for, in order. */
  readonly deploys: string[];
}

export interface DeployExec { readonly host: string; readonly op: string; readonly argv: readonly string[]; readonly env?: Readonly<Record<string, string>>; readonly stdin?: string }

/** Hosts by address; every shell opened on the fleet shares them. */
export class FakeDeployFleet {
  readonly hosts = new Map<string, FakeDeployHost>();
  readonly execs: DeployExec[] = [];
  readonly unreachable = new Set<string>();
  /** Addresses whose deploy command exits 1. */
  readonly failing = new Set<string>();
  /** Simulated duration of the deploy command per host address (ms); 0 when absent. */
  readonly deployMs = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  /** Max deploy commands running at once, per stack directory prefix (address → its stack is the 3rd octet). */
  readonly maxInFlightByStack = new Map<string, number>();
  private readonly inFlightByStack = new Map<string, number>();
  openShells = 0;

  host(address: string): FakeDeployHost {
    let host = this.hosts.get(address);
    if (!host) {
      host = { marker: '', checkedOut: '', envFile: '', deploys: [] };
      this.hosts.set(address, host);
    }
    return host;
  }

  shell(): RemoteShell {
    this.openShells += 1;
    let closed = false;
    return {
      exec: async (host: Host, command: RemoteCommand): Promise<CommandResult> => {
        if (closed) throw new Error('shell used after close');
        const op = command.argv[3] ?? command.argv[0] ?? '';
        this.execs.push({ host: host.address, op, argv: command.argv, ...(command.env ? { env: command.env } : {}), ...(command.stdin ? { stdin: command.stdin } : {}) });
        if (this.unreachable.has(host.address)) throw new HostUnreachableError(`${host.address}: connect ECONNREFUSED`);
        return this.play(host.address, op, command);
      },
      close: () => {
        if (!closed) this.openShells -= 1;
        closed = true;
        return Promise.resolve();
      },
    };
  }

  private async play(address: string, op: string, command: RemoteCommand): Promise<CommandResult> {
    const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '', durationMs: 1 });
    const h = this.host(address);
    switch (op) {
      case 'twinstack-marker':
        if (command.argv.length > 5) {
          h.marker = command.argv[5] ?? '';
          return ok();
        }
        return ok(h.marker ? `${h.marker}\n` : '');
      case 'twinstack-checkout':
        h.checkedOut = command.argv[7] ?? '';
        return ok();
      case 'twinstack-env':
        h.envFile = command.stdin ?? '';
        return ok();
      case 'twinstack-deploy': {
        const stack = address.split('.').slice(0, 3).join('.');
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const now = (this.inFlightByStack.get(stack) ?? 0) + 1;
        this.inFlightByStack.set(stack, now);
        this.maxInFlightByStack.set(stack, Math.max(this.maxInFlightByStack.get(stack) ?? 0, now));
        try {
          const ms = this.deployMs.get(address) ?? 0;
          await new Promise((r) => setTimeout(r, ms));
          if (this.failing.has(address)) return { exitCode: 1, stdout: '', stderr: 'compose: image not found', durationMs: ms };
          h.deploys.push(command.env?.['TWINSTACK_REVISION'] ?? '?');
          return { exitCode: 0, stdout: 'up', stderr: '', durationMs: ms };
        } finally {
          this.inFlight -= 1;
          this.inFlightByStack.set(stack, (this.inFlightByStack.get(stack) ?? 1) - 1);
        }
      }
      default:
        return { exitCode: 127, stdout: '', stderr: `unknown command ${op}`, durationMs: 1 };
    }
  }
}

export interface DeployHarness extends Harness {
  readonly fleet: FakeDeployFleet;
  readonly lease: MemoryLeaseStore;
  readonly metrics: { name: string; value: number; dimensions: Readonly<Record<string, string>> }[];
  readonly deps: StepDeps;
}

/** fake-world's harness with a deploy source, published env vars, fake deploy hosts and a lease store. */
export async function createDeployHarness(options: { hostConcurrency?: number } = {}): Promise<DeployHarness> {
  const base = await createHarness();
  const group: FailoverGroup = { ...base.group, source: { ...SOURCE, hostConcurrency: options.hostConcurrency ?? SOURCE.hostConcurrency } };
  await base.params.put(parameterNames.config(group.name), JSON.stringify(group));
  await base.params.put(parameterNames.env(group.name, group.primary.name, 'DATABASE_URL_MAIN'), 'postgres://app:pw-S3cret-eu@127.0.1.1:5432/main', { secret: true });
  await base.params.put(parameterNames.env(group.name, group.twin.name, 'DATABASE_URL_MAIN'), 'postgres://app:pw-S3cret-de@127.0.2.1:5432/main', { secret: true });
  const fleet = new FakeDeployFleet();
  const lease = new MemoryLeaseStore();
  const metrics: DeployHarness['metrics'] = [];
  const deps: StepDeps = {
    ...base.deps,
    openShell: () => Promise.resolve(fleet.shell()),
    lease,
    recordMetric: (name, value, dimensions) => metrics.push({ name, value, dimensions }),
  };
  return { ...base, group, fleet, lease, metrics, deps };
}

/** Workflow input as the webhook intake starts it. */
export function push(revision: string, receivedAt: string, deliveryId = `d-${revision.slice(0, 4)}-${receivedAt.slice(11, 19).replace(/:/g, '')}`) {
  return { group: 'shop', revision, branch: 'main', deliveryId, receivedAt };
}
