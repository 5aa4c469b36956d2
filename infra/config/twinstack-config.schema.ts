import { z } from 'zod';
import type { TwinstackConfig } from '../../functions/core/model.ts';
import { BYTE_SIZE_EXAMPLES, parseByteSize } from './byte-size.ts';
import { FIELD_HINTS } from './config-field-hints.ts';
import {
  HOST_KEY_FINGERPRINT,
  HOSTED_ZONE_ID,
  IDENTIFIER,
  LOGIN_NAME,
  REGION,
  REPOSITORY,
  SNS_TOPIC_ARN,
  SQL_NAME,
  absolutePathProblem,
  branchNameProblem,
  gitUrlProblem,
  emailProblem,
  healthCheckPathProblem,
  healthUrlProblem,
  notificationUrlProblem,
  isAddress,
  isHostName,
} from './config-patterns.ts';
import { checkConfigCrossFields, checkGroupCrossFields } from './cross-field-checks.ts';
import { DEFAULT_HEALTH_CHECK } from '../../functions/core/traffic.ts';

/**
 * The zod schema of twinstack.yaml. Its output type is exactly `TwinstackConfig`
 * (checked at compile time below); its input side (defaults optional) is what
 * `npm run schema` writes to twinstack.schema.json for editors.
 *
 * Invariants of a parsed config: every identifier, address, port, path and role
 * is in its safe pattern (nothing can inject shell); primary and twin have
 * different names and endpoints and the same host names; every database lives on
 * a host of both stacks; group, host-per-stack and database names are unique.
 * Cross-field checks run even when single fields fail, so a parse reports every
 * problem at once.
 */

export const DEFAULT_DEPLOY_COMMAND = 'docker compose pull && docker compose up -d --remove-orphans';
export const DEFAULT_MAX_LAG = '16MiB';

/** `"value"` for a problem message, shortened so a pasted file cannot flood the report. */
export function showValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function describe(key: string): string {
  return FIELD_HINTS[key]?.expect ?? key;
}

/** A string accepted only when `problemOf` returns undefined; the problem names the value. */
function checkedString(key: string, problemOf: (value: string) => string | undefined) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = problemOf(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${showValue(value)} ${problem}`, input: value });
    })
    .describe(describe(key));
}

/** A string matching `pattern`; the pattern is published in the JSON Schema too. */
function matching(key: string, pattern: RegExp, what: string) {
  return checkedString(key, (value) => (pattern.test(value) ? undefined : `is not ${what}`)).meta({ pattern: pattern.source });
}

const identifier = (key: string) => matching(key, IDENTIFIER, 'a valid name (a lower-case letter, then up to 62 of a-z, 0-9, "_", "-")');
const sqlName = (key: string) => matching(key, SQL_NAME, 'a valid PostgreSQL name (a lower-case letter or "_", then up to 62 of a-z, 0-9, "_")');
const address = (key: string) => checkedString(key, (value) => (isAddress(value) ? undefined : 'is not an IPv4 address or an RFC 1123 host name'));
const hostName = (key: string) => checkedString(key, (value) => (isHostName(value) ? undefined : 'is not an RFC 1123 host name'));
const absolutePath = (key: string) => checkedString(key, absolutePathProblem);
const port = (key: string) => z.int().min(1).max(65535).describe(describe(key));

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
  hosts: z.array(hostSchema).min(1).describe(describe('hosts')),
  deploy: deploySchema,
});

const byteSizeSchema = z
  .union([z.number(), z.string()])
  .superRefine((value, ctx) => {
    if (parseByteSize(value) === undefined) {
      ctx.addIssue({ code: 'custom', message: `${showValue(value)} is not a size in bytes (use ${BYTE_SIZE_EXAMPLES})`, input: value });
    }
  })
  .describe(describe('maxLag'));

const replicationSchema = z
  .strictObject({
    mode: z.enum(['async', 'sync']).default('async'),
    maxLag: byteSizeSchema.prefault(DEFAULT_MAX_LAG),
  })
  .prefault({})
  .transform(({ mode, maxLag }) => ({ mode, maxLagBytes: parseByteSize(maxLag) ?? 0 }));

const postgresSchema = z
  .strictObject({
    dataDir: absolutePath('dataDir').default('/var/lib/postgresql/15/main'),
    binDir: absolutePath('binDir').default('/usr/lib/postgresql/15/bin'),
    socketDir: absolutePath('socketDir').default('/var/run/postgresql'),
    superuser: sqlName('superuser').default('postgres'),
    database: sqlName('database').default('app'),
    appUser: sqlName('appUser').default('app'),
    replicationUser: sqlName('replicationUser').default('twinstack_replicator'),
    listenOn: z.enum(['all', 'host-address']).default('all'),
  })
  .prefault({});

const databaseSchema = z.strictObject({
  name: identifier('name'),
  engine: z.literal('postgres'),
  host: identifier('host'),
  port: port('port').default(5432),
  replication: replicationSchema,
  postgres: postgresSchema,
});

const dnsSchema = z.strictObject({
  zone: hostName('zone'),
  hostedZoneId: matching('hostedZoneId', HOSTED_ZONE_ID, 'a Route 53 hosted zone id (Z followed by upper-case letters and digits)').optional(),
  name: hostName('name').describe(describe('dnsName')),
  ttl: z.int().min(1).max(86400).default(60).describe(describe('ttl')),
});

/** Where the group's code comes from: one webhook per group deploys every stack of it. */
const sourceSchema = z
  .strictObject({
    provider: z.enum(['github', 'gitlab', 'bitbucket']).describe(describe('provider')),
    repository: matching('repository', REPOSITORY, 'a repository path such as owner/name or group/subgroup/project'),
    branch: checkedString('branch', branchNameProblem),
    gitUrl: checkedString('gitUrl', gitUrlProblem),
    hostConcurrency: z.int().min(1).max(50).default(1).describe(describe('hostConcurrency')),
  })
  .describe(describe('source'));

/** Route 53 health checks and how the group's name switches (defaults: `trafficOf` in functions/core/traffic.ts). */
const trafficSchema = z
  .strictObject({
    mode: z.enum(['routing-gate', 'record']).optional().describe(describe('trafficMode')),
    healthCheck: z
      .strictObject({
        intervalSeconds: z.union([z.literal(10), z.literal(30)]).default(DEFAULT_HEALTH_CHECK.intervalSeconds).describe(describe('intervalSeconds')),
        failureThreshold: z.int().min(1).max(10).default(DEFAULT_HEALTH_CHECK.failureThreshold).describe(describe('failureThreshold')),
        path: checkedString('path', healthCheckPathProblem).optional(),
        searchString: checkedString('searchString', (value) => (value.length === 0 || value.length > 255 ? 'is not 1 to 255 characters long' : undefined)).optional(),
        sni: z.enum(['group-name', 'none']).optional().describe(describe('sni')),
      })
      .prefault({}),
  })
  .describe(describe('traffic'));

/** One notification target, subscribed to the group's alarm topic. */
const notificationSchema = z
  .union([
    z.strictObject({ email: checkedString('email', emailProblem) }),
    z.strictObject({ https: checkedString('https', notificationUrlProblem) }),
    z.strictObject({ topicArn: matching('topicArn', SNS_TOPIC_ARN, 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)') }),
  ])
  .describe(describe('notifications'));

/** One failover group: a primary stack, its twin, their databases and the DNS name that follows the active one. */
export const failoverGroupSchema = z
  .strictObject({
    name: identifier('name'),
    dns: dnsSchema,
    source: sourceSchema.optional(),
    failover: z
      .strictObject({
        cooldownSeconds: z.int().min(0).max(604800).default(900).describe(describe('cooldownSeconds')),
        maxObservationAgeSeconds: z.int().min(1).max(86400).default(180).describe(describe('maxObservationAgeSeconds')),
      })
      .prefault({}),
    traffic: trafficSchema.optional(),
    notifications: z.array(notificationSchema).optional(),
    primary: stackSchema,
    twin: stackSchema,
    databases: z.array(databaseSchema).default([]),
  })
  .superRefine(checkGroupCrossFields, { when: () => true });

/** The whole twinstack.yaml. */
export const twinstackConfigSchema = z
  .strictObject({
    version: z.literal(1),
    groups: z.array(failoverGroupSchema).min(1).describe(describe('groups')),
  })
  .superRefine(checkConfigCrossFields, { when: () => true });

// Compile-time proof that the schema's output is exactly the model, both ways.
type DeepReadonly<T> = T extends readonly (infer E)[] ? readonly DeepReadonly<E>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
type Parsed = DeepReadonly<z.output<typeof twinstackConfigSchema>>;
const _outputIsModel: z.ZodType<TwinstackConfig> = twinstackConfigSchema;
const _modelIsOutput = (config: TwinstackConfig): Parsed => config;
const _parsedIsModel = (config: Parsed): TwinstackConfig => config;
