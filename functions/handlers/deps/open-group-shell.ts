/**
 * `StepDeps.openShell` over any ParameterStore: the group's SSH private key is read
 * (SecureString) at the moment a step opens its shell, never cached beyond it, so a
 * rotated key is used by the next step.
 */
import { Ssh2RemoteShell } from '../../adapters/ssh/ssh2.remote-shell.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { parameterNames } from '../../core/parameter-names.ts';
import type { ParameterStore, RemoteShell } from '../../core/ports.ts';

export function groupShellOpener(params: ParameterStore): (group: string) => Promise<RemoteShell> {
  return async (group: string) => {
    const privateKey = await params.get(parameterNames.sshPrivateKey(group));
    if (privateKey === undefined) throw new InvalidInputError(`group ${group} has no SSH key at ${parameterNames.sshPrivateKey(group)}`);
    return new Ssh2RemoteShell({ privateKey });
  };
}
