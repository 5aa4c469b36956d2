import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { GroupAwaitingTwin, TwinstackConfig } from '../../functions/core/model.ts';
import { parameterNames } from '../../functions/core/parameter-names.ts';
import { TRAFFIC_GATE_METRIC, trafficOf } from '../../functions/core/traffic.ts';
import { METRICS_NAMESPACE, emittedDimensions } from '../../functions/handlers/deps/metric-dimensions.ts';
import { LEASE_TABLE_ENV } from '../../functions/handlers/deps/aws.step-deps.ts';
import { DRIFT_METRIC } from '../../functions/handlers/check-drift.handler.ts';
import { FAILOVER_HELD_METRIC } from '../../functions/handlers/decide-failover.handler.ts';
import { STEPS, placeholderOf } from '../../functions/handlers/step-catalog.ts';
import { InvalidConstructPropsError } from '../constructs/construct-props-error.ts';
import { DeployWebhook } from '../constructs/deploy-webhook.ts';
import { FAILOVER_EVENT_BUS_NAME, ROUTE53_METRICS_REGION, stackHealthAlarmName, trafficGateAlarmName, workflowStateMachineName } from '../constructs/group-alarm-names.ts';
import { ReplicationAlarms } from '../constructs/replication-alarms.ts';
import { ReplicationCheckSchedule } from '../constructs/replication-check-schedule.ts';
import { StepFunction } from '../constructs/step-function.ts';
import { Workflow, placeholdersIn } from '../constructs/workflow.ts';
import { WORKFLOW_NAMES, type WorkflowName } from '../../functions/core/workflows/workflow-names.ts';

/** Repository root (this file is infra/stacks/control-stack.ts). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The workflows the control plane runs, by ASL file stem (`statemachines/<name>.asl.json`). */
export const CONTROL_WORKFLOWS = WORKFLOW_NAMES;
export type ControlWorkflowName = WorkflowName;

/** Standard tier holds 4 KB, Advanced 8 KB. */
const STANDARD_PARAMETER_BYTES = 4096;
const ADVANCED_PARAMETER_BYTES = 8192;

export interface ControlStackProps extends StackProps {
  /** The validated configuration (infra/config `loadConfig`). */
  readonly config: TwinstackConfig;
  /** Directory of `<workflow>.asl.json`. @default `<repo>/statemachines` */
  readonly statemachinesDir?: string;
  /** Directory of `<file>.handler.ts`. @default `<repo>/functions/handlers` */
  readonly handlersDir?: string;
  /** Repository root for bundling (package-lock.json lives there). @default the repository of this file */
  readonly projectRoot?: string;
}

/**
 * Every problem with the props, at once. The control plane runs in the twin's
 * region so that it survives the loss of the primary region.
 */
export function checkControlStackProps(props: ControlStackProps, region: string | undefined, handlersDir: string): string[] {
  const issues: string[] = [];
  const { groups } = props.config;
  const awaiting = props.config.awaitingClone ?? [];
  if (groups.length === 0 && awaiting.length === 0) issues.push('config has no failover group');
  if (!region) issues.push('no region: set env.region or give the config at least one group with a twin (its twin region is used)');
  const names = [...groups, ...awaiting].map((g) => g.name);
  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i))) issues.push(`group ${name}: configured twice (once with a twin, once awaiting its clone): keep one`);
  for (const g of awaiting) {
    // Checked now, so that the twin the clone registers (in the control region) fits the same rules.
    if (region && g.primary.region === region) {
      issues.push(`group ${g.name} (awaiting its twin): primary region ${g.primary.region} is the control stack region, where the clone builds the twin: a twin in its primary's region fails with it (run the control plane in the region the twin should have)`);
    }
    if (!g.dns.hostedZoneId) issues.push(`group ${g.name} (awaiting its twin): dns.hostedZoneId is required in AWS (DNS permissions are scoped to the hosted zone)`);
    const bytes = withTwinBytes(g);
    if (bytes > ADVANCED_PARAMETER_BYTES) issues.push(`group ${g.name} (awaiting its twin): with a twin the size of its primary its config would be ${bytes} bytes, more than a parameter holds (${ADVANCED_PARAMETER_BYTES})`);
  }
  for (const g of groups) {
    if (region && g.twin.region !== region) {
      issues.push(`group ${g.name}: twin region ${g.twin.region} differs from the control stack region ${region} (the control plane runs in the twin's region)`);
    }
    if (region && g.primary.region === region) {
      issues.push(`group ${g.name}: primary region ${g.primary.region} is the control stack region: the control plane would not survive the loss of the primary region`);
    }
    if (!g.dns.hostedZoneId) issues.push(`group ${g.name}: dns.hostedZoneId is required in AWS (DNS permissions are scoped to the hosted zone)`);
    const bytes = Buffer.byteLength(JSON.stringify(g), 'utf8');
    if (bytes > ADVANCED_PARAMETER_BYTES) issues.push(`group ${g.name}: its config is ${bytes} bytes, more than a parameter holds (${ADVANCED_PARAMETER_BYTES})`);
  }
  for (const step of STEPS) {
    const entry = join(handlersDir, `${step.file}.handler.ts`);
    if (!existsSync(entry)) issues.push(`step ${step.state}: handler file not found: ${entry}`);
  }
  return issues;
}

/**
 * Bytes of a group awaiting its twin once RegisterTwin has added one as large as its primary:
 * its config parameter is sized (tier) for that write from the start.
 */
function withTwinBytes(group: GroupAwaitingTwin): number {
  return Buffer.byteLength(JSON.stringify({ ...group, twin: group.primary }), 'utf8');
}

/**
 * The control plane: one function per catalog step, the replicate and failover
 * workflows, each group's config in Parameter Store, and the failure-alarm topic.
 */
export class ControlStack extends Stack {
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly workflows: Readonly<Record<ControlWorkflowName, Workflow>>;
  readonly alarmTopic: sns.Topic;
  readonly key: kms.Key;
  /** Leases (`deploy:<group>`): one deploy per group at a time. Partition key `pk`, TTL attribute `expiresAt`. */
  readonly leaseTable: dynamodb.Table;
  /** Per group with a `source`: alarms when CheckDrift reports the stacks on different revisions. */
  readonly driftAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** The alarm topic and every existing topic a group names in `notifications` (`topicArn`). */
  readonly notifyTopics: readonly sns.ITopic[];
  /** Receives the us-east-1 health alarm events (DnsStack forwards them). */
  readonly failoverBus: events.EventBus;
  /** Per group: primary health alarm → StartExecution of the failover workflow. */
  readonly failoverTriggers: Readonly<Record<string, events.Rule>>;
  /** Per `routing-gate` group: the alarm the PRIMARY failover record's health check follows. */
  readonly gateAlarms: Readonly<Record<string, cloudwatch.Alarm>>;
  /** Per database: lag beyond replication.maxLag, and the twin not replicating. */
  readonly replicationAlarms: ReplicationAlarms;
  /** The deploy webhook endpoint; absent when no group has a `source` block. */
  readonly deployWebhook?: DeployWebhook;

  constructor(scope: Construct, id: string, props: ControlStackProps) {
    const region = props.env?.region ?? props.config.groups[0]?.twin.region;
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    const handlersDir = props.handlersDir ?? join(projectRoot, 'functions', 'handlers');
    const statemachinesDir = props.statemachinesDir ?? join(projectRoot, 'statemachines');
    const issues = checkControlStackProps(props, region, handlersDir);
    if (issues.length > 0) throw new InvalidConstructPropsError(`ControlStack ${id}`, issues);

    super(scope, id, {
      ...props,
      description: props.description ?? 'twinstack control plane: workflow functions, replicate, failover and deploy workflows, deploy lease table, group config',
      env: { ...props.env, region },
    });
    const { groups } = props.config;
    // Groups without a twin yet: only clone-stack acts on them (see the step functions below).
    const awaiting = props.config.awaitingClone ?? [];

    this.key = new kms.Key(this, 'Key', {
      description: 'twinstack control plane: log groups and the alarm topic',
      enableKeyRotation: true,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': this.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'twinstack workflow failures',
      masterKey: this.key,
      enforceSSL: true,
    });

    // EventBridge publishes workflow outcomes and health alarm events to the encrypted topic.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.notifyTopics = [this.alarmTopic, ...subscribeNotifications(this, this.alarmTopic, props.config)];

    this.leaseTable = new dynamodb.Table(this, 'LeaseTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
    });

    const aslFileOf = (name: ControlWorkflowName) => join(statemachinesDir, `${name}.asl.json`);
    const placeholdersOf = (name: ControlWorkflowName) => (existsSync(aslFileOf(name)) ? placeholdersIn(readFileSync(aslFileOf(name), 'utf8')) : []);
    const cloneSteps = new Set(placeholdersOf('clone-stack'));

    const functions: Record<string, lambda.IFunction> = {};
    for (const step of STEPS) {
      // A group awaiting its twin: clone-stack's steps get its IAM (primary, env, config…);
      // every other step only reads its config, to refuse it with twinNotClonedMessage.
      const clones = cloneSteps.has(placeholderOf(step.state));
      const fn = new StepFunction(this, step.state, {
        step,
        groups: clones ? [...groups, ...awaiting] : groups,
        configOnlyGroups: clones ? [] : awaiting.map((g) => g.name),
        entry: join(handlersDir, `${step.file}.handler.ts`),
        projectRoot,
        depsLockFilePath: join(projectRoot, 'package-lock.json'),
        logEncryptionKey: this.key,
      });
      functions[placeholderOf(step.state)] = fn.function;
      if ((step.capabilities as readonly string[]).includes('lease')) {
        this.leaseTable.grant(fn.role, 'dynamodb:PutItem', 'dynamodb:DeleteItem');
        fn.function.addEnvironment(LEASE_TABLE_ENV, this.leaseTable.tableName);
      }
    }
    this.functions = functions;

    // Keeps each primary's last observation fresh: the evidence a failover weighs once it is gone.
    const checkReplication = functions[placeholderOf('CheckReplication')];
    if (checkReplication) new ReplicationCheckSchedule(this, 'ReplicationCheckSchedule', { checkReplication, groups });
    this.replicationAlarms = new ReplicationAlarms(this, 'ReplicationAlarms', { groups, topics: this.notifyTopics });

    const workflows = {} as Record<ControlWorkflowName, Workflow>;
    for (const name of CONTROL_WORKFLOWS) {
      const used = placeholdersOf(name);
      workflows[name] = new Workflow(this, `${name[0]?.toUpperCase()}${name.slice(1)}Workflow`, {
        aslFile: aslFileOf(name),
        // Exactly the functions the file uses; a placeholder with no step stays unbound and fails validation.
        functions: Object.fromEntries(Object.entries(functions).filter(([placeholder]) => used.includes(placeholder))),
        stateMachineName: workflowStateMachineName(name),
        alarmTopic: this.alarmTopic,
        logEncryptionKey: this.key,
      });
      new CfnOutput(this, `${name[0]?.toUpperCase()}${name.slice(1)}StateMachineArn`, {
        description: `ARN of the ${name} workflow`,
        value: workflows[name].stateMachine.stateMachineArn,
      });
    }
    this.workflows = workflows;

    // Routing gate: the failover workflow sets the TrafficGate metric itself (Step Functions'
    // CloudWatch integration, no Lambda in the path); PutMetricData has no resources, only a namespace key.
    workflows.failover.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
      }),
    );
    const gateAlarms: Record<string, cloudwatch.Alarm> = {};
    for (const g of groups.filter((group) => trafficOf(group).mode === 'routing-gate')) {
      const gate = new cloudwatch.Alarm(this, `TrafficGateAlarm-${g.name}`, {
        alarmName: trafficGateAlarmName(g.name),
        alarmDescription: `twinstack group ${g.name}: ALARM = the PRIMARY failover record is unhealthy, ${g.dns.name} answers the twin ${g.twin.name}; OK = it answers the primary ${g.primary.name}`,
        // Set by the workflow (dimension group only: Step Functions publishes it, not Powertools).
        // Standard resolution: Route 53 health checks support no high-resolution alarms.
        metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: TRAFFIC_GATE_METRIC, dimensionsMap: { group: g.name }, statistic: 'Minimum', period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // The gate is set once per switch: between switches it keeps its state (and Route 53 its last known status).
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      });
      for (const topic of this.notifyTopics) {
        gate.addAlarmAction(new cloudwatchActions.SnsAction(topic));
        gate.addOkAction(new cloudwatchActions.SnsAction(topic));
      }
      gateAlarms[g.name] = gate;
    }
    this.gateAlarms = gateAlarms;

    this.failoverBus = new events.EventBus(this, 'FailoverBus', {
      eventBusName: FAILOVER_EVENT_BUS_NAME,
      description: 'twinstack: Route 53 health alarm events forwarded from us-east-1 (DnsStack)',
    });
    const healthAlarmArn = (group: string, role: 'primary' | 'twin') =>
      this.formatArn({ service: 'cloudwatch', region: ROUTE53_METRICS_REGION, resource: 'alarm', resourceName: stackHealthAlarmName(group, role), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const failoverTriggers: Record<string, events.Rule> = {};
    for (const g of groups) {
      // Only the transition into ALARM starts a failover; a second start while one runs queues on
      // the group lease and then holds (AssessFailover sees the twin active), starting nothing new.
      failoverTriggers[g.name] = new events.Rule(this, `FailoverTrigger-${g.name}`, {
        eventBus: this.failoverBus,
        description: `twinstack group ${g.name}: the primary stack's health alarm starts the failover workflow (which confirms the outage itself)`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          resources: [healthAlarmArn(g.name, 'primary')],
          detail: { state: { value: ['ALARM'] } },
        },
        targets: [
          new targets.SfnStateMachine(workflows.failover.stateMachine, {
            input: events.RuleTargetInput.fromObject({
              group: g.name,
              reason: `Route 53 health check alarm ${stackHealthAlarmName(g.name, 'primary')}`,
              alarm: events.EventField.fromPath('$'),
            }),
            retryAttempts: 8,
          }),
        ],
      });
    }
    this.failoverTriggers = failoverTriggers;
    // Every health alarm change (both stacks, ALARM and OK) reaches people. None yet while every
    // group awaits its twin (EventBridge refuses a pattern with an empty list).
    if (groups.length > 0) new events.Rule(this, 'NotifyHealthAlarms', {
      eventBus: this.failoverBus,
      description: 'twinstack: every stack health alarm change, to the alarm topic',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: groups.flatMap((g) => [healthAlarmArn(g.name, 'primary'), healthAlarmArn(g.name, 'twin')]),
      },
      targets: this.notifyTopics.map(
        (topic) =>
          new targets.SnsTopic(topic, {
            message: events.RuleTargetInput.fromText(
              `twinstack: ${events.EventField.fromPath('$.detail.alarmName')} is ${events.EventField.fromPath('$.detail.state.value')} (${events.EventField.fromPath('$.detail.state.reason')})`,
            ),
          }),
      ),
    });
    // Every workflow outcome: held (SUCCEEDED, the output has the reasons), failed over, failed,
    // GroupBusy, drift (deploy output), timed out, aborted.
    new events.Rule(this, 'NotifyWorkflowOutcomes', {
      description: 'twinstack: every finished failover, replicate and deploy execution, to the alarm topic',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: CONTROL_WORKFLOWS.map((name) => workflows[name].stateMachine.stateMachineArn),
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
      targets: this.notifyTopics.map(
        (topic) =>
          new targets.SnsTopic(topic, {
            message: events.RuleTargetInput.fromObject({
              summary: `twinstack: execution ${events.EventField.fromPath('$.detail.name')} ${events.EventField.fromPath('$.detail.status')}`,
              stateMachineArn: events.EventField.fromPath('$.detail.stateMachineArn'),
              error: events.EventField.fromPath('$.detail.error'),
              cause: events.EventField.fromPath('$.detail.cause'),
              input: events.EventField.fromPath('$.detail.input'),
              output: events.EventField.fromPath('$.detail.output'),
            }),
          }),
      ),
    });

    // A held failover (lag, unknowable loss, unconfirmed outage…) needs an operator: alarm on it.
    for (const g of groups) {
      const held = new cloudwatch.Alarm(this, `FailoverHeldAlarm-${g.name}`, {
        alarmDescription: `twinstack group ${g.name}: a failover was held (see the DecideFailover reasons); decide whether to force it`,
        metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: FAILOVER_HELD_METRIC, dimensionsMap: emittedDimensions({ group: g.name }), statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      for (const topic of this.notifyTopics) held.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    }

    const driftAlarms: Record<string, cloudwatch.Alarm> = {};
    for (const g of groups.filter((group) => group.source !== undefined)) {
      const alarm = new cloudwatch.Alarm(this, `DeployDriftAlarm-${g.name}`, {
        alarmDescription: `twinstack group ${g.name}: its stacks run different revisions (or one failed to deploy)`,
        metric: new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: DRIFT_METRIC, dimensionsMap: emittedDimensions({ group: g.name }), statistic: 'Maximum', period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      for (const topic of this.notifyTopics) {
        alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
        alarm.addOkAction(new cloudwatchActions.SnsAction(topic));
      }
      driftAlarms[g.name] = alarm;
    }
    this.driftAlarms = driftAlarms;

    if (groups.some((g) => g.source !== undefined)) {
      this.deployWebhook = new DeployWebhook(this, 'DeployWebhook', {
        deployStateMachine: workflows.deploy.stateMachine,
        groups,
        handlerEntry: join(handlersDir, 'receive-webhook.handler.ts'),
        projectRoot,
        logEncryptionKey: this.key,
      });
    }

    for (const g of groups) {
      const value = JSON.stringify(g);
      new ssm.StringParameter(this, `Config-${g.name}`, {
        parameterName: parameterNames.config(g.name),
        description: `twinstack: validated config of group ${g.name}`,
        stringValue: value,
        tier: Buffer.byteLength(value, 'utf8') > STANDARD_PARAMETER_BYTES ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
      });
    }
    // RegisterTwin writes the cloned twin into this parameter (RollbackClone takes it out again);
    // CloudFormation rewrites it only when this value changes, so the operator adds the printed
    // twin block to twinstack.yaml before changing the group (README "Cloning a stack").
    for (const g of awaiting) {
      new ssm.StringParameter(this, `Config-${g.name}`, {
        parameterName: parameterNames.config(g.name),
        description: `twinstack: validated config of group ${g.name}, awaiting its twin (twinstack clone ${g.name})`,
        stringValue: JSON.stringify(g),
        tier: withTwinBytes(g) > STANDARD_PARAMETER_BYTES ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
      });
    }
  }
}

/**
 * Subscribes every group's e-mail and HTTPS targets to the alarm topic (each endpoint once) and
 * returns the existing topics groups name (`topicArn`), which get every alarm action and rule
 * target the alarm topic gets. The alarm topic is the control plane's: every subscriber hears
 * every group (each message names its group).
 */
function subscribeNotifications(scope: Stack, topic: sns.Topic, config: TwinstackConfig): sns.ITopic[] {
  const seen = new Set<string>();
  const existing: sns.ITopic[] = [];
  for (const g of config.groups) {
    for (const target of g.notifications ?? []) {
      const key = JSON.stringify(target);
      if (seen.has(key)) continue;
      seen.add(key);
      if ('email' in target) topic.addSubscription(new subscriptions.EmailSubscription(target.email));
      else if ('https' in target) topic.addSubscription(new subscriptions.UrlSubscription(target.https, { protocol: sns.SubscriptionProtocol.HTTPS }));
      else existing.push(sns.Topic.fromTopicArn(scope, `NotifyTopic${existing.length}`, target.topicArn));
    }
  }
  return existing;
}
