/**
 * The local equivalent of the scheduled CheckReplication (an EventBridge rule in
 * AWS): runs the same handler for every database of a group on an interval, so
 * the evidence a failover weighs once the primary is gone (its last position and
 * synchronous replicas) stays fresh.
 *
 * Bounded: stops after `maxRuns` rounds or on stop(); one round at a time.
 */
import * as checkReplication from '../../../functions/handlers/check-replication.handler.ts';
import type { StepDeps } from '../../../functions/handlers/deps/step-deps.ts';
import type { FailoverGroup } from '../../../functions/core/model.ts';

export interface ReplicationMonitorOptions {
  readonly deps: StepDeps;
  readonly group: FailoverGroup;
  readonly intervalMs: number;
  readonly maxRuns: number;
  /** A failed check is expected once the primary dies; it is reported, not thrown. */
  readonly onError?: (database: string, error: unknown) => void;
}

export class ReplicationMonitor {
  private timer: NodeJS.Timeout | undefined;
  private runs = 0;
  private stopped = false;
  private round: Promise<void> = Promise.resolve();
  private readonly check: ReturnType<typeof checkReplication.createHandler>;

  constructor(private readonly options: ReplicationMonitorOptions) {
    this.check = checkReplication.createHandler(options.deps);
  }

  start(): void {
    this.schedule(0);
  }

  /** Stop and wait for a round in flight, so no check writes state after this resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.runs >= this.options.maxRuns) return;
    this.timer = setTimeout(() => {
      this.round = this.runRound().finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
  }

  private async runRound(): Promise<void> {
    this.runs += 1;
    const group = this.options.group.name;
    await Promise.all(
      this.options.group.databases.map((db) =>
        this.check({ group, database: db.name }).catch((error: unknown) => this.options.onError?.(db.name, error)),
      ),
    );
  }
}
