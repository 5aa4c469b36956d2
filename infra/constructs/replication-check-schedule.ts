/**
 * The scheduled CheckReplication: every database of every group is observed on a
 * fixed rate, so the evidence a failover weighs once a primary is gone (its last
 * position and synchronous replicas, parameterNames.observation) is never
 * older than the rate. `failover.maxObservationAgeSeconds` must exceed the rate
 * (the construct refuses otherwise, listing every group at fault).
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { FailoverGroup } from '../../functions/core/model.ts';
import { InvalidConstructPropsError } from './construct-props-error.ts';

export interface ReplicationCheckScheduleProps {
  /** The CheckReplication step function. */
  readonly checkReplication: lambda.IFunction;
  readonly groups: readonly FailoverGroup[];
  /** How often each database is observed. @default 1 minute */
  readonly rate?: Duration;
}

export class ReplicationCheckSchedule extends Construct {
  readonly rules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: ReplicationCheckScheduleProps) {
    super(scope, id);
    const rate = props.rate ?? Duration.minutes(1);
    const issues = props.groups
      .filter((g) => g.failover.maxObservationAgeSeconds <= rate.toSeconds())
      .map((g) => `group ${g.name}: failover.maxObservationAgeSeconds ${g.failover.maxObservationAgeSeconds} must exceed the replication check rate (${rate.toSeconds()} s), or every failover would find its evidence stale`);
    if (issues.length > 0) throw new InvalidConstructPropsError('ReplicationCheckSchedule', issues);

    // One rule per group; one target per database (a rule takes up to 5 targets).
    this.rules = props.groups
      .filter((g) => g.databases.length > 0)
      .flatMap((group) => chunks(group.databases, 5).map((databases, index) =>
        new events.Rule(this, `${group.name}-${index}`, {
          description: `twinstack: observe the replication of group ${group.name} every ${rate.toSeconds()} s`,
          schedule: events.Schedule.rate(rate),
          targets: databases.map(
            (db) =>
              new targets.LambdaFunction(props.checkReplication, {
                event: events.RuleTargetInput.fromObject({ group: group.name, database: db.name }),
                retryAttempts: 0,
                maxEventAge: rate,
              }),
          ),
        }),
      ));
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
