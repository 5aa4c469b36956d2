/**
 * RequestDeploy: record a push as the group's desired revision when it is newer than
 * the current one (recordPush), and say whether this execution goes on (`queued`)
 * or ends because a newer push is already desired (`superseded`).
 * Idempotent: the same push again records nothing new.
 */
import { REVISION_PATTERN, type DeployVersion } from '../core/deploy/deploy-state.ts';
import { recordPush } from '../core/deploy/record-push.ts';
import { InvalidInputError } from '../core/errors.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadDeployState, saveDeployState, sourceOf, validHolder } from './stores/deploy-state-store.ts';
import { loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface RequestDeployInput {
  readonly group: string;
  readonly revision: string;
  readonly branch: string;
  /** Null when the provider sent none (the intake logs it). */
  readonly deliveryId: string | null;
  readonly receivedAt: string;
  /** The execution name (lease holder). */
  readonly holder: string;
}
export interface RequestDeployResult {
  readonly action: 'queued' | 'superseded';
  readonly holder: string;
  readonly version: DeployVersion;
  readonly reasons: readonly string[];
}

const MAX_DELIVERY_ID = 200;

export function createHandler(deps: StepDeps) {
  return async (event: RequestDeployInput): Promise<RequestDeployResult> => {
    const group = await loadGroup(deps.params, event.group);
    const source = sourceOf(group);
    const holder = validHolder(event.holder);
    const problems: string[] = [];
    if (typeof event.revision !== 'string' || !REVISION_PATTERN.test(event.revision)) problems.push('revision must be a full 40-hex commit id');
    if (event.branch !== source.branch) problems.push(`branch ${JSON.stringify(event.branch)} is not the group's branch ${source.branch}`);
    const deliveryId = event.deliveryId ?? 'none';
    if (typeof deliveryId !== 'string' || deliveryId.length > MAX_DELIVERY_ID) problems.push('invalid deliveryId');
    if (typeof event.receivedAt !== 'string' || Number.isNaN(Date.parse(event.receivedAt))) problems.push('receivedAt must be an ISO time');
    if (problems.length > 0) throw new InvalidInputError(`deploy request for ${group.name}: ${problems.join('; ')}`);

    const state = await loadDeployState(deps.params, group.name);
    const decision = recordPush(state, { revision: event.revision, receivedAt: new Date(event.receivedAt).toISOString(), deliveryId });
    if (decision.recorded) await saveDeployState(deps.params, group.name, decision.state, state);
    deps.logger.info('deploy requested', { group: group.name, deliveryId, action: decision.action });
    return { action: decision.action, holder, version: decision.version, reasons: decision.reasons };
  };
}

export const handler = awsEntry(createHandler);
