import type { z } from 'zod';
import { IPV4 } from '../../functions/core/config/config-patterns.ts';
import { ENGINE_NAMES, pluginFor } from '../../functions/core/engines/engine-registry.ts';
import type { EngineName } from '../../functions/core/model.ts';
import { envNameCollisions } from '../../functions/core/publish/published-env.ts';

/** Above this TTL a failover takes effect too slowly to accept silently (seconds). */
const MAX_TTL_WITHOUT_ACK = 300;

/**
 * Checks that span several fields of twinstack.yaml. They run even when single
 * fields failed (so every problem is reported at once), hence they read the value
 * defensively: a field that is not the expected shape is skipped here, its own
 * schema already reported it.
 */

type Path = (string | number)[];

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function text(value: unknown, key: string): string | undefined {
  const found = field(value, key);
  return typeof found === 'string' ? found : undefined;
}

function list(value: unknown, key: string): unknown[] {
  const found = field(value, key);
  return Array.isArray(found) ? (found as unknown[]) : [];
}

function report(ctx: z.RefinementCtx<unknown>, path: Path, message: string, fix: string): void {
  ctx.addIssue({ code: 'custom', path, message, params: { fix } });
}

/** Index of every entry whose `key` repeats an earlier entry's, with the first index. */
function duplicates(entries: unknown[], key: string): { index: number; first: number; value: string }[] {
  const seen = new Map<string, number>();
  const found: { index: number; first: number; value: string }[] = [];
  entries.forEach((entry, index) => {
    const value = text(entry, key);
    if (value === undefined) return;
    const first = seen.get(value);
    if (first === undefined) seen.set(value, index);
    else found.push({ index, first, value });
  });
  return found;
}

function hostNames(stack: unknown): string[] {
  return list(stack, 'hosts')
    .map((host) => text(host, 'name'))
    .filter((name): name is string => name !== undefined);
}

/** Group invariants: DNS name in its zone, unique host names, twin a clone of the primary, databases placed on shared hosts. */
export function checkGroupCrossFields(group: unknown, ctx: z.RefinementCtx<unknown>): void {
  const zone = text(field(group, 'dns'), 'zone');
  const name = text(field(group, 'dns'), 'name');
  if (zone !== undefined && name !== undefined && name !== zone && !name.endsWith(`.${zone}`)) {
    report(ctx, ['dns', 'name'], `"${name}" is not in the zone "${zone}"`, `use a name that ends with ".${zone}", e.g. "shop.${zone}", or correct the zone`);
  }

  for (const role of ['primary', 'twin'] as const) {
    for (const dup of duplicates(list(field(group, role), 'hosts'), 'name')) {
      report(ctx, [role, 'hosts', dup.index, 'name'], `host name "${dup.value}" is used twice in this stack (also hosts[${dup.first}])`, 'give every host of a stack its own name');
    }
  }

  const primary = field(group, 'primary');
  const twin = field(group, 'twin');
  const primaryName = text(primary, 'name');
  if (primaryName !== undefined && primaryName === text(twin, 'name')) {
    report(ctx, ['twin', 'name'], `the twin has the same name as the primary ("${primaryName}")`, `name the twin after its own region, e.g. "${primaryName}-twin"`);
  }
  const endpoint = text(primary, 'endpoint');
  if (endpoint !== undefined && endpoint === text(twin, 'endpoint')) {
    report(ctx, ['twin', 'endpoint'], `the twin has the same endpoint as the primary ("${endpoint}"), so failover would not move traffic`, "give the twin's own public address");
  }

  const primaryRegion = text(primary, 'region');
  if (primaryRegion !== undefined && primaryRegion !== 'local' && primaryRegion === text(twin, 'region')) {
    report(
      ctx,
      ['twin', 'region'],
      `the twin is in the primary's region ("${primaryRegion}"): a regional outage would take both stacks down`,
      'put the twin in another region (e.g. eu-central-1 for eu-west-1); only the local runtime may use `region: local` for both',
    );
  }

  const ttl = field(field(group, 'dns'), 'ttl');
  if (typeof ttl === 'number' && ttl > MAX_TTL_WITHOUT_ACK && field(field(group, 'dns'), 'acknowledgeLongTtl') !== true) {
    report(
      ctx,
      ['dns', 'ttl'],
      `a TTL of ${ttl} s means resolvers and clients keep sending traffic to the failed stack for up to ${ttl} s after a failover`,
      `use a TTL of at most ${MAX_TTL_WITHOUT_ACK} s (60 is usual), or add \`acknowledgeLongTtl: true\` to dns if that recovery time is acceptable`,
    );
  }

  const primaryHosts = hostNames(primary);
  const twinHosts = hostNames(twin);
  const missing = primaryHosts.filter((host) => !twinHosts.includes(host));
  const extra = twinHosts.filter((host) => !primaryHosts.includes(host));
  if (primaryHosts.length > 0 && twinHosts.length > 0 && (missing.length > 0 || extra.length > 0)) {
    const parts = [missing.length > 0 ? `lacks ${missing.join(', ')}` : '', extra.length > 0 ? `has extra ${extra.join(', ')}` : ''].filter(Boolean);
    report(ctx, ['twin', 'hosts'], `the twin's host names differ from the primary's: it ${parts.join(' and ')}`, "the twin is a clone: give it exactly the primary's host names (addresses and keys differ)");
  }

  // Route 53 checks each stack's healthUrl. Over HTTPS to a bare IP it can send no server name
  // unless told which: the stack's certificate is for a host name, not for its address.
  const sni = text(field(field(group, 'traffic'), 'healthCheck'), 'sni');
  for (const role of ['primary', 'twin'] as const) {
    const stack = field(group, role);
    const healthUrl = text(stack, 'healthUrl');
    if (healthUrl === undefined || text(stack, 'region') === 'local' || sni !== undefined) continue;
    let url: URL;
    try {
      url = new URL(healthUrl);
    } catch {
      continue;
    }
    if (url.protocol === 'https:' && IPV4.test(url.hostname)) {
      report(
        ctx,
        [role, 'healthUrl'],
        `"${healthUrl}" is HTTPS on a bare IP: Route 53 cannot tell which server name (SNI) to send`,
        `add \`traffic: {healthCheck: {sni: group-name}}\` (sends ${name ?? 'the group name'} as SNI and Host), or \`sni: none\`, or use a host name in healthUrl`,
      );
    }
  }

  const databases = list(group, 'databases');
  for (const dup of duplicates(databases, 'name')) {
    report(ctx, ['databases', dup.index, 'name'], `database name "${dup.value}" is used twice (also databases[${dup.first}])`, 'give every database of the group its own name');
  }
  const engineDatabases = databases.flatMap((database) => {
    const name = text(database, 'name');
    const engine = text(database, 'engine');
    if (name === undefined || engine === undefined || !(ENGINE_NAMES as readonly string[]).includes(engine)) return [];
    const { engine: impl } = pluginFor(engine as EngineName);
    return [{ name, prefix: impl.envPrefix, sql: impl.sql }];
  });
  for (const collision of envNameCollisions(engineDatabases)) {
    const index = databases.findIndex((d) => text(d, 'name') === collision.databases.at(-1));
    report(
      ctx,
      ['databases', Math.max(0, index), 'name'],
      `databases ${collision.databases.map((d) => `"${d}"`).join(' and ')} would both publish the env var ${collision.name}`,
      'rename one of them so their names differ after upper-casing and "-" → "_" (e.g. "main" and "cache")',
    );
  }
  const placements = new Map<string, number>();
  databases.forEach((database, index) => {
    const host = text(database, 'host');
    if (host === undefined) return;
    for (const [role, names] of [['primary', primaryHosts], ['twin', twinHosts]] as const) {
      if (names.length > 0 && !names.includes(host)) {
        report(ctx, ['databases', index, 'host'], `"${host}" is not a host of the ${role} stack`, `use one of its hosts: ${names.join(', ')}`);
      }
    }
    const port = field(database, 'port');
    if (typeof port !== 'number') return;
    const first = placements.get(`${host}:${port}`);
    if (first === undefined) placements.set(`${host}:${port}`, index);
    else report(ctx, ['databases', index, 'port'], `port ${port} on host "${host}" is already used by databases[${first}]`, 'give each database on the same host its own port');
  });
}

/** Config invariants: group names and DNS names are unique. */
export function checkConfigCrossFields(config: unknown, ctx: z.RefinementCtx<unknown>): void {
  const groups = list(config, 'groups');
  for (const dup of duplicates(groups, 'name')) {
    report(ctx, ['groups', dup.index, 'name'], `group name "${dup.value}" is used twice (also groups[${dup.first}])`, 'give every failover group its own name');
  }
  const dnsEntries = groups.map((group) => field(group, 'dns'));
  for (const dup of duplicates(dnsEntries, 'name')) {
    report(ctx, ['groups', dup.index, 'dns', 'name'], `DNS name "${dup.value}" is already managed by groups[${dup.first}]`, 'each group needs its own DNS name, or the groups would fight over it');
  }
}
