/**
 * `twinstack serve --config FILE --listen 127.0.0.1:8787 --state-dir DIR`: the deploy
 * webhook endpoint of the local runtime. The same ReceiveWebhook handler as in AWS,
 * behind a loopback-only node http server; a push runs the `deploy` workflow in this
 * process (InProcessWorkflowStarter → runWorkflow), so a signed curl deploys both
 * local stacks.
 *
 * State lives in DIR like the drill's: parameters.json (groups' config, webhook
 * secrets, deploy state; mode 0600) and zone.json. A group with a `source` and no
 * webhook secret gets a generated one, stored (never printed) at
 * /twinstack/<group>/webhook/secrets.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { FileParameterStore } from '../../../functions/adapters/local/file.parameter-store.ts';
import { InProcessWorkflowStarter, type InProcessExecution } from '../../../functions/adapters/local/in-process.workflow-starter.ts';
import type { TwinstackConfig } from '../../../functions/core/model.ts';
import { parameterNames } from '../../../functions/core/parameter-names.ts';
import type { ParameterStore } from '../../../functions/core/ports.ts';
import { createHandler } from '../../../functions/handlers/receive-webhook.handler.ts';
import { DEFAULT_MAX_BODY_BYTES } from '../../../functions/handlers/webhook/read-api-request.ts';
import { readBodyCapped, toApiEvent } from '../../../functions/handlers/webhook/node-http-event.ts';
import type { WebhookLogger } from '../../../functions/handlers/webhook/webhook-logger.ts';
import { ConfigValidationError, formatConfigIssues, loadConfig } from '../../config/load-config.ts';
import { STATEMACHINES_DIR } from '../../local/runtime/load-asl.ts';
import { EXIT, type CliIo } from '../cli-io.ts';
import { deliveryIdFrom } from '../../../functions/core/webhooks/webhook-verification.ts';

/** Where GitHub, GitLab and Bitbucket put their delivery ids. */
const DELIVERY_ID_HEADERS = ['x-github-delivery', 'idempotency-key', 'x-gitlab-webhook-uuid', 'x-gitlab-event-uuid', 'x-request-uuid'] as const;

export const DEFAULT_LISTEN = '127.0.0.1:8787';
const DEFAULT_DNS_SERVER = '127.0.3.1:10053';

/** `host:port` on loopback (127.0.0.0/8) only; the error message says why otherwise. */
export function parseLoopbackAddress(value: string, what = '--listen'): { address: string; port: number } {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(value.trim());
  if (!match) throw new Error(`${what} ${JSON.stringify(value)} is not host:port with an IPv4 host (e.g. ${DEFAULT_LISTEN})`);
  const address = match[1] ?? '';
  const port = Number(match[2]);
  const octets = address.split('.').map(Number);
  if (octets.some((o) => o > 255)) throw new Error(`${what} ${JSON.stringify(value)}: ${address} is not an IPv4 address`);
  if (octets[0] !== 127) throw new Error(`${what} ${JSON.stringify(value)}: ${address} is not a loopback address (127.0.0.0/8); the local server never listens elsewhere`);
  if (port > 65535) throw new Error(`${what} ${JSON.stringify(value)}: port ${port} is out of range`);
  return { address, port };
}

/** True when statemachines/<workflow>.asl.json exists. */
export function workflowAvailable(workflow: string): boolean {
  return existsSync(join(STATEMACHINES_DIR, `${workflow}.asl.json`));
}

export interface WebhookServerOptions {
  readonly config: TwinstackConfig;
  readonly listen: { readonly address: string; readonly port: number };
  readonly stateDir: string;
  readonly dnsServer?: { readonly address: string; readonly port: number };
  readonly maxBodyBytes?: number;
  readonly logger: WebhookLogger;
  /** Runs a started workflow; default: the local runtime's runWorkflow with the state dir's deps. */
  readonly runWorkflow?: (workflow: string, input: unknown, executionName: string) => Promise<unknown>;
  readonly onSettled?: (execution: InProcessExecution) => void;
}

export interface WebhookServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly starter: InProcessWorkflowStarter;
  readonly params: ParameterStore;
  close(): Promise<void>;
}

/** Publish every group's config; give each group with a source a webhook secret if it has none. Returns the groups that got one. */
export async function provisionWebhooks(params: ParameterStore, config: TwinstackConfig): Promise<string[]> {
  const created: string[] = [];
  // A group still awaiting its twin is stored too: `twinstack clone <group> --local` builds it.
  for (const group of config.awaitingClone ?? []) await params.put(parameterNames.config(group.name), JSON.stringify(group));
  for (const group of config.groups) {
    await params.put(parameterNames.config(group.name), JSON.stringify(group));
    if (group.source === undefined) continue;
    if ((await params.get(parameterNames.webhookSecrets(group.name))) === undefined) {
      await params.put(parameterNames.webhookSecrets(group.name), JSON.stringify([randomBytes(32).toString('base64url')]), { secret: true });
      created.push(group.name);
    }
  }
  return created;
}

/** Start the loopback webhook server; resolves once it listens. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  parseLoopbackAddress(`${options.listen.address}:${options.listen.port}`);
  mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
  const parameterFile = join(options.stateDir, 'parameters.json');
  const params = new FileParameterStore(parameterFile);
  await provisionWebhooks(params, options.config);

  const run =
    options.runWorkflow ??
    (async (workflow: string, input: unknown, executionName: string) => {
      if (workflow !== 'deploy' || !workflowAvailable('deploy')) throw new Error(`${workflow} workflow not available`);
      // Loaded on first use: `twinstack validate` must not pay for ssh2 and the ASL runner.
      const [{ runWorkflow }, { createLocalStepDeps }] = await Promise.all([import('../../local/runtime/run-workflow.ts'), import('../../local/runtime/local-step-deps.ts')]);
      const deps = createLocalStepDeps({ parameterFile, zoneFile: join(options.stateDir, 'zone.json'), dnsServer: options.dnsServer ?? parseLoopbackAddress(DEFAULT_DNS_SERVER) });
      const result = await runWorkflow({ workflow: 'deploy', input, deps, executionName, record: { stateDir: options.stateDir } });
      if (result.status !== 'SUCCEEDED') throw new Error(`${result.error ?? 'Error'}: ${result.cause ?? ''}`);
      return result.output;
    });
  const starter = new InProcessWorkflowStarter(run, options.onSettled);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const handle = createHandler({ params, starter, logger: options.logger, maxBodyBytes });

  const server: Server = createServer((request, response) => {
    const answer = (status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
      response.writeHead(status, headers);
      response.end(body);
    };
    void (async () => {
      const receivedAt = new Date();
      if (request.method !== 'POST' || !/^\/hooks\/[^/]+\/?$/.test(new URL(request.url ?? '/', 'http://localhost').pathname)) {
        answer(404, JSON.stringify({ message: 'only POST /hooks/{group}' }));
        return;
      }
      const body = await readBodyCapped(request, maxBodyBytes);
      if (!body.ok) {
        // Any provider's delivery-id header (the group's provider is not known yet): rejections are logged with it.
        const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v[0] : v]));
        const deliveryId = deliveryIdFrom(headers, DELIVERY_ID_HEADERS);
        options.logger.warn('webhook rejected', { status: 413, reason: `body larger than ${maxBodyBytes} bytes`, size: body.size, deliveryId });
        answer(413, JSON.stringify({ message: `body larger than ${maxBodyBytes} bytes` }), { 'content-type': 'application/json', connection: 'close' });
        request.destroy();
        return;
      }
      const result = await handle(toApiEvent(request, body.bytes, receivedAt));
      answer(result.statusCode ?? 200, result.body ?? '', (result.headers as Record<string, string> | undefined) ?? {});
    })().catch((error: unknown) => {
      options.logger.error('webhook server fault', { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      if (!response.headersSent) answer(500, JSON.stringify({ message: 'internal error' }));
      else response.destroy();
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listen.port, options.listen.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.listen.address}:${port}`,
    starter,
    params,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A WebhookLogger writing one line per event: `message key=value …` (values JSON). */
export function cliLogger(io: CliIo): WebhookLogger {
  const line = (level: string, message: string, attributes: Record<string, unknown>) =>
    `${new Date().toISOString()} ${level} ${message}${Object.entries(attributes).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('')}`;
  return {
    info: (m, a) => io.out(line('INFO', m, a)),
    warn: (m, a) => io.err(line('WARN', m, a)),
    error: (m, a) => io.err(line('ERROR', m, a)),
  };
}

export interface ServeOptions {
  readonly config: string;
  readonly listen: string;
  readonly stateDir: string;
  readonly dns: string;
}

/** Runs the server until `stop` resolves (SIGINT/SIGTERM in the CLI); returns the exit code. */
export async function runServe(options: ServeOptions, io: CliIo, stop: Promise<void>): Promise<number> {
  let config: TwinstackConfig;
  let listen: { address: string; port: number };
  let dnsServer: { address: string; port: number };
  try {
    config = loadConfig(options.config);
    listen = parseLoopbackAddress(options.listen);
    dnsServer = parseLoopbackAddress(options.dns, '--dns');
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      io.err(`${options.config}: ${error.issues.length} problem(s)`);
      io.err(formatConfigIssues(error.issues, options.config));
    } else io.err(error instanceof Error ? error.message : String(error));
    return EXIT.invalidInput;
  }
  const webhookGroups = config.groups.filter((g) => g.source !== undefined);
  if (webhookGroups.length === 0) {
    io.err(`${options.config}: no group has a \`source\` block: there is no webhook to serve`);
    return EXIT.invalidInput;
  }
  if (!workflowAvailable('deploy')) io.err('warning: deploy workflow not available (statemachines/deploy.asl.json): pushes will be answered 202 but fail to run');
  const logger = cliLogger(io);
  const server = await startWebhookServer({
    config,
    listen,
    stateDir: options.stateDir,
    dnsServer,
    logger,
    onSettled: (e) => {
      if (e.status === 'SUCCEEDED') logger.info('deploy succeeded', { execution: e.name });
      else logger.error(`deploy ${e.status.toLowerCase()}`, { execution: e.name, error: e.error });
    },
  });
  for (const group of webhookGroups) {
    io.out(`${group.name}: POST ${server.url}/hooks/${group.name} (${group.source?.provider}; secret at ${parameterNames.webhookSecrets(group.name)} in ${join(options.stateDir, 'parameters.json')})`);
  }
  await stop;
  await server.close();
  await server.starter.idle();
  return EXIT.ok;
}

export function registerServeCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('serve')
    .description('serve the deploy webhook on a loopback address; pushes deploy the local stacks')
    .requiredOption('--config <file>', 'twinstack.yaml')
    .option('--listen <host:port>', 'loopback address to listen on (127.0.0.0/8 only)', DEFAULT_LISTEN)
    .option('--state-dir <dir>', 'local runtime state (parameters.json, zone.json)', '.twinstack/state')
    .option('--dns <host:port>', 'local DNS server of the runtime', DEFAULT_DNS_SERVER)
    .action(async (options: ServeOptions) => {
      const stop = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      setExitCode(await runServe(options, io, stop));
    });
}
