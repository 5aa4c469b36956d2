/**
 * `StepDeps.openShell` over any ParameterStore: the group's SSH private key is read
 * (SecureString) at the moment a step opens its shell, never cached beyond it, so a
 * rotated key is used by the next step. The ssh2 adapter is loaded on the first open
 * (`import()`): a Lambda bundle evaluates ssh2 only when its step really connects.
 */
import { InvalidInputError } from '../../core/errors.ts';
import { parameterNames } from '../../core/parameter-names.ts';
import type { ParameterStore, RemoteShell } from '../../core/ports.ts';

export function groupShellOpener(params: ParameterStore): (group: string) => Promise<RemoteShell> {
  return async (group: string) => {
    const privateKey = await params.get(parameterNames.sshPrivateKey(group));
    if (privateKey === undefined) throw new InvalidInputError(`group ${group} has no SSH key at ${parameterNames.sshPrivateKey(group)}`);
    const { Ssh2RemoteShell } = await import('../../adapters/ssh/ssh2.remote-shell.ts');
    return new Ssh2RemoteShell({ privateKey });
  };
}
