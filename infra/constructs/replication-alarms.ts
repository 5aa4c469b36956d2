/**
 * Per database of every group: an alarm on replication lag beyond `replication.maxLag` and
 * one on the twin not replicating, over the metrics CheckReplication publishes (on the
 * ReplicationCheckSchedule rate).
 *
 * Invariants: each alarm watches exactly the metric the handler emits: the lag metric named
 * after the engine's lag unit (`lagMetricName`) with the threshold in that same unit, and
 * dimensions `emittedDimensions({group, database})` (Powertools adds `service`).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { engineFor } from '../../functions/core/engines/engine-registry.ts';
import { formatLag, lagMetricName } from '../../functions/core/engines/lag-unit.ts';
import type { Database, FailoverGroup } from '../../functions/core/model.ts';
import { TWIN_REPLICATING_METRIC } from '../../functions/handlers/check-replication.handler.ts';
import { METRICS_NAMESPACE, emittedDimensions } from '../../functions/handlers/deps/metric-dimensions.ts';

export interface ReplicationAlarmsProps {
  readonly groups: readonly FailoverGroup[];
  /** Every topic that hears the alarms (ALARM and OK). */
  readonly topics: readonly sns.ITopic[];
  /** Consecutive checks beyond the limit (or not replicating) before alarming. @default 3 */
  readonly evaluationPeriods?: number;
  /** The check rate (one datapoint a period). @default 1 minute */
  readonly period?: Duration;
}

/** The lag metric CheckReplication publishes for one database. */
export function replicationLagMetric(group: FailoverGroup, database: Database, period: Duration = Duration.minutes(1)): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: lagMetricName(engineFor(database.engine).lagUnit),
    dimensionsMap: emittedDimensions({ group: group.name, database: database.name }),
    statistic: 'Maximum',
    period,
  });
}

/** 1 = the twin replicates and has caught up; 0 = it does not. */
export function twinReplicatingMetric(group: FailoverGroup, database: Database, period: Duration = Duration.minutes(1)): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: TWIN_REPLICATING_METRIC,
    dimensionsMap: emittedDimensions({ group: group.name, database: database.name }),
    statistic: 'Minimum',
    period,
  });
}

export class ReplicationAlarms extends Construct {
  /** By `<group>/<database>`. */
  readonly lagAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  readonly notReplicatingAlarms: Readonly<Record<string, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: ReplicationAlarmsProps) {
    super(scope, id);
    const periods = props.evaluationPeriods ?? 3;
    const period = props.period ?? Duration.minutes(1);
    const lagAlarms: Record<string, cloudwatch.Alarm> = {};
    const notReplicating: Record<string, cloudwatch.Alarm> = {};
    for (const group of props.groups) {
      for (const database of group.databases) {
        const key = `${group.name}/${database.name}`;
        const unit = engineFor(database.engine).lagUnit;
        lagAlarms[key] = new cloudwatch.Alarm(this, `Lag-${group.name}-${database.name}`, {
          alarmDescription: `twinstack group ${group.name}: the twin of database ${database.name} lags more than ${formatLag(database.replication.maxLag, unit)} (replication.maxLag) for ${periods} checks: a failover now would be held or lose data`,
          metric: replicationLagMetric(group, database, period),
          threshold: database.replication.maxLag,
          evaluationPeriods: periods,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          // No lag datapoint = unknown lag; the not-replicating alarm below treats that as breaching.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        notReplicating[key] = new cloudwatch.Alarm(this, `NotReplicating-${group.name}-${database.name}`, {
          alarmDescription: `twinstack group ${group.name}: the twin of database ${database.name} is not a caught-up replica (or was not observed) for ${periods} checks: run the replicate workflow, or rejoin after a failover`,
          metric: twinReplicatingMetric(group, database, period),
          threshold: 1,
          evaluationPeriods: periods,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          // A check that could not run (primary or twin unreachable) publishes nothing: that is not replicating either.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        });
        for (const alarm of [lagAlarms[key], notReplicating[key]]) {
          for (const topic of props.topics) {
            alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
            alarm.addOkAction(new cloudwatchActions.SnsAction(topic));
          }
        }
      }
    }
    this.lagAlarms = lagAlarms;
    this.notReplicatingAlarms = notReplicating;
  }
}
