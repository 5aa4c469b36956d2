import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { ReplicationCheckSchedule } from '../../infra/constructs/replication-check-schedule.ts';
import { InvalidConstructPropsError } from '../../infra/constructs/construct-props-error.ts';
import { FIXTURE_CONFIG } from './fixtures/twinstack-config.fixture.ts';

function stackWithFunction() {
  const stack = new Stack(new App(), 'Test', { env: { region: 'eu-central-1' } });
  const fn = new lambda.Function(stack, 'Check', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>({})') });
  return { stack, fn };
}

describe('ReplicationCheckSchedule', () => {
  it('observes every database of every group on the rate, with the group and database as input', () => {
    // Prepare
    const { stack, fn } = stackWithFunction();
    const { groups } = FIXTURE_CONFIG;
    // Act
    new ReplicationCheckSchedule(stack, 'Schedule', { checkReplication: fn, groups });
    // Assess
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', groups.length);
    for (const group of groups) {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [Match.objectLike({ Input: JSON.stringify({ group: group.name, database: 'main' }), RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } })],
      });
    }
    template.resourceCountIs('AWS::Lambda::Permission', groups.length);
  });

  it('refuses a rate that is not shorter than a group\'s maxObservationAgeSeconds, naming the group', () => {
    // Prepare
    const { stack, fn } = stackWithFunction();
    const { groups } = FIXTURE_CONFIG;
    // Act
    let error: unknown;
    try {
      new ReplicationCheckSchedule(stack, 'Schedule', { checkReplication: fn, groups, rate: Duration.minutes(5) });
    } catch (caught) {
      error = caught;
    }
    // Assess
    expect(error).toBeInstanceOf(InvalidConstructPropsError);
    expect((error as InvalidConstructPropsError).issues).toEqual(
      groups.map((g) => expect.stringContaining(`group ${g.name}: failover.maxObservationAgeSeconds 180 must exceed`) as unknown),
    );
  });
});
