/**
 * The domain model: what a failover group is, as validated from twinstack.yaml
 * (infra/config builds these types with zod; core only reads them).
 *
 * Invariant: every string in this model that can reach a remote command has
 * already been validated by the config schema (identifiers, hosts, ports, paths).
 * Core still quotes every argument; validation is the first fence, quoting the second.
 */
import type { DatabaseOf } from './engines/engine-plugin.ts';
import type { RegisteredPlugin } from './engines/engine-registry.ts';

export type StackRole = 'primary' | 'twin';
export type ReplicationMode = 'async' | 'sync';

/** One EC2 host (or local loopback host) reached over SSH. */
export interface Host {
  /** Logical name, the same on both stacks of a group (the twin is a clone). */
  readonly name: string;
  /** IPv4 address or DNS name the control plane connects to. */
  readonly address: string;
  readonly sshPort: number;
  readonly user: string;
  /** Pinned host key fingerprint, OpenSSH form: `SHA256:<base64 without padding>`. */
  readonly hostKey: string;
}

/** One copy of the application: the primary or its twin. */
export interface Stack {
  /** Unique within the group, e.g. `shop-eu`. */
  readonly name: string;
  readonly region: string;
  /** What the group's DNS name points at while this stack is active: an IPv4 (A record) or a host name (CNAME). */
  readonly endpoint: string;
  /** HTTP(S) URL that answers 2xx while the stack serves. */
  readonly healthUrl: string;
  readonly hosts: readonly Host[];
  readonly deploy: {
    /** Directory on every host holding the compose project. */
    readonly directory: string;
    /** Shell command run in `directory` to deploy a revision. */
    readonly command: string;
  };
}

/**
 * One database of the group: the fields every engine shares (DatabaseCommon) plus
 * `engine` and that engine's own settings block, a discriminated union derived from
 * the registered plug-ins (functions/core/engines/engine-registry.ts).
 */
export type Database = DatabaseOf<RegisteredPlugin>;
export type EngineName = Database['engine'];

export interface DnsRecordSpec {
  /** Hosted zone name, e.g. `example.com`. */
  readonly zone: string;
  /** Route 53 hosted zone id; absent for the local runtime. */
  readonly hostedZoneId?: string;
  /** Fully qualified record name, e.g. `shop.example.com`. */
  readonly name: string;
  readonly ttl: number;
  /** The operator accepted a TTL above 300 s (resolvers keep the old answer that long after a failover). */
  readonly acknowledgeLongTtl?: boolean;
}

export type GitProvider = 'github' | 'gitlab' | 'bitbucket';

/** Where a group's code comes from: one webhook per group deploys every stack of it. */
export interface DeploySource {
  /** Which provider signs the webhooks (configured, never guessed from headers). */
  readonly provider: GitProvider;
  /** `owner/name` (GitHub, Bitbucket `workspace/repo`) or GitLab `group/…/project` path. */
  readonly repository: string;
  /** Only pushes to this branch deploy. */
  readonly branch: string;
  /** What hosts fetch from (ssh or https; no credentials in it). */
  readonly gitUrl: string;
  /** Hosts of one stack deployed at the same time. */
  readonly hostConcurrency: number;
  /** Build one image per push (once, on one host) and run it on every host of both stacks. Absent: no image is built. */
  readonly image?: DeployImage;
}

/** The image a push builds once and every host runs (`TWINSTACK_IMAGE` in the deploy command's environment). */
export interface DeployImage {
  /** Repository name, tagged with the revision's first 12 hex digits: `name:abcdef012345`. */
  readonly name: string;
  /** Build context, relative to the checkout. */
  readonly context: string;
  /** Dockerfile, relative to the checkout. */
  readonly dockerfile: string;
}

/**
 * How the group's name moves between stacks in AWS.
 * - `routing-gate`: Route 53 failover records (PRIMARY = primary stack, SECONDARY = twin); the
 *   PRIMARY record's health is a CloudWatch-alarm health check on a metric the workflow sets from
 *   the control region, so a switch needs only Route 53's data plane and the control region.
 * - `record`: one plain A/CNAME record, UPSERTed through Route 53's control plane (us-east-1).
 */
export type TrafficMode = 'routing-gate' | 'record';

/** Route 53 health checks on each stack's `healthUrl` (protocol, host, port and path come from it). */
export interface HealthCheckSettings {
  /** Seconds between checks by each Route 53 checker: 10 (fast) or 30 (standard price). */
  readonly intervalSeconds: 10 | 30;
  /** Consecutive failed checks before a checker counts the stack unhealthy (1–10). */
  readonly failureThreshold: number;
  /** Path to request instead of the healthUrl's own (starts with `/`). */
  readonly path?: string;
  /** Healthy only when the first 5120 bytes of the body contain this string. */
  readonly searchString?: string;
  /**
   * TLS server name of an HTTPS check whose healthUrl host is a bare IP: `group-name` sends the
   * group's DNS name (SNI and Host), `none` sends no SNI. Host-name URLs send their host.
   */
  readonly sni?: 'group-name' | 'none';
}

/** The traffic block as configured (mode optional: its default depends on the stacks, see `trafficOf`). */
export interface TrafficConfig {
  readonly mode?: TrafficMode;
  readonly healthCheck: HealthCheckSettings;
}

/** The traffic settings in force, every default applied. */
export interface TrafficSettings extends TrafficConfig {
  readonly mode: TrafficMode;
}

/** Who hears about alarms and workflow outcomes: subscribed to the group's alarm topic. */
export type NotificationTarget = { readonly email: string } | { readonly https: string } | { readonly topicArn: string };

export interface FailoverGroup {
  readonly name: string;
  readonly dns: DnsRecordSpec;
  /** Absent: the group takes no deploy webhooks. */
  readonly source?: DeploySource;
  readonly primary: Stack;
  readonly twin: Stack;
  readonly databases: readonly Database[];
  readonly failover: {
    /** No automatic failover within this many seconds of the last one (anti-flapping). */
    readonly cooldownSeconds: number;
    /**
     * Once the primary is gone, its last observation (kept fresh by the scheduled
     * CheckReplication) is the only evidence of what the twin misses; older than
     * this, it proves nothing and an unforced failover holds.
     */
    readonly maxObservationAgeSeconds: number;
  };
  /** Absent: `trafficOf` defaults (routing-gate in AWS, record for the local runtime). */
  readonly traffic?: TrafficConfig;
  /** Absent: nobody is subscribed (the alarms still fire). */
  readonly notifications?: readonly NotificationTarget[];
}

/**
 * A group as stored while `clone-stack` has not built its twin yet (`twin` absent). Only
 * the clone-stack workflow loads a group in this shape; every other workflow needs the
 * twin and refuses it with `twinNotClonedMessage`.
 */
export type GroupAwaitingTwin = Omit<FailoverGroup, 'twin'> & { readonly twin?: Stack };

/** What every workflow but clone-stack says about a group without a twin (with the fix). */
export function twinNotClonedMessage(group: string): string {
  return `the twin of ${group} is not cloned yet: run twinstack clone ${group}`;
}

export interface TwinstackConfig {
  readonly version: 1;
  readonly groups: readonly FailoverGroup[];
  /** Groups written without `twin:`: their twin is still to be built by `twinstack clone` (clone-stack only). */
  readonly awaitingClone?: readonly GroupAwaitingTwin[];
}

/** A DNS answer: where the group's name points. */
export interface DnsTarget {
  readonly type: 'A' | 'CNAME';
  readonly value: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** The DNS target that makes the group's name point at `stack`. */
export function dnsTargetOf(stack: Stack): DnsTarget {
  return IPV4.test(stack.endpoint) ? { type: 'A', value: stack.endpoint } : { type: 'CNAME', value: stack.endpoint };
}

export function stackOf(group: FailoverGroup, role: StackRole): Stack {
  return role === 'primary' ? group.primary : group.twin;
}

/** The host of `stack` that runs `database`; the config schema guarantees it exists. */
export function databaseHost(stack: Stack, database: Database): Host {
  const host = stack.hosts.find((h) => h.name === database.host);
  if (!host) throw new Error(`stack ${stack.name} has no host ${database.host} for database ${database.name}`);
  return host;
}
