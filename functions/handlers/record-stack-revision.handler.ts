/**
 * RecordStackRevision: record each stack's deploy outcome (deployed revision and
 * image ID, or failure; hosts of one stack reporting different images is a failure) in the group's DeployState, in ONE write for all stacks of the execution
 * (they deploy in parallel; SSM has no conditional put, so one writer avoids a lost update).
 * Idempotent: the same outcomes again write nothing.
 */
import type { DeployVersion, StackDeployRecord } from '../core/deploy/deploy-state.ts';
import { recordStackOutcomes, type StackOutcome } from '../core/deploy/record-stack-outcomes.ts';
import { IMAGE_ID_PATTERN } from '../core/deploy/image-commands.ts';
import { InvalidInputError } from '../core/errors.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadDeployState, saveDeployState } from './stores/deploy-state-store.ts';
import { findStackHost } from './deps/find-stack-host.ts';
import { loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface RecordStackRevisionInput { readonly group: string; readonly target: DeployVersion; readonly stacks: readonly StackOutcome[] }
export interface RecordStackRevisionResult { readonly changed: boolean; readonly stacks: Readonly<Record<string, StackDeployRecord>> }

const MAX_ERROR = 500;

export function createHandler(deps: StepDeps) {
  return async (event: RecordStackRevisionInput): Promise<RecordStackRevisionResult> => {
    const group = await loadGroup(deps.params, event.group);
    const given: unknown = event.stacks;
    if (!Array.isArray(given)) throw new InvalidInputError('stacks must be an array of outcomes');
    const outcomes = (given as readonly (StackOutcome & { hosts?: unknown })[]).map((o): StackOutcome => {
      findStackHost(group, o.stack);
      if (o.status !== 'deployed' && o.status !== 'failed') throw new InvalidInputError(`stack ${o.stack}: invalid status ${JSON.stringify(o.status)}`);
      if (o.status === 'failed') return { stack: o.stack, status: 'failed', error: String(o.error ?? 'unknown error').slice(0, MAX_ERROR) };
      const images = imagesOf(o.hosts);
      if (images.size > 1) return { stack: o.stack, status: 'failed', error: `hosts of ${o.stack} run different images: ${[...images].join(', ')}`.slice(0, MAX_ERROR) };
      const image = [...images][0];
      return { stack: o.stack, status: 'deployed', ...(image ? { image } : {}) };
    });
    const state = await loadDeployState(deps.params, group.name);
    const next = recordStackOutcomes(state, event.target, outcomes, deps.clock.now().toISOString());
    if (next.changed) await saveDeployState(deps.params, group.name, next.state, state);
    return { changed: next.changed, stacks: next.state.stacks };
  };
}

/** The image IDs DeployHost reported for the hosts of one stack (none when the push built no image). */
function imagesOf(hosts: unknown): Set<string> {
  const ids = new Set<string>();
  if (!Array.isArray(hosts)) return ids;
  for (const result of hosts as unknown[]) {
    const image = (result as { image?: unknown } | null)?.image;
    if (typeof image === 'string' && IMAGE_ID_PATTERN.test(image)) ids.add(image);
  }
  return ids;
}

export const handler = awsEntry(createHandler);
