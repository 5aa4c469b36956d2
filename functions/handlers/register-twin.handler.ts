/**
 * RegisterTwin (clone-stack): the twin's stack block (`twinStackOf`: the source's shape, the
 * clone's addresses and pinned host keys) written into the group's stored config, and the
 * twin's identity env vars published passive (TWINSTACK_ROLE=standby,
 * TWINSTACK_FAILOVER_STATUS=offline): ready for `replicate`, receiving no traffic.
 * Idempotent: a group whose twin is already this block is left as it is; a group with
 * another twin is refused (nothing is replaced).
 */
import { twinStackOf, type ClonedHost } from '../core/decisions/plan-clone.ts';
import { InvalidInputError } from '../core/errors.ts';
import type { Stack } from '../core/model.ts';
import { parameterNames } from '../core/parameter-names.ts';
import { stackEnv } from '../core/publish/published-env.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { clonePlanOf } from './deps/clone-step-input.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { loadGroupAwaitingTwin } from './stores/load-group.ts';

export interface RegisterTwinInput { readonly plan: unknown; readonly hosts: readonly ClonedHost[] }
export interface RegisterTwinResult {
  readonly twin: Stack;
  /** False when the group already had exactly this twin (a re-run). */
  readonly registered: boolean;
  /** What an operator should review in the block (e.g. an endpoint that could not be derived). */
  readonly reasons: readonly string[];
  readonly published: readonly string[];
}

export function createHandler(deps: StepDeps) {
  return async (event: RegisterTwinInput): Promise<RegisterTwinResult> => {
    const plan = clonePlanOf(event.plan);
    if (!Array.isArray(event.hosts)) throw new InvalidInputError('hosts must be the ready hosts PollInstances returned');
    const group = await loadGroupAwaitingTwin(deps.params, plan.group);
    const { stack: twin, reasons } = twinStackOf(plan, group.primary, event.hosts);
    const same = group.twin !== undefined && JSON.stringify(group.twin) === JSON.stringify(twin);
    if (group.twin !== undefined && !same) {
      throw new InvalidInputError(`${group.name} already has a twin (${group.twin.name}) that is not this clone's: nothing was replaced; remove it from the group's config to register ${twin.name}`);
    }
    if (!same) await deps.params.put(parameterNames.config(group.name), JSON.stringify({ ...group, twin }));
    const env = stackEnv({ group: group.name, stack: twin.name, active: false, databases: [] });
    for (const [name, value] of Object.entries(env)) await deps.params.put(parameterNames.env(group.name, twin.name, name), value, { secret: true });
    deps.logger.info('twin registered', { group: group.name, twin: twin.name, hosts: twin.hosts.length, registered: !same });
    return { twin, registered: !same, reasons, published: Object.keys(env) };
  };
}

export const handler = awsEntry(createHandler);
