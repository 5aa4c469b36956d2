/**
 * CheckDrift: do all stacks of the group run the same revision and image (checkDrift)? Publishes
 * the `DeployDrift` metric (1 drifted, 0 in sync) when the runtime has a metrics sink;
 * the report itself is the step output.
 */
import { checkDrift, type DriftReport } from '../core/deploy/check-drift.ts';
import { awsEntry } from './deps/aws-entry.ts';
import { loadDeployState } from './stores/deploy-state-store.ts';
import { loadGroup } from './stores/load-group.ts';
import type { StepDeps } from './deps/step-deps.ts';

export interface CheckDriftInput {
  readonly group: string;
  readonly target?: string;
  /** BuildImage's output: with `built: true`, every stack must run `id`. */
  readonly image?: { readonly built?: boolean; readonly id?: string };
}
export interface CheckDriftResult extends DriftReport { readonly summary: string }

export const DRIFT_METRIC = 'DeployDrift';

export function createHandler(deps: StepDeps) {
  return async (event: CheckDriftInput): Promise<CheckDriftResult> => {
    const group = await loadGroup(deps.params, event.group);
    const state = await loadDeployState(deps.params, group.name);
    const targetImage = event.image?.built === true && typeof event.image.id === 'string' ? event.image.id : undefined;
    const report = checkDrift([group.primary.name, group.twin.name], state, event.target, targetImage);
    deps.recordMetric?.(DRIFT_METRIC, report.inSync ? 0 : 1, { group: group.name });
    if (!report.inSync) deps.logger.warn('deploy drift', { group: group.name, reasons: report.reasons });
    return { ...report, summary: report.reasons.join('; ').slice(0, 1000) };
  };
}

export const handler = awsEntry(createHandler);
