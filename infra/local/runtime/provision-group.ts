/**
 * The local equivalent of what the CDK stack provisions for a group: its config,
 * its initial state (only when none exists: re-provisioning never forgets a failover)
 * and the SSH key (secret).
 */
import { INITIAL_GROUP_STATE } from '../../../functions/core/group-state.ts';
import type { GroupAwaitingTwin } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { ParameterStore } from '../../../functions/core/ports.ts';

/** `group` may still await its twin (clone-stack builds it: infra/local/drill/drill-clone.ts). */
export async function provisionGroup(params: ParameterStore, group: GroupAwaitingTwin, options: { readonly sshPrivateKey: string }): Promise<void> {
  await params.put(parameterNames.config(group.name), JSON.stringify(group));
  if ((await params.get(parameterNames.state(group.name))) === undefined) {
    await params.put(parameterNames.state(group.name), JSON.stringify(INITIAL_GROUP_STATE));
  }
  await params.put(parameterNames.sshPrivateKey(group.name), options.sshPrivateKey, { secret: true });
}
