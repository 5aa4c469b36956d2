import { z } from 'zod';
import { parseByteSize } from '../../functions/core/config/byte-size.ts';
import {
  HOST_KEY_FINGERPRINT,
  HOSTED_ZONE_ID,
  IPV4,
  LOGIN_NAME,
  REGION,
  REPOSITORY,
  SNS_TOPIC_ARN,
  branchNameProblem,
  gitUrlProblem,
  emailProblem,
  healthCheckPathProblem,
  healthUrlProblem,
  notificationUrlProblem,
  relativePathProblem,
  isHostName,
} from '../../functions/core/config/config-patterns.ts';
import {
  absolutePathField,
  addressField,
  byteSizeField,
  checkedString as checkedStringWith,
  identifierField,
  matching as matchingWith,
  portField,
} from '../../functions/core/config/setting-fields.ts';
import type { EnginePlugin } from '../../functions/core/engines/engine-plugin.ts';
import { ENGINE_PLUGINS } from '../../functions/core/engines/engine-registry.ts';
import type { Database, FailoverGroup, GroupAwaitingTwin, TwinstackConfig } from '../../functions/core/model.ts';
import { hintFor } from './config-field-hints.ts';
import { checkConfigCrossFields, checkGroupCrossFields } from './cross-field-checks.ts';
import { DEFAULT_HEALTH_CHECK } from '../../functions/core/traffic.ts';

/**
 * The zod schema of twinstack.yaml. Its output type is exactly `TwinstackConfig`
 * (checked at compile time below); its input side (defaults optional) is what
 * `npm run schema` writes to twinstack.schema.json for editors.
 *
 * Invariants of a parsed config: every identifier, address, port, path and role
 * is in its safe pattern (nothing can inject shell); primary and twin have
 * different names, endpoints and regions (but `local`) and the same host names;
 * every database lives on a host of both stacks; group, host-per-stack and
 * database names are unique, and no two databases publish the same env var.
 * Each database entry is one registered engine's shape (engine-registry.ts): its
 * settings block, default port and lag unit come from the engine's plug-in.
 * Cross-field checks run even when single fields fail, so a parse reports every
 * problem at once.
 */

/**
 * Works with Compose v2 (`docker compose`) and v1 (`docker-compose`, what Debian packages).
 * No `pull`: an image built by the push is on the host already (shipped, or pulled by
 * `up` from the registry when missing).
 */
export const DEFAULT_DEPLOY_COMMAND =
  'if docker compose version >/dev/null 2>&1; then docker compose up -d --remove-orphans; else docker-compose up -d --remove-orphans; fi';

export { showValue } from '../../functions/core/config/setting-fields.ts';

const checkedString = (key: string, problemOf: (value: string) => string | undefined) => checkedStringWith(hintFor(key), problemOf);
const matching = (key: string, pattern: RegExp, what: string) => matchingWith(hintFor(key), pattern, what);
const identifier = (key: string) => identifierField(hintFor(key));
const address = (key: string) => addressField(hintFor(key));
const hostName = (key: string) => checkedString(key, (value) => (isHostName(value) ? undefined : 'is not an RFC 1123 host name'));
const absolutePath = (key: string) => absolutePathField(hintFor(key));
const port = (key: string) => portField(hintFor(key));

const hostSchema = z.strictObject({
  name: identifier('name'),
  address: address('address'),
  sshPort: port('sshPort').default(22),
  user: matching('user', LOGIN_NAME, 'a valid login name (a lower-case letter or "_", then up to 31 of a-z, 0-9, "_", "-")'),
  hostKey: matching('hostKey', HOST_KEY_FINGERPRINT, 'an OpenSSH SHA256 fingerprint (SHA256: followed by 43 base64 characters)'),
});

const deploySchema = z.strictObject({
  directory: absolutePath('directory'),
  command: checkedString('command', (value) =>
    value.trim() === '' ? 'is empty' : /[\r\n\0]/.test(value) ? 'spans more than one line' : value.length > 1000 ? 'is longer than 1000 characters' : undefined,
  ).default(DEFAULT_DEPLOY_COMMAND),
});

const stackSchema = z.strictObject({
  name: identifier('name'),
  region: matching('region', REGION, 'an AWS region such as eu-west-1 (or local)'),
  endpoint: address('endpoint'),
  healthUrl: checkedString('healthUrl', healthUrlProblem),
  hosts: z.array(hostSchema).min(1).describe(hintFor('hosts').expect),
  deploy: deploySchema,
});

/** `replication:` of one engine: `maxLag` in the engine's lag unit (a byte size, or a count). */
function replicationSchema(plugin: EnginePlugin) {
  const maxLag =
    plugin.lagUnit === 'bytes'
      ? byteSizeField(hintFor('maxLag')).prefault(plugin.defaultMaxLag).transform((value) => parseByteSize(value) ?? 0)
      : z.int().min(0).max(1_000_000_000).prefault(Number(plugin.defaultMaxLag)).describe(`a count of ${plugin.lagUnit} (this engine measures lag in ${plugin.lagUnit})`);
  return z
    .strictObject({
      mode: z.enum(['async', 'sync']).default('async').describe(hintFor('mode').expect),
      maxLag,
      sourceAddress: matching('sourceAddress', IPV4, 'an IPv4 address').optional(),
    })
    .prefault({});
}

/** One database entry shape per registered engine, discriminated by `engine`. */
function databaseSchemaOf(plugin: EnginePlugin) {
  return z.strictObject({
    name: identifier('name'),
    engine: z.literal(plugin.name),
    host: identifier('host'),
    port: port('port').default(plugin.defaultPort),
    replication: replicationSchema(plugin),
    [plugin.settingsKey]: plugin.settingsSchema.prefault({}),
  });
}

const engineSchemas = ENGINE_PLUGINS.map((plugin) => databaseSchemaOf(plugin));
type EngineSchema = (typeof engineSchemas)[number];
const databaseSchema = z.discriminatedUnion('engine', engineSchemas as [EngineSchema, ...EngineSchema[]]).describe(hintFor('engine').expect);

/** One `databases[]` entry, validated and with its engine's defaults (tests and the lab build entries this way). */
export function parseDatabaseEntry(raw: unknown): Database {
  return databaseSchema.parse(raw) as unknown as Database;
}

const dnsSchema = z.strictObject({
  zone: hostName('zone'),
  hostedZoneId: matching('hostedZoneId', HOSTED_ZONE_ID, 'a Route 53 hosted zone id (Z followed by upper-case letters and digits)').optional(),
  name: hostName('name').describe(hintFor('dnsName').expect),
  ttl: z.int().min(1).max(86400).default(60).describe(hintFor('ttl').expect),
  acknowledgeLongTtl: z.boolean().optional().describe(hintFor('acknowledgeLongTtl').expect),
});

const IMAGE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*){0,3}$/;

/** Where the group's code comes from: one webhook per group deploys every stack of it. */
const sourceSchema = z
  .strictObject({
    provider: z.enum(['github', 'gitlab', 'bitbucket']).describe(hintFor('provider').expect),
    repository: matching('repository', REPOSITORY, 'a repository path such as owner/name or group/subgroup/project'),
    branch: checkedString('branch', branchNameProblem),
    gitUrl: checkedString('gitUrl', gitUrlProblem),
    hostConcurrency: z.int().min(1).max(50).default(1).describe(hintFor('hostConcurrency').expect),
    image: z
      .strictObject({
        name: matching('imageName', IMAGE_NAME, 'a Docker repository name of lower-case letters, digits, ".", "_", "-" and "/" (no tag)'),
        context: checkedString('imageContext', relativePathProblem).default('.'),
        dockerfile: checkedString('imageDockerfile', relativePathProblem).default('Dockerfile'),
      })
      .optional()
      .describe('the image one push builds once and every host of both stacks runs'),
  })
  .describe(hintFor('source').expect);

/** Route 53 health checks and how the group's name switches (defaults: `trafficOf` in functions/core/traffic.ts). */
const trafficSchema = z
  .strictObject({
    mode: z.enum(['routing-gate', 'record']).optional().describe(hintFor('trafficMode').expect),
    healthCheck: z
      .strictObject({
        intervalSeconds: z.union([z.literal(10), z.literal(30)]).default(DEFAULT_HEALTH_CHECK.intervalSeconds).describe(hintFor('intervalSeconds').expect),
        failureThreshold: z.int().min(1).max(10).default(DEFAULT_HEALTH_CHECK.failureThreshold).describe(hintFor('failureThreshold').expect),
        path: checkedString('path', healthCheckPathProblem).optional(),
        searchString: checkedString('searchString', (value) => (value.length === 0 || value.length > 255 ? 'is not 1 to 255 characters long' : undefined)).optional(),
        sni: z.enum(['group-name', 'none']).optional().describe(hintFor('sni').expect),
      })
      .prefault({}),
  })
  .describe(hintFor('traffic').expect);

/** One notification target, subscribed to the group's alarm topic. */
const notificationSchema = z
  .union([
    z.strictObject({ email: checkedString('email', emailProblem) }),
    z.strictObject({ https: checkedString('https', notificationUrlProblem) }),
    z.strictObject({ topicArn: matching('topicArn', SNS_TOPIC_ARN, 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)') }),
  ])
  .describe(hintFor('notifications').expect);

/** One failover group: a primary stack, its twin, their databases and the DNS name that follows the active one. */
export const failoverGroupSchema = z
  .strictObject({
    name: identifier('name'),
    dns: dnsSchema,
    source: sourceSchema.optional(),
    failover: z
      .strictObject({
        cooldownSeconds: z.int().min(0).max(604800).default(900).describe(hintFor('cooldownSeconds').expect),
        maxObservationAgeSeconds: z.int().min(1).max(86400).default(180).describe(hintFor('maxObservationAgeSeconds').expect),
      })
      .prefault({}),
    traffic: trafficSchema.optional(),
    notifications: z.array(notificationSchema).optional(),
    primary: stackSchema,
    // Absent: the twin is still to be built (`twinstack clone`, the clone-stack workflow); such a
    // group is parsed into `awaitingClone`, never into `groups`, so every other consumer sees a twin.
    twin: stackSchema.optional(),
    // The union is built from the registered plug-ins, so zod cannot type it statically: its
    // output is the model's Database by construction (each plug-in's settingsSchema is a
    // z.ZodType of its settings type, and databaseSchemaOf adds exactly DatabaseCommon).
    databases: z.array(databaseSchema).default([]) as unknown as z.ZodDefault<z.ZodArray<z.ZodType<Database>>>,
  })
  .superRefine(checkGroupCrossFields, { when: () => true });

/** The whole twinstack.yaml; groups without a twin yet go to `awaitingClone`. */
export const twinstackConfigSchema = z
  .strictObject({
    version: z.literal(1),
    groups: z.array(failoverGroupSchema).min(1).describe(hintFor('groups').expect),
  })
  .superRefine(checkConfigCrossFields, { when: () => true })
  .transform((config): TwinstackConfig => {
    const groups = config.groups as unknown as readonly GroupAwaitingTwin[];
    const awaitingClone = groups.filter((g) => g.twin === undefined);
    return { version: config.version, groups: groups.filter((g): g is FailoverGroup => g.twin !== undefined), ...(awaitingClone.length > 0 ? { awaitingClone } : {}) };
  });

// Compile-time proof that the schema's output is exactly the model, both ways.
type DeepReadonly<T> = T extends readonly (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
type Parsed = DeepReadonly<z.output<typeof twinstackConfigSchema>>;
const _outputIsModel: z.ZodType<TwinstackConfig> = twinstackConfigSchema;
const _modelIsOutput = (config: TwinstackConfig): Parsed => config;
const _parsedIsModel = (config: Parsed): TwinstackConfig => config;
