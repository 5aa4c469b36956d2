/**
 * ReceiveWebhook: `POST /hooks/{group}` from GitHub, GitLab or Bitbucket (API Gateway
 * HTTP API v2 event). Answers within a few hundred ms: the deploy itself runs in the
 * `deploy` workflow.
 *
 * Order (each step only after the previous passed): body size (413) → group named in
 * `knownGroups` when given (404, before any Parameter Store read) → group and its
 * `source` (404; a parameter the role may not read is an unknown group too) → verification of the RAW body with the configured provider (401/400)
 * → classification (ping 200, ignored 202) → start `deploy` under a name derived
 * from group + revision (202; a duplicate delivery starts nothing and gets 202 too).
 * Every rejection is logged with its delivery id, never with a secret, signature or body.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { systemClock } from '../adapters/system.clock.ts';
import { InvalidInputError } from '../core/errors.ts';
import type { FailoverGroup } from '../core/model.ts';
import { parameterNames } from '../core/parameter-names.ts';
import type { Clock, ParameterStore, WorkflowStarter } from '../core/ports.ts';
import { classifyDelivery } from '../core/webhooks/classify-delivery.ts';
import { decideDelivery, respondToStart, type WebhookResponse } from '../core/webhooks/decide-delivery.ts';
import { deployExecutionName } from '../core/webhooks/deploy-execution-name.ts';
import { DELIVERY_ID_HEADERS, verifyDelivery } from '../core/webhooks/verify-delivery.ts';
import { deliveryIdFrom } from '../core/webhooks/webhook-verification.ts';
import { loadGroup as loadGroupFromParams } from './stores/load-group.ts';
import { DEFAULT_MAX_BODY_BYTES, groupOf, lowerCaseHeaders, readRawBody } from './webhook/read-api-request.ts';
import { WebhookGroupCache, parseWebhookSecrets, type WebhookTarget } from './webhook/webhook-group-cache.ts';
import type { WebhookLogger } from './webhook/webhook-logger.ts';

export const DEPLOY_WORKFLOW = 'deploy';
export const DEFAULT_CACHE_TTL_MS = 30_000;
/** How long a refused (AccessDenied) load is remembered, and the least interval between two error logs of one group. */
export const DEFAULT_FAILURE_TTL_MS = 10_000;

export interface ReceiveWebhookDeps {
  readonly params: ParameterStore;
  readonly starter: WorkflowStarter;
  readonly logger: WebhookLogger;
  /** @default `loadGroup` of deps/load-group.ts (InvalidInputError = unknown group) */
  readonly loadGroup?: (params: ParameterStore, name: string) => Promise<FailoverGroup>;
  /** @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** How long a group's config and secrets are reused. @default 30 s */
  readonly cacheTtlMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
  /**
   * The groups this endpoint serves (those with a `source`). When given, any other
   * group is answered 404 before the Parameter Store is touched. @default every group
   */
  readonly knownGroups?: readonly string[];
  /** See DEFAULT_FAILURE_TTL_MS. @default 10 s */
  readonly failureTtlMs?: number;
}

/** What the deploy workflow is started with. No secret in it (it is visible in the execution history). */
export interface DeployWorkflowInput {
  readonly group: string;
  readonly revision: string;
  readonly branch: string;
  readonly deliveryId: string | null;
  readonly receivedAt: string;
}

function toResult(response: WebhookResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(response.body),
  };
}

export function createHandler(deps: ReceiveWebhookDeps) {
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const clock = deps.clock ?? systemClock;
  const load = deps.loadGroup ?? loadGroupFromParams;
  // One cache per handler instance; the AWS entry builds one instance per Lambda container.
  const cache = new WebhookGroupCache(deps.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS, undefined, deps.failureTtlMs ?? DEFAULT_FAILURE_TTL_MS);
  const known = deps.knownGroups === undefined ? undefined : new Set(deps.knownGroups);
  const failureLog = new FailureLogLimiter(deps.failureTtlMs ?? DEFAULT_FAILURE_TTL_MS);

  async function targetOf(name: string): Promise<WebhookTarget> {
    let group: FailoverGroup;
    try {
      group = await load(deps.params, name);
    } catch (error) {
      if (error instanceof InvalidInputError) return { kind: 'unknown' };
      if (isAccessDenied(error)) return { kind: 'denied' };
      throw error;
    }
    if (group.source === undefined) return { kind: 'no-source' };
    let raw: string | undefined;
    try {
      raw = await deps.params.get(parameterNames.webhookSecrets(group.name));
    } catch (error) {
      if (isAccessDenied(error)) return { kind: 'denied' };
      throw error;
    }
    return { kind: 'found', group, source: group.source, secrets: parseWebhookSecrets(raw) };
  }

  function reject(status: number, message: string, context: Record<string, unknown>): APIGatewayProxyStructuredResultV2 {
    deps.logger.warn('webhook rejected', { status, reason: message, ...context });
    const deliveryId = context['deliveryId'];
    return toResult({ status, body: typeof deliveryId === 'string' ? { message, deliveryId } : { message } });
  }

  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const receivedAt = clock.now();
    const headers = lowerCaseHeaders(event.headers);
    const group = groupOf(event);
    // Before verification the delivery id is only a claim, but it is what the provider's UI shows: log it.
    const claimedDeliveryId = deliveryIdFrom(headers, DELIVERY_ID_HEADERS);
    const context: Record<string, unknown> = { group: group?.slice(0, 63), deliveryId: claimedDeliveryId };

    const body = readRawBody(event, maxBodyBytes);
    if (!body.ok) return reject(413, `body larger than ${maxBodyBytes} bytes`, { ...context, size: body.size });
    if (group === undefined) return reject(404, 'unknown group', context);
    if (known !== undefined && !known.has(group)) return reject(404, 'unknown group', context);

    let target: WebhookTarget;
    try {
      target = await cache.get(group, receivedAt.getTime(), () => targetOf(group));
    } catch (error) {
      // A failing Parameter Store is logged once per group and interval, not once per delivery.
      const suppressed = failureLog.admit(group, receivedAt.getTime());
      if (suppressed !== undefined) {
        deps.logger.error('webhook: cannot load group', { ...context, suppressed, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
      return toResult({ status: 503, body: { message: 'temporarily unavailable' } });
    }
    if (target.kind === 'unknown' || target.kind === 'denied') return reject(404, 'unknown group', context);
    if (target.kind === 'no-source') return reject(404, 'group takes no deploy webhooks', context);
    if (target.secrets.length === 0) deps.logger.error('webhook: group has no active secret', { ...context, parameter: parameterNames.webhookSecrets(group) });

    const verification = await verifyDelivery(target.source.provider, { headers, rawBody: body.bytes, secrets: target.secrets });
    const classification = verification.ok
      ? classifyDelivery({ provider: target.source.provider, headers, body: body.bytes.toString('utf8'), source: target.source })
      : undefined;
    const decision = decideDelivery(verification, classification);
    const deliveryId = verification.deliveryId;
    if (decision.action === 'respond') {
      if (decision.rejected) return reject(decision.response.status, decision.response.body.message, { ...context, deliveryId });
      deps.logger.info('webhook answered', { ...context, deliveryId, status: decision.response.status, reason: decision.response.body.message });
      return toResult(decision.response);
    }

    const input: DeployWorkflowInput = { group, revision: decision.revision, branch: decision.branch, deliveryId: deliveryId ?? null, receivedAt: receivedAt.toISOString() };
    const executionName = deployExecutionName(group, decision.revision, decision.previous);
    try {
      const outcome = await deps.starter.start(DEPLOY_WORKFLOW, executionName, input);
      deps.logger.info(outcome.started ? 'deploy started' : 'duplicate delivery', { ...context, deliveryId, revision: decision.revision, executionId: outcome.executionId });
      return toResult(respondToStart(outcome, deliveryId));
    } catch (error) {
      deps.logger.error('webhook: cannot start deploy', { ...context, deliveryId, revision: decision.revision, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      return toResult({ status: 503, body: deliveryId === undefined ? { message: 'deploy could not be started' } : { message: 'deploy could not be started', deliveryId } });
    }
  };
}

/** True when `error` (or a cause of it) is an AWS AccessDenied: the role may not read that group's parameters. */
export function isAccessDenied(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current.name === 'AccessDeniedException' || current.name === 'AccessDenied') return true;
  }
  return false;
}

/**
 * Admits one log line per key and interval: `admit` answers how many were suppressed
 * since the last admitted one, or undefined while the interval runs. Bounded in size.
 */
export class FailureLogLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 256,
  ) {}

  admit(key: string, nowMs: number): number | undefined {
    const seen = this.last.get(key);
    if (seen && nowMs - seen.at < this.intervalMs) {
      seen.suppressed += 1;
      return undefined;
    }
    this.last.delete(key);
    if (this.last.size >= this.maxKeys) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
    }
    this.last.set(key, { at: nowMs, suppressed: 0 });
    return seen?.suppressed ?? 0;
  }
}

/** AWS Lambda entry: SSM and Step Functions clients built once, on the first invocation. */
export const handler = (() => {
  let handle: ((event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>) | undefined;
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    if (!handle) {
      const { awsWebhookDeps } = await import('./webhook/aws.webhook-deps.ts');
      handle = createHandler(awsWebhookDeps());
    }
    return handle(event);
  };
})();
