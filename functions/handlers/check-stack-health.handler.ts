/** CheckStackHealth: does the stack's healthUrl answer 2xx now? Unhealthy is data; the workflow retries with a bounded wait loop. */
import { awsEntry } from './deps/aws-entry.ts';
import { findStackHost } from './deps/find-stack-host.ts';
import { loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface CheckStackHealthInput { readonly group: string; readonly stack: string }
export interface CheckStackHealthResult { readonly stack: string; readonly healthy: boolean; readonly detail: string }

export const HEALTH_TIMEOUT_MS = 5000;

export function createHandler(deps: StepDeps) {
  return async (event: CheckStackHealthInput): Promise<CheckStackHealthResult> => {
    const group = await loadGroup(deps.params, event.group);
    const { stack } = findStackHost(group, event.stack);
    const { healthy, detail } = await deps.health.check(stack.healthUrl, HEALTH_TIMEOUT_MS);
    return { stack: stack.name, healthy, detail: detail.slice(0, 300) };
  };
}

export const handler = awsEntry(createHandler);
