/**
 * The catalog of workflow steps: the one list that binds ASL Task states,
 * handler files, CDK functions and their permissions, and the local runtime.
 *
 * - ASL: a Task state named `PromoteDatabase` has Resource `${PromoteDatabaseFunctionArn}`.
 * - Handler: `functions/handlers/promote-database.handler.ts` exports `handler` (AWS entry)
 *   and `createHandler(deps)` (used by the local runtime and tests).
 * - CDK: one NodejsFunction per entry, granted only `capabilities`.
 */

/** What a step may touch; the CDK stack turns each into the narrowest IAM statement. */
export type Capability =
  | 'config:read' // GetParameter /twinstack/<group>/config and state
  | 'state:write' // PutParameter /twinstack/<group>/state
  | 'secrets:read' // GetParameter(WithDecryption) /twinstack/<group>/secrets/*
  | 'secrets:write' // PutParameter SecureString /twinstack/<group>/secrets/*
  | 'env:write' // PutParameter /twinstack/<group>/env/*
  | 'dns:read' // route53:ListResourceRecordSets
  | 'dns:write' // route53:ChangeResourceRecordSets, GetChange (and the read: a writer observes first)
  | 'ssh' // outbound SSH to the stacks' hosts, and reading the group's SSH private key (SecureString)
  | 'http' // outbound HTTP(S) health checks (network only, no IAM)
  | 'env:read' // GetParametersByPath(WithDecryption) /twinstack/<group>/env/* (the stack's published env vars)
  | 'deploy:read' // GetParameter /twinstack/<group>/deploy/state
  | 'deploy:write' // PutParameter /twinstack/<group>/deploy/state (and the read: a writer observes first)
  | 'lease' // dynamodb:PutItem/DeleteItem on the lease table (granted by ControlStack, which owns the table)
  | 'config:write' // PutParameter /twinstack/<group>/config (clone-stack registers or removes the twin's block)
  | 'compute:read' // ec2:Describe* and GetConsoleOutput (host keys) of the stacks' machines
  | 'compute:write' // ec2 CreateImage/CopyImage/RunInstances/security groups, Terminate/Deregister only of what a clone tagged
  | 'params:copy'; // GetParametersByPath /twinstack/<group>/env/* in any region, PutParameter there (SecureString, KMS via SSM)

export interface StepDefinition {
  /** ASL state name and placeholder stem. */
  readonly state: string;
  /** Kebab-case file stem under functions/handlers/ (`<file>.handler.ts`). */
  readonly file: string;
  readonly description: string;
  readonly capabilities: readonly Capability[];
  /** Lambda timeout; the ASL Task TimeoutSeconds must not exceed it. */
  readonly timeoutSeconds: number;
}

export const STEPS = [
  { state: 'PlanReplication', file: 'plan-replication', description: 'Load the group and list the databases to replicate', capabilities: ['config:read'], timeoutSeconds: 30 },
  { state: 'PreparePrimary', file: 'prepare-primary', description: 'Create replication roles and settings on the primary database', capabilities: ['config:read', 'secrets:read', 'secrets:write', 'ssh'], timeoutSeconds: 120 },
  { state: 'RestoreReplica', file: 'restore-replica', description: 'Start (or attach to) the detached job on the twin that restores a full backup of the primary as a replica', capabilities: ['config:read', 'secrets:read', 'dns:read', 'ssh'], timeoutSeconds: 120 },
  { state: 'PollRestoreReplica', file: 'poll-restore-replica', description: "Read the twin's restore job: running (with progress), succeeded, or failed with its log tail; renew the group lease", capabilities: ['config:read', 'secrets:read', 'ssh', 'lease'], timeoutSeconds: 60 },
  { state: 'StartReplication', file: 'start-replication', description: 'Make sure the twin streams from the primary', capabilities: ['config:read', 'secrets:read', 'ssh'], timeoutSeconds: 120 },
  { state: 'CheckReplication', file: 'check-replication', description: 'Observe replication; report whether the twin has caught up', capabilities: ['config:read', 'state:write', 'ssh'], timeoutSeconds: 60 },
  { state: 'PublishEnvVars', file: 'publish-env-vars', description: 'Publish the env vars apps need, per stack', capabilities: ['config:read', 'secrets:read', 'env:write', 'ssh'], timeoutSeconds: 120 },
  { state: 'AcquireGroupLease', file: 'acquire-group-lease', description: 'One workflow changing databases or DNS per group at a time (failover, replicate, switchover, rejoin, clone-stack): take the group lease', capabilities: ['config:read', 'lease'], timeoutSeconds: 30 },
  { state: 'ReleaseGroupLease', file: 'release-group-lease', description: 'Give the group lease back', capabilities: ['config:read', 'lease'], timeoutSeconds: 30 },
  { state: 'AssessFailover', file: 'assess-failover', description: 'Observe both stacks, their databases and DNS into a snapshot', capabilities: ['config:read', 'dns:read', 'ssh', 'http'], timeoutSeconds: 60 },
  { state: 'DecideFailover', file: 'decide-failover', description: 'Pure decision: fail over or hold, with reasons', capabilities: [], timeoutSeconds: 10 },
  { state: 'FenceOldPrimary', file: 'fence-old-primary', description: 'Stop the old primary taking writes before anything is promoted', capabilities: ['config:read', 'ssh', 'http'], timeoutSeconds: 180 },
  { state: 'PromoteDatabase', file: 'promote-database', description: 'Promote one twin replica and verify it accepts writes', capabilities: ['config:read', 'ssh'], timeoutSeconds: 180 },
  { state: 'SwitchDns', file: 'switch-dns', description: 'Re-check every twin database is a writable primary, then point the group name at the twin and wait until in sync', capabilities: ['config:read', 'dns:write', 'ssh'], timeoutSeconds: 300 },
  { state: 'VerifyDns', file: 'verify-dns', description: 'Check the group name answers the twin', capabilities: ['config:read', 'dns:read'], timeoutSeconds: 60 },
  { state: 'RecordFailover', file: 'record-failover', description: 'Record the new active stack and the failover in group state', capabilities: ['config:read', 'state:write'], timeoutSeconds: 30 },
  { state: 'RequestDeploy', file: 'request-deploy', description: 'Record a pushed revision as desired unless a newer one already is', capabilities: ['config:read', 'deploy:write'], timeoutSeconds: 30 },
  { state: 'AcquireDeployLease', file: 'acquire-deploy-lease', description: "Take the group's deploy lease (one deploy per group at a time)", capabilities: ['config:read', 'lease'], timeoutSeconds: 30 },
  { state: 'PlanDeploy', file: 'plan-deploy', description: 'Decide which revision goes to which stacks (never backwards)', capabilities: ['config:read', 'deploy:write'], timeoutSeconds: 30 },
  { state: 'BuildImage', file: 'build-image', description: "Build the push's image once on one host (primary first, then the twin)", capabilities: ['config:read', 'ssh'], timeoutSeconds: 900 },
  { state: 'DeployHost', file: 'deploy-host', description: 'Check out the revision on one host and run the stack deploy command', capabilities: ['config:read', 'env:read', 'ssh'], timeoutSeconds: 900 },
  { state: 'CheckStackHealth', file: 'check-stack-health', description: 'Check the stack health URL answers 2xx after a deploy', capabilities: ['config:read', 'http'], timeoutSeconds: 30 },
  { state: 'RecordStackRevision', file: 'record-stack-revision', description: 'Record the deployed revision or the failure of every stack', capabilities: ['config:read', 'deploy:write'], timeoutSeconds: 30 },
  { state: 'CheckDrift', file: 'check-drift', description: 'Report whether every stack runs the same revision; DeployDrift metric', capabilities: ['config:read', 'deploy:read'], timeoutSeconds: 30 },
  { state: 'ReleaseDeployLease', file: 'release-deploy-lease', description: "Give the group's deploy lease back", capabilities: ['config:read', 'lease'], timeoutSeconds: 30 },
  { state: 'AssessRejoin', file: 'assess-rejoin', description: 'Observe both stacks for a rejoin: the active stack, every database on both sides, DNS, health (read-only)', capabilities: ['config:read', 'dns:read', 'ssh', 'http'], timeoutSeconds: 60 },
  { state: 'DecideRejoin', file: 'decide-rejoin', description: 'Pure decision: rejoin the old primary stack as replicas of the active one, or refuse, with reasons', capabilities: [], timeoutSeconds: 10 },
  { state: 'RecordRejoin', file: 'record-rejoin', description: "Record the rejoin and each database's divergent data in group state (never changes the active stack)", capabilities: ['config:read', 'state:write'], timeoutSeconds: 30 },
  { state: 'AssessSwitchover', file: 'assess-switchover', description: "Validate a switchover's input and observe both stacks, their databases and DNS into a snapshot", capabilities: ['config:read', 'dns:read', 'ssh', 'http'], timeoutSeconds: 60 },
  { state: 'DecideSwitchover', file: 'decide-switchover', description: 'Pure decision: switch over or refuse, with reasons', capabilities: [], timeoutSeconds: 10 },
  { state: 'DemoteDatabase', file: 'demote-database', description: 'Switchover: the active primary refuses writes from now on and reports its final position (the catch-up token)', capabilities: ['config:read', 'ssh'], timeoutSeconds: 120 },
  { state: 'CheckSwitchoverCatchUp', file: 'check-switchover-catch-up', description: "Switchover: has every replica applied its demoted primary's final position (exactly)?", capabilities: ['config:read', 'ssh'], timeoutSeconds: 30 },
  { state: 'UndoDemotion', file: 'undo-demotion', description: 'Aborted switchover: give writes back to a demoted primary (never while the other copy is a writable primary)', capabilities: ['config:read', 'ssh'], timeoutSeconds: 180 },
  { state: 'RejoinDatabase', file: 'rejoin-database', description: 'Make one old primary a replica of the new primary (divergent writes counted and saved aside first); in sync mode make it the synchronous replica once it streams', capabilities: ['config:read', 'secrets:read', 'ssh'], timeoutSeconds: 900 },
  { state: 'DescribeSourceStack', file: 'describe-source-stack', description: "clone-stack: describe the source stack's instances and security groups (read-only)", capabilities: ['config:read', 'compute:read'], timeoutSeconds: 60 },
  { state: 'PlanClone', file: 'plan-clone', description: 'clone-stack: pure plan (clone id, names, client tokens) or a refusal naming each fix, before anything is created', capabilities: ['config:read'], timeoutSeconds: 30 },
  { state: 'CreateImages', file: 'create-images', description: 'clone-stack: an image of every source host (idempotent by name)', capabilities: ['compute:write'], timeoutSeconds: 120 },
  { state: 'CopyImages', file: 'copy-images', description: "clone-stack: copy every image to the target region, encrypted with its KMS key (idempotent by client token)", capabilities: ['compute:write'], timeoutSeconds: 120 },
  { state: 'PollImages', file: 'poll-images', description: 'clone-stack: are the copied images available (missing right after the copy is not yet)', capabilities: ['compute:read'], timeoutSeconds: 60 },
  { state: 'EnsureSecurityGroups', file: 'ensure-security-groups', description: "clone-stack: find or create the source's security groups in the target VPC, references translated", capabilities: ['compute:write'], timeoutSeconds: 120 },
  { state: 'LaunchInstances', file: 'launch-instances', description: 'clone-stack: launch one instance per host from its copied image (idempotent by client token)', capabilities: ['compute:write'], timeoutSeconds: 120 },
  { state: 'PollInstances', file: 'poll-instances', description: 'clone-stack: are the instances running, their host keys published on a trusted channel and SSH logins pinned to them working', capabilities: ['config:read', 'compute:read', 'ssh'], timeoutSeconds: 60 },
  { state: 'CopyParameters', file: 'copy-parameters', description: "clone-stack: copy the source stack's parameters to the target region under the twin's name, region names rewritten", capabilities: ['params:copy'], timeoutSeconds: 120 },
  { state: 'RegisterTwin', file: 'register-twin', description: "clone-stack: write the twin's stack block (pinned host keys) into the group's config and publish it passive (offline)", capabilities: ['config:read', 'config:write', 'env:write'], timeoutSeconds: 30 },
  { state: 'DeployTwin', file: 'deploy-twin', description: "clone-stack: deploy the primary's current revision to the twin's hosts with the deploy step", capabilities: ['config:read', 'env:read', 'deploy:read', 'ssh'], timeoutSeconds: 900 },
  { state: 'RollbackClone', file: 'rollback-clone', description: 'clone-stack, after a failure: terminate and deregister what the clone made (found by its tag) unless kept, unregister its twin; report both', capabilities: ['config:read', 'config:write', 'compute:write'], timeoutSeconds: 120 },
  { state: 'ReportFailure', file: 'report-failure', description: 'Observe and report a failed workflow: what DNS and databases are now', capabilities: ['config:read', 'dns:read'], timeoutSeconds: 60 },
] as const satisfies readonly StepDefinition[];

export type StepName = (typeof STEPS)[number]['state'];

/** `${PromoteDatabaseFunctionArn}` for `PromoteDatabase`. */
export function placeholderOf(state: string): string {
  return `${state}FunctionArn`;
}
