/**
 * Every step handler of the STEPS catalog, built over one StepDeps (the local runtime
 * and tests use this; in AWS each handler module is its own Lambda).
 * Invariant: one handler per STEPS entry (the Record type makes a missing one a type error).
 */
import type { StepDeps } from './deps/step-deps.ts';
import type { StepName } from './step-catalog.ts';
import * as acquireDeployLease from './acquire-deploy-lease.handler.ts';
import * as acquireGroupLease from './acquire-group-lease.handler.ts';
import * as assessFailover from './assess-failover.handler.ts';
import * as assessSwitchover from './assess-switchover.handler.ts';
import * as checkSwitchoverCatchUp from './check-switchover-catch-up.handler.ts';
import * as decideSwitchover from './decide-switchover.handler.ts';
import * as demoteDatabase from './demote-database.handler.ts';
import * as undoDemotion from './undo-demotion.handler.ts';
import * as assessRejoin from './assess-rejoin.handler.ts';
import * as releaseGroupLease from './release-group-lease.handler.ts';
import * as buildImage from './build-image.handler.ts';
import * as checkDrift from './check-drift.handler.ts';
import * as checkReplication from './check-replication.handler.ts';
import * as checkStackHealth from './check-stack-health.handler.ts';
import * as decideFailover from './decide-failover.handler.ts';
import * as decideRejoin from './decide-rejoin.handler.ts';
import * as deployHost from './deploy-host.handler.ts';
import * as fenceOldPrimary from './fence-old-primary.handler.ts';
import * as planDeploy from './plan-deploy.handler.ts';
import * as planReplication from './plan-replication.handler.ts';
import * as pollRestoreReplica from './poll-restore-replica.handler.ts';
import * as preparePrimary from './prepare-primary.handler.ts';
import * as promoteDatabase from './promote-database.handler.ts';
import * as publishEnvVars from './publish-env-vars.handler.ts';
import * as recordFailover from './record-failover.handler.ts';
import * as recordRejoin from './record-rejoin.handler.ts';
import * as recordStackRevision from './record-stack-revision.handler.ts';
import * as rejoinDatabase from './rejoin-database.handler.ts';
import * as releaseDeployLease from './release-deploy-lease.handler.ts';
import * as reportFailure from './report-failure.handler.ts';
import * as describeSourceStack from './describe-source-stack.handler.ts';
import * as planClone from './plan-clone.handler.ts';
import * as createImages from './create-images.handler.ts';
import * as copyImages from './copy-images.handler.ts';
import * as pollImages from './poll-images.handler.ts';
import * as ensureSecurityGroups from './ensure-security-groups.handler.ts';
import * as launchInstances from './launch-instances.handler.ts';
import * as pollInstances from './poll-instances.handler.ts';
import * as copyParameters from './copy-parameters.handler.ts';
import * as registerTwin from './register-twin.handler.ts';
import * as deployTwin from './deploy-twin.handler.ts';
import * as rollbackClone from './rollback-clone.handler.ts';
import * as requestDeploy from './request-deploy.handler.ts';
import * as restoreReplica from './restore-replica.handler.ts';
import * as startReplication from './start-replication.handler.ts';
import * as switchDns from './switch-dns.handler.ts';
import * as verifyDns from './verify-dns.handler.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- events are JSON from the state machine; each handler validates its own
export type StepHandler = (event: any) => Promise<unknown>;

export function createStepHandlers(deps: StepDeps): Record<StepName, StepHandler> {
  return {
    PlanReplication: planReplication.createHandler(deps),
    PreparePrimary: preparePrimary.createHandler(deps),
    RestoreReplica: restoreReplica.createHandler(deps),
    PollRestoreReplica: pollRestoreReplica.createHandler(deps),
    StartReplication: startReplication.createHandler(deps),
    CheckReplication: checkReplication.createHandler(deps),
    PublishEnvVars: publishEnvVars.createHandler(deps),
    AcquireGroupLease: acquireGroupLease.createHandler(deps),
    ReleaseGroupLease: releaseGroupLease.createHandler(deps),
    AssessFailover: assessFailover.createHandler(deps),
    DecideFailover: decideFailover.createHandler(deps),
    FenceOldPrimary: fenceOldPrimary.createHandler(deps),
    PromoteDatabase: promoteDatabase.createHandler(deps),
    SwitchDns: switchDns.createHandler(deps),
    VerifyDns: verifyDns.createHandler(deps),
    RecordFailover: recordFailover.createHandler(deps),
    RequestDeploy: requestDeploy.createHandler(deps),
    AcquireDeployLease: acquireDeployLease.createHandler(deps),
    PlanDeploy: planDeploy.createHandler(deps),
    BuildImage: buildImage.createHandler(deps),
    DeployHost: deployHost.createHandler(deps),
    CheckStackHealth: checkStackHealth.createHandler(deps),
    RecordStackRevision: recordStackRevision.createHandler(deps),
    CheckDrift: checkDrift.createHandler(deps),
    ReleaseDeployLease: releaseDeployLease.createHandler(deps),
    AssessRejoin: assessRejoin.createHandler(deps),
    DecideRejoin: decideRejoin.createHandler(deps),
    RecordRejoin: recordRejoin.createHandler(deps),
    AssessSwitchover: assessSwitchover.createHandler(deps),
    DecideSwitchover: decideSwitchover.createHandler(deps),
    DemoteDatabase: demoteDatabase.createHandler(deps),
    CheckSwitchoverCatchUp: checkSwitchoverCatchUp.createHandler(deps),
    UndoDemotion: undoDemotion.createHandler(deps),
    RejoinDatabase: rejoinDatabase.createHandler(deps),
    DescribeSourceStack: describeSourceStack.createHandler(deps),
    PlanClone: planClone.createHandler(deps),
    CreateImages: createImages.createHandler(deps),
    CopyImages: copyImages.createHandler(deps),
    PollImages: pollImages.createHandler(deps),
    EnsureSecurityGroups: ensureSecurityGroups.createHandler(deps),
    LaunchInstances: launchInstances.createHandler(deps),
    PollInstances: pollInstances.createHandler(deps),
    CopyParameters: copyParameters.createHandler(deps),
    RegisterTwin: registerTwin.createHandler(deps),
    DeployTwin: deployTwin.createHandler(deps),
    RollbackClone: rollbackClone.createHandler(deps),
    ReportFailure: reportFailure.createHandler(deps),
  };
}
