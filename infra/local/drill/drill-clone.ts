/**
 * `npm run drill -- --clone`: the drill starts from its primary stack alone and builds the
 * twin with the clone-stack workflow — the real ASL and step handlers in the local runtime,
 * over the lab's Compute (runtime/lab-compute.ts): a new loopback host with its own sshd,
 * Docker engine (loaded with the primary's images) and empty database servers, its host key
 * pinned from the disk the lab wrote it to, the stack's env copied, the twin registered
 * passive in the group's config and deployed with the primary's revision. Then the drill
 * goes on as usual: replicate → deploy → failover.
 *
 * The group must be provisioned without its twin (`twin` absent in the stored config).
 */
import type { Stack } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { StepDeps } from '../../../functions/handlers/deps/step-deps.ts';
import type { LabUserRef } from '../lab/lab-database-node.ts';
import type { AddressRange } from '../runtime/lab-address-allocator.ts';
import { LAB_SUBNET, LAB_VPC, LabCompute } from '../runtime/lab-compute.ts';
import { runWorkflow, type RunWorkflowOptions, type WorkflowEvent, type WorkflowResult } from '../runtime/run-workflow.ts';

/** The lab label the twin is cloned into (the lab keeps images and hosts per label; in the config the twin's region is `local`). */
export const LOCAL_TWIN_REGION = 'local-twin';

/** The key the lab "encrypts" copied images with: the lab has no KMS; the plan still requires one. */
export const LOCAL_KMS_KEY = 'local';

export interface DrillCloneOptions {
  /** The drill's local step deps (its parameter file, zone file, lease file): the lab's Compute is added here. */
  readonly deps: StepDeps;
  readonly group: string;
  /** @default `<primary>-local-twin` (planClone's default) */
  readonly twinName?: string;
  readonly labRoot: string;
  /** Where every lab host sees its own `srv/` (the drill's LAB_HOST_ROOT). */
  readonly mountPoint: string;
  readonly user: LabUserRef;
  /** Addresses the twin's hosts may get, e.g. the drill's twin address alone: `{first: '127.0.2.1', last: '127.0.2.1'}`. */
  readonly addresses: AddressRange;
  readonly onEvent?: (event: WorkflowEvent) => void;
  readonly timing?: RunWorkflowOptions['timing'];
  /** Record the execution under `<stateDir>/executions/`. */
  readonly stateDir?: string;
  readonly executionName?: string;
  readonly log?: (line: string) => void;
}

/** What the drill's JSON summary gains: `clone: {durationMs, hosts, twin}`. */
export interface DrillCloneSummary {
  readonly durationMs: number;
  /** Hosts the twin got. */
  readonly hosts: number;
  /** The twin stack's name. */
  readonly twin: string;
}

export interface DrillCloneResult {
  readonly summary: DrillCloneSummary;
  /** The twin's stack block as registered (pinned host keys). */
  readonly stack: Stack;
  readonly result: WorkflowResult;
}

/** The clone-stack input for a local group: from the lab label `local` to `local-twin`, on the lab's one subnet and VPC. */
export function localCloneInput(group: string, twinName?: string, keepOnFailure = false) {
  return {
    group,
    targetRegion: LOCAL_TWIN_REGION,
    options: { kmsKeyId: LOCAL_KMS_KEY, vpcId: LAB_VPC, subnets: { [LAB_SUBNET]: LAB_SUBNET }, ...(twinName ? { twinName } : {}), ...(keepOnFailure ? { keepOnFailure } : {}) },
  };
}

/** Clone the group's primary into its twin through the local runtime; throws (with the workflow's error and cause) unless it succeeded. */
export async function cloneDrillStack(options: DrillCloneOptions): Promise<DrillCloneResult> {
  const compute = new LabCompute({ labRoot: options.labRoot, mountPoint: options.mountPoint, user: options.user, addresses: options.addresses, params: options.deps.params, ...(options.log ? { log: options.log } : {}) });
  const result = await runWorkflow({
    workflow: 'clone-stack',
    input: localCloneInput(options.group, options.twinName),
    deps: { ...options.deps, compute, paramsIn: () => options.deps.params },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.timing ? { timing: options.timing } : {}),
    ...(options.executionName ? { executionName: options.executionName } : {}),
    ...(options.stateDir ? { record: { stateDir: options.stateDir, trigger: 'operator' as const } } : {}),
  });
  if (result.status !== 'SUCCEEDED') throw new Error(`clone-stack of ${options.group} failed: ${result.error ?? 'error'}: ${result.cause ?? ''}`);
  const stored = JSON.parse((await options.deps.params.get(parameterNames.config(options.group))) ?? '{}') as { twin?: Stack };
  if (!stored.twin) throw new Error(`clone-stack of ${options.group} succeeded but the group's config has no twin`);
  return { summary: { durationMs: Math.round(result.durationMs), hosts: stored.twin.hosts.length, twin: stored.twin.name }, stack: stored.twin, result };
}
