/**
 * PublishEnvVars: the env vars apps of each stack need (core/publish/published-env.ts:
 * every database's address, URL and replicas under its engine's names, DATABASE_URL,
 * TWINSTACK_GROUP/STACK/ROLE/FAILOVER_STATUS), written to the ParameterStore
 * (secret) and to `<deploy.directory>/.env.twinstack` (mode 600) on every host of
 * the stack. File content travels over stdin, never argv; output carries names only.
 * Every published value and every raw database secret (and its URL-encoded form) is
 * redacted from the write command's output and errors.
 * The standby stack's hosts may be down (failover): unreachable ones are reported, not thrown.
 */
import type { RemoteCommand } from '../core/command.ts';
import { passwordsInUrls, redactionsOf } from '../core/deploy/deploy-commands.ts';
import { HostUnreachableError, RemoteTimeoutError } from '../core/errors.ts';
import type { FailoverGroup, StackRole } from '../core/model.ts';
import { stackEnv, type PublishedDatabase } from '../core/publish/published-env.ts';
import { databaseHost, stackOf } from '../core/model.ts';
import { parameterNames } from '../core/parameter-names.ts';
import type { RemoteShell } from '../core/ports.ts';
import { awsSshEntry } from './deps/aws-ssh-entry.ts';
import { engineOf } from './deps/engine-of.ts';
import { loadGroup, loadSecrets, loadState } from './stores/load-group.ts';
import { describeError } from './deps/observe-database.ts';
import { runCommand, withShell } from './deps/run-command.ts';
import type { StepDeps } from './deps/step-deps.ts';
import { otherStack } from '../core/decisions/direction.ts';

export const ENV_FILE_NAME = '.env.twinstack';

export interface PublishEnvVarsInput {
  readonly group: string;
  /** The stack that is (or is about to be) active; default: GroupState.active. */
  readonly active?: StackRole;
}
export interface PublishedStack {
  readonly stack: string;
  readonly role: 'active' | 'standby';
  readonly variables: readonly string[];
  readonly hosts: readonly { readonly host: string; readonly outcome: 'written' | 'unreachable'; readonly detail?: string }[];
}
export interface PublishEnvVarsResult { readonly group: string; readonly stacks: readonly PublishedStack[] }

/** `KEY=value` lines; values are single-quoted for docker compose / sh `.` sourcing. */
export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  // One form every reader takes verbatim: Node's parseEnv (the apps), Compose v2 and
  // Compose v1 `env_file` (python-dotenv, which drops a line with shell-style `'\''`
  // escapes). Single quotes when the value has none; else double quotes, which these
  // readers take literally when the value has no `"`, `\`, `$` or newline (a published
  // URL never does: its password is URL-encoded). Anything else cannot be written safely.
  return Object.keys(env)
    .sort()
    .map((k) => {
      const value = env[k] ?? '';
      if (/[\r\n\0]/.test(value)) throw new RangeError(`env var ${k}: a value with a line break cannot go into an env file`);
      if (!value.includes("'")) return `${k}='${value}'\n`;
      if (/["\\$`]/.test(value)) throw new RangeError(`env var ${k}: a value with both ' and one of " \\ $ \` cannot be written so that every env_file reader takes it verbatim`);
      return `${k}="${value}"\n`;
    })
    .join('');
}

/** Atomically replace `<directory>/.env.twinstack` with stdin, mode 600. */
export function writeEnvFileCommand(directory: string, content: string, secrets: readonly string[]): RemoteCommand {
  const path = `${directory.replace(/\/+$/, '')}/${ENV_FILE_NAME}`;
  return {
    description: `write ${ENV_FILE_NAME}`,
    argv: ['sh', '-c', 'umask 077 && cat > "$1.tmp" && chmod 600 "$1.tmp" && mv -f "$1.tmp" "$1"', 'twinstack-env', path],
    stdin: content,
    timeoutMs: 15_000,
    redact: secrets,
  };
}

export function createHandler(deps: StepDeps) {
  /** The stack's env vars (core/publish/published-env.ts), and the raw database secrets they were made from (to redact). */
  async function envOf(group: FailoverGroup, which: StackRole, active: StackRole): Promise<{ env: Record<string, string>; rawSecrets: string[] }> {
    const stack = stackOf(group, which);
    const other = stackOf(group, otherStack(which));
    const rawSecrets: string[] = [];
    const databases: PublishedDatabase[] = [];
    for (const database of group.databases) {
      const engine = engineOf(deps, database.engine);
      const secrets = await loadSecrets(deps.params, group.name, database.name);
      rawSecrets.push(secrets.appPassword, secrets.replicationPassword);
      const connection = engine.connection({ database, host: databaseHost(stack, database) }, secrets);
      const replica = engine.connection({ database, host: databaseHost(other, database) }, secrets);
      databases.push({ name: database.name, prefix: engine.envPrefix, sql: engine.sql, connection, replicaAddresses: which === active ? [replica.address] : [] });
    }
    return { env: stackEnv({ group: group.name, stack: stack.name, active: which === active, databases }), rawSecrets };
  }

  async function publish(shell: RemoteShell, group: FailoverGroup, which: StackRole, active: StackRole): Promise<PublishedStack> {
    const stack = stackOf(group, which);
    const role = which === active ? 'active' : 'standby';
    const { env, rawSecrets } = await envOf(group, which, active);
    for (const [name, value] of Object.entries(env)) {
      await deps.params.put(parameterNames.env(group.name, stack.name, name), value, { secret: true });
    }
    const content = renderEnvFile(env);
    const secrets = redactionsOf(Object.values(env), [...rawSecrets, ...passwordsInUrls(Object.values(env))]);
    const hosts: PublishedStack['hosts'][number][] = [];
    for (const host of stack.hosts) {
      try {
        await runCommand(shell, host, writeEnvFileCommand(stack.deploy.directory, content, secrets));
        hosts.push({ host: host.name, outcome: 'written' });
      } catch (error) {
        const transport = error instanceof HostUnreachableError || error instanceof RemoteTimeoutError;
        if (role === 'active' || !transport) throw error;
        hosts.push({ host: host.name, outcome: 'unreachable', detail: describeError(error) });
      }
    }
    return { stack: stack.name, role, variables: Object.keys(env).sort(), hosts };
  }

  return async (event: PublishEnvVarsInput): Promise<PublishEnvVarsResult> => {
    const group = await loadGroup(deps.params, event.group);
    const active = event.active ?? (await loadState(deps.params, group.name)).active;
    const stacks = await withShell(() => deps.openShell(group.name), async (shell) => [
      await publish(shell, group, 'primary', active),
      await publish(shell, group, 'twin', active),
    ]);
    return { group: group.name, stacks };
  };
}

export const handler = awsSshEntry(createHandler);
