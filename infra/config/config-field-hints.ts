/**
 * What each twinstack.yaml setting expects and how to fix a wrong one, keyed by
 * the setting's key (the last name in an issue's path). An engine's own settings
 * come from its plug-in, keyed `<settingsKey>.<key>` (`postgres.dataDir`), so two
 * engines' `dataDir` can say different things. Used to turn schema issues into
 * instructions, and as descriptions in the generated JSON Schema.
 */
import type { FieldHint } from '../../functions/core/config/setting-fields.ts';
import { ENGINE_NAMES, ENGINE_PLUGINS } from '../../functions/core/engines/engine-registry.ts';

export type { FieldHint };

const NAME_RULE = 'a lower-case letter, then up to 62 lower-case letters, digits, "_" or "-"';
const PATH_RULE = 'an absolute path of letters, digits, ".", "_", "-" and "/" (no "..", no whitespace, no shell metacharacters)';

/** Every engine's own hints, namespaced by its settings key (the block's own hint keeps its key). */
function engineHints(): Record<string, FieldHint> {
  return Object.fromEntries(
    ENGINE_PLUGINS.flatMap((plugin) =>
      Object.entries(plugin.fieldHints).map(([key, hint]) => [key === plugin.settingsKey ? key : `${plugin.settingsKey}.${key}`, hint]),
    ),
  );
}

const GROUP_HINTS: Readonly<Record<string, FieldHint>> = {
  version: { expect: 'the format version 1', fix: 'write `version: 1` at the top of the file' },
  groups: { expect: 'a list of failover groups', fix: 'add `groups:` with at least one group (see examples/twinstack.yaml)' },
  name: { expect: `a name: ${NAME_RULE}`, fix: 'use a short lower-case name such as `shop`, `shop-eu`, `web1` or `main`' },
  dns: { expect: 'the DNS record of the group', fix: 'add `dns: {zone: example.com, name: shop.example.com}`' },
  zone: { expect: 'a DNS zone name such as `example.com` (no trailing dot)', fix: 'write the hosted zone name without the trailing dot, e.g. `example.com`' },
  dnsName: { expect: 'the fully qualified DNS name that follows the active stack, e.g. `shop.example.com`, inside the zone', fix: 'write the record name, ending with the zone, e.g. `shop.example.com`' },
  hostedZoneId: { expect: 'a Route 53 hosted zone id such as `Z0123456789ABCDEFGHIJ`', fix: 'copy the id from `aws route53 list-hosted-zones-by-name --dns-name <zone>` without the `/hostedzone/` prefix, or remove it for the local runtime' },
  ttl: { expect: 'a TTL in seconds, a whole number from 1 to 86400 (above 300 only with `acknowledgeLongTtl: true`)', fix: 'use a short TTL such as `60` so failover takes effect quickly' },
  acknowledgeLongTtl: { expect: '`true` to accept a TTL above 300 s', fix: 'remove it and use a TTL of at most 300 s, or write `acknowledgeLongTtl: true` if a long failover is acceptable' },
  failover: { expect: 'failover settings', fix: 'write `failover: {cooldownSeconds: 900}` or remove the key for the defaults' },
  maxObservationAgeSeconds: {
    expect: 'a whole number of seconds from 1 to 86400',
    fix: 'use e.g. `180` (three scheduled replication checks): older evidence of a dead primary proves nothing',
  },
  cooldownSeconds: { expect: 'a whole number of seconds from 0 to 604800', fix: 'use e.g. `900` (no automatic failover within 15 minutes of the last one)' },
  source: { expect: 'where the group\'s code comes from (deploy webhooks)', fix: 'write `source: {provider: github, repository: owner/name, branch: main, gitUrl: git@github.com:owner/name.git}`, or remove the key for no deploy webhooks' },
  provider: { expect: '`github`, `gitlab` or `bitbucket`', fix: 'write the provider that sends (and signs) the webhooks, e.g. `provider: github`' },
  repository: { expect: 'a repository path: `owner/name` (GitHub, Bitbucket) or `group/subgroup/project` (GitLab)', fix: 'copy the path from the repository URL, e.g. `acme/shop`' },
  branch: { expect: 'a git branch name of letters, digits, ".", "_", "-" and "/" (no "..", no leading "-" or "/", not `refs/…`)', fix: 'write the branch that deploys, e.g. `main`' },
  gitUrl: { expect: 'an `https://host/path`, `ssh://host/path`, `user@host:path` or `file:///path` (a mirror on the hosts) git URL without credentials or shell metacharacters', fix: 'use e.g. `git@github.com:acme/shop.git` (hosts authenticate with a deploy key, never with credentials in the URL)' },
  hostConcurrency: { expect: 'a whole number of hosts from 1 to 50', fix: 'use `1` (one host of a stack at a time, the default) or more to deploy hosts in parallel' },
  primary: { expect: 'the primary stack', fix: 'add `primary:` with name, region, endpoint, healthUrl, hosts and deploy' },
  twin: { expect: 'the twin stack (absent: `twinstack clone` builds it)', fix: 'add `twin:` with the same host names as the primary (the twin is a clone), or leave it out and run `twinstack clone <group>`' },
  region: { expect: 'an AWS region such as `eu-west-1`, or `local`', fix: 'use the region code shown by `aws ec2 describe-regions`, e.g. `eu-central-1`, or `local` for the local runtime' },
  endpoint: { expect: 'an IPv4 address (A record) or a host name (CNAME)', fix: 'give the stack\'s public address, e.g. `203.0.113.10` or `lb-eu.example.net`' },
  healthUrl: { expect: 'an http or https URL that answers 2xx while the stack serves', fix: 'use e.g. `https://203.0.113.10/healthz` (no spaces, quotes or credentials)' },
  hosts: { expect: 'a list of hosts', fix: 'list at least one host with name, address, user and hostKey' },
  address: { expect: 'an IPv4 address or an RFC 1123 host name', fix: 'give only the address, e.g. `203.0.113.11` or `web1.eu.example.net`, with no spaces or extra text' },
  sshPort: { expect: 'a TCP port, a whole number from 1 to 65535', fix: 'use the port sshd listens on, usually `22`' },
  port: { expect: 'a TCP port, a whole number from 1 to 65535', fix: 'use the port the database listens on, e.g. `5432`' },
  user: { expect: 'a login name: a lower-case letter or "_", then up to 31 lower-case letters, digits, "_" or "-"', fix: 'give only the SSH user name, e.g. `ubuntu` or `ec2-user`; SSH options are not accepted here' },
  hostKey: { expect: 'a pinned SSH host key fingerprint `SHA256:` followed by 43 base64 characters', fix: 'run `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host and copy the SHA256:… fingerprint' },
  deploy: { expect: 'how to deploy the compose project', fix: 'add `deploy: {directory: /srv/app}`' },
  directory: { expect: PATH_RULE, fix: 'give the directory of the compose project on every host, e.g. `/srv/app`' },
  command: { expect: 'a non-empty single-line shell command', fix: 'write the deploy command on one line, e.g. `docker compose pull && docker compose up -d --remove-orphans`, or remove the key for that default' },
  databases: { expect: 'a list of databases', fix: 'list the group\'s databases, or write `databases: []`' },
  engine: { expect: `a database engine: ${ENGINE_NAMES.map((n) => `\`${n}\``).join(', ')}`, fix: `write one of \`engine: ${ENGINE_NAMES.join('`, `engine: ')}\`` },
  host: { expect: 'the name of a host that exists in both stacks', fix: 'use the `name` of one of the stack\'s hosts, e.g. `db1`' },
  replication: { expect: 'replication settings', fix: 'write `replication: {mode: async, maxLag: 16MiB}` or remove the key for the defaults' },
  sourceAddress: {
    expect: "the IPv4 address the twin's replication connections come from, as the primary sees them",
    fix: "give the twin's address as the primary sees it (its NAT or public address), or remove the key to use the twin host's address",
  },
  mode: { expect: '`async` or `sync`', fix: 'write `mode: async` (default) or `mode: sync` (commits wait for the twin)' },
  maxLag: {
    expect: "a lag limit in the engine's unit: a size in bytes (`16MiB`, `512KiB`, `1GB`) for postgres and redis, a count of transactions for mariadb and mysql, seconds of oplog for mongodb",
    fix: 'write e.g. `maxLag: 16MiB` (postgres, redis), `maxLag: 100` (mariadb, mysql: transactions) or `maxLag: 10` (mongodb: seconds of oplog)',
  },
  traffic: { expect: 'traffic settings: how the group name switches and how Route 53 checks each stack', fix: 'write `traffic: {mode: routing-gate, healthCheck: {intervalSeconds: 10}}` or remove the key for the defaults' },
  trafficMode: { expect: '`routing-gate` or `record`', fix: 'write `mode: routing-gate` (default: Route 53 failover records gated from the control region) or `mode: record` (one record UPSERTed through Route 53\'s API)' },
  healthCheck: { expect: 'Route 53 health check settings', fix: 'write `healthCheck: {intervalSeconds: 10, failureThreshold: 3}` or remove the key for the defaults' },
  intervalSeconds: { expect: '10 or 30 (seconds between Route 53 checks)', fix: 'write `intervalSeconds: 10` (fast failover) or `intervalSeconds: 30` (standard price)' },
  failureThreshold: { expect: 'a whole number of failed checks from 1 to 10', fix: 'use e.g. `3` (three failed checks in a row mark the stack unhealthy)' },
  path: { expect: 'a request path starting with "/"', fix: 'write the path with its leading slash, e.g. `/healthz`, or remove the key to use the healthUrl\'s path' },
  searchString: { expect: 'a string of 1 to 255 characters the health response body must contain', fix: 'write e.g. `searchString: ok`, or remove the key to accept any 2xx/3xx' },
  sni: { expect: '`group-name` or `none`', fix: 'write `sni: group-name` (TLS to the IP with the group\'s DNS name, which its certificate covers) or `sni: none`' },
  notifications: { expect: 'a list of notification targets: `{email: …}`, `{https: …}` or `{topicArn: …}`', fix: 'write e.g. `notifications: [{email: ops@example.com}]`' },
  email: { expect: 'an e-mail address', fix: 'write one address such as `ops@example.com` (SNS e-mails a confirmation link first)' },
  https: { expect: 'an https URL SNS posts alerts to', fix: 'write e.g. `https://alerts.example.com/sns` (SNS posts a SubscriptionConfirmation first)' },
  topicArn: { expect: 'an SNS topic ARN', fix: 'copy it from `aws sns list-topics`, e.g. `arn:aws:sns:eu-central-1:123456789012:ops-alerts`' },
};

export const FIELD_HINTS: Readonly<Record<string, FieldHint>> = { ...GROUP_HINTS, ...engineHints() };

const GENERIC_HINT: FieldHint = { expect: 'a valid value', fix: 'compare with examples/twinstack.yaml and infra/config/twinstack.schema.json' };

/** The hint for `key` (an engine's own `<settingsKey>.<key>` first, when the parent is given), or a generic one. */
export function hintFor(key: string | undefined, parent?: string): FieldHint {
  if (key === undefined) return GENERIC_HINT;
  return (parent !== undefined ? FIELD_HINTS[`${parent}.${key}`] : undefined) ?? FIELD_HINTS[key] ?? GENERIC_HINT;
}

/** The known setting closest to a misspelt `key` (case-insensitive, at most 2 edits), if any. */
export function suggestKey(key: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const known of Object.keys(FIELD_HINTS).map((k) => k.split('.').at(-1) ?? k)) {
    const distance = editDistance(key.toLowerCase(), known.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { key: known, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
