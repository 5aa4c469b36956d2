/**
 * The one lease scaffold of every workflow: queue → acquire → acquired? → count →
 * wait → acquire … → busy (bounded), and the release Task. `npm run asl` writes these
 * states into statemachines/*.asl.json; each workflow's own states route its exits
 * through the release Task (the contract test proves every path that acquired does).
 * Pure data: no I/O.
 */
import { retryOf } from './retry-policy.ts';
import type { WorkflowName } from './workflow-names.ts';

export type { WorkflowName } from './workflow-names.ts';

/** The state names of one lease's scaffold. */
export interface LeaseStateNames {
  readonly queue: string;
  readonly acquire: string;
  readonly acquired: string;
  readonly count: string;
  readonly wait: string;
  readonly busy: string;
  readonly release: string;
}

export interface LeaseSpec {
  readonly names: LeaseStateNames;
  /** The state after the lease is acquired. */
  readonly then: string;
  /** How long to wait for the other holder before failing `busy`. */
  readonly waitMinutes: number;
  readonly pollSeconds: number;
  readonly queueComment?: string;
  readonly acquireComment?: string;
  readonly waitComment: string;
  readonly busyError: string;
  readonly busyCause: string;
  /** Where the release Task goes next, and where its Catch goes (with its ResultPath). */
  readonly afterRelease: string;
  readonly releaseResultPath: string;
  readonly releaseCatch: { readonly next: string; readonly resultPath: string };
  readonly releaseComment?: string;
}

/** The group lease: one workflow that changes databases or DNS per group at a time. */
export const GROUP_LEASE: LeaseStateNames = {
  queue: 'QueueForGroupLease',
  acquire: 'AcquireGroupLease',
  acquired: 'LeaseAcquired?',
  count: 'CountGroupLeaseWait',
  wait: 'WaitForGroupLease',
  busy: 'GroupBusy',
  release: 'ReleaseGroupLease',
};

/** The deploy lease: one deploy per group at a time. */
export const DEPLOY_LEASE: LeaseStateNames = {
  queue: 'QueueForLease',
  acquire: 'AcquireDeployLease',
  acquired: 'LeaseAcquired?',
  count: 'CountLeaseWait',
  wait: 'WaitForLease',
  busy: 'LeaseNotAcquired',
  release: 'ReleaseDeployLease',
};

/**
 * The workflows that share the group lease, with the state each starts with once it holds
 * the lease and how long it waits for another holder: at most one of them changes a group
 * at a time. The lease's texts name them from this list.
 */
interface GroupLeaseUse {
  /** The state after the lease is acquired. */
  readonly then: string;
  readonly waitMinutes: number;
  /** What the lease means for this workflow in particular, added to the acquire comment. */
  readonly note?: string;
}

/** Every workflow but the deploy (which has its own lease) shares the group lease. */
type GroupLeaseWorkflow = Exclude<WorkflowName, 'deploy'>;

const GROUP_LEASE_WORKFLOWS: Readonly<Record<GroupLeaseWorkflow, GroupLeaseUse>> = {
  failover: { then: 'AssessFailover', waitMinutes: 15, note: 'a duplicate alarm while one runs starts nothing new' },
  replicate: { then: 'PlanReplication', waitMinutes: 30 },
  switchover: { then: 'AssessSwitchover', waitMinutes: 15 },
  rejoin: { then: 'AssessRejoin', waitMinutes: 30 },
  'clone-stack': { then: 'DescribeSourceStack', waitMinutes: 30, note: 'nothing else changes the group while its twin is cloned' },
};

/** The names of the group-lease workflows, in order. */
export const GROUP_LEASE_WORKFLOW_NAMES = Object.keys(GROUP_LEASE_WORKFLOWS) as readonly GroupLeaseWorkflow[];

/** `a, b or c`. */
function orList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** "failover, replicate, switchover, rejoin or clone-stack": every workflow that shares the group lease. */
const GROUP_LEASE_HOLDERS = orList(GROUP_LEASE_WORKFLOW_NAMES);

function groupLease(workflow: GroupLeaseWorkflow): LeaseSpec {
  const { then, waitMinutes, note } = GROUP_LEASE_WORKFLOWS[workflow];
  return {
    names: GROUP_LEASE,
    then,
    waitMinutes,
    pollSeconds: 2,
    queueComment: 'Waits, bounded, for another workflow changing this group to finish: an alarm is never dropped silently',
    acquireComment: `One workflow of ${GROUP_LEASE_WORKFLOW_NAMES.join(', ')} changes a group at a time: this ${workflow} waits for any other (or another ${workflow}) to finish${note ? `; ${note}` : ''}`,
    waitComment: `Another ${GROUP_LEASE_HOLDERS} of this group holds the lease`,
    busyError: 'GroupBusy',
    busyCause: `Another ${GROUP_LEASE_HOLDERS} of this group held the lease for ${waitMinutes} minutes; this ${workflow} never ran (it fails so that the workflow failure alarm tells an operator)`,
    afterRelease: 'Outcome?',
    releaseResultPath: '$.leaseReleased',
    releaseCatch: { next: 'Outcome?', resultPath: '$.leaseReleaseError' },
    releaseComment: 'Every path gives the lease back; if this fails, the lease expires by itself',
  };
}

/** Each workflow's lease. */
export const WORKFLOW_LEASES: Readonly<Record<WorkflowName, LeaseSpec>> = {
  ...(Object.fromEntries(GROUP_LEASE_WORKFLOW_NAMES.map((w) => [w, groupLease(w)])) as Record<GroupLeaseWorkflow, LeaseSpec>),
  deploy: {
    names: DEPLOY_LEASE,
    then: 'PlanDeploy',
    waitMinutes: 30,
    pollSeconds: 5,
    waitComment: 'Another deploy of this group holds the lease',
    busyError: 'DeployLeaseTimeout',
    busyCause: 'Another deploy of this group held the lease for 30 minutes; this execution never held it',
    // The deploy releases first, then reports (ReleaseAfterReport? releases once).
    afterRelease: 'Outcome?',
    releaseResultPath: '$.released',
    releaseCatch: { next: 'ReportFailure', resultPath: '$.error' },
  },
};

const leaseParameters = { 'group.$': '$.group', 'holder.$': '$$.Execution.Name' };
const catchAll = (next: string, resultPath: string) => [{ ErrorEquals: ['States.ALL'], ResultPath: resultPath, Next: next }];
const withComment = (comment: string | undefined) => (comment === undefined ? {} : { Comment: comment });

/** The scaffold's states, by name. */
export function leaseStates(spec: LeaseSpec): Record<string, Record<string, unknown>> {
  const n = spec.names;
  const maxWaits = (spec.waitMinutes * 60) / spec.pollSeconds;
  return {
    [n.queue]: {
      Type: 'Pass',
      ...withComment(spec.queueComment),
      Result: { count: 0 },
      ResultPath: '$.leaseWait',
      Next: n.acquire,
    },
    [n.acquire]: {
      Type: 'Task',
      ...withComment(spec.acquireComment),
      Resource: `\${${n.acquire}FunctionArn}`,
      Parameters: { ...leaseParameters },
      TimeoutSeconds: 30,
      ResultPath: '$.lease',
      Retry: retryOf(n.acquire),
      Catch: catchAll('ReportFailure', '$.error'),
      Next: n.acquired,
    },
    [n.acquired]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.lease.acquired', BooleanEquals: true, Next: spec.then },
        { Variable: '$.leaseWait.count', NumericGreaterThanEquals: maxWaits, Next: n.busy },
      ],
      Default: n.count,
    },
    [n.count]: {
      Type: 'Pass',
      Parameters: { 'count.$': 'States.MathAdd($.leaseWait.count, 1)' },
      ResultPath: '$.leaseWait',
      Next: n.wait,
    },
    [n.wait]: { Type: 'Wait', Comment: spec.waitComment, Seconds: spec.pollSeconds, Next: n.acquire },
    [n.busy]: { Type: 'Fail', Error: spec.busyError, Cause: spec.busyCause },
    [n.release]: {
      Type: 'Task',
      ...withComment(spec.releaseComment),
      Resource: `\${${n.release}FunctionArn}`,
      Parameters: { ...leaseParameters },
      TimeoutSeconds: 30,
      ResultPath: spec.releaseResultPath,
      Retry: retryOf(n.release),
      Catch: catchAll(spec.releaseCatch.next, spec.releaseCatch.resultPath),
      Next: spec.afterRelease,
    },
  };
}
