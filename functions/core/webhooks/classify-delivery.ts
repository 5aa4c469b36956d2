import type { DeploySource, GitProvider } from '../model.ts';

/**
 * What an AUTHENTICATED delivery asks for. Pure: the caller verified the raw body
 * first; only then is it parsed here.
 *
 * Invariants: `push` only for a push to exactly the configured repository
 * (case-insensitive, as the providers treat them) and branch, whose new revision
 * is a 40-hex commit id that is not all zeros; everything else is `ignored` with a
 * reason (tags, deletions, other branches/repositories/events) or `invalid` (not JSON).
 */
export type DeliveryClassification =
  | { readonly kind: 'ping' }
  | {
      readonly kind: 'push';
      readonly repository: string;
      readonly branch: string;
      readonly revision: string;
      /** The branch's revision before this push (absent for a new branch or when the provider omits it). */
      readonly previous?: string;
      readonly pushedAt?: string;
    }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface DeliveryToClassify {
  readonly provider: GitProvider;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The verified body, as text. */
  readonly body: string;
  readonly source: DeploySource;
}

const REVISION = /^[0-9a-f]{40}$/;
const ZERO_REVISION = /^0{40}$/;
const BRANCH_REF = 'refs/heads/';
const TAG_REF = 'refs/tags/';

type Json = Record<string, unknown>;

function object(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
function ignored(reason: string): DeliveryClassification {
  return { kind: 'ignored', reason };
}

/** Short, printable form of a value taken from the payload, for a reason. */
function show(value: string | undefined): string {
  if (value === undefined) return '(none)';
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

/** The same check for every provider once repository, ref and revisions are extracted. */
function classifyPush(
  source: DeploySource,
  repository: string | undefined,
  ref: string | undefined,
  after: string | undefined,
  pushedAt: string | undefined,
  before?: string,
): DeliveryClassification {
  if (repository === undefined || repository.toLowerCase() !== source.repository.toLowerCase()) return ignored(`repository ${show(repository)} is not ${source.repository}`);
  if (ref?.startsWith(TAG_REF)) return ignored('tag push');
  if (ref === undefined || !ref.startsWith(BRANCH_REF)) return ignored(`ref ${show(ref)} is not a branch`);
  const branch = ref.slice(BRANCH_REF.length);
  if (branch !== source.branch) return ignored(`branch ${show(branch)} is not ${source.branch}`);
  if (after !== undefined && ZERO_REVISION.test(after)) return ignored('branch deletion');
  if (after === undefined || !REVISION.test(after)) return ignored(`revision ${show(after)} is not a 40-hex commit id`);
  const previous = before !== undefined && REVISION.test(before) && !ZERO_REVISION.test(before) ? before : undefined;
  return { kind: 'push', repository: source.repository, branch, revision: after, ...(previous !== undefined ? { previous } : {}), ...(pushedAt !== undefined ? { pushedAt } : {}) };
}

function classifyGithub(event: string | undefined, payload: Json, source: DeploySource): DeliveryClassification {
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'push') return ignored(`event ${show(event)} deploys nothing`);
  if (payload['deleted'] === true) return ignored('branch deletion');
  const repository = text(object(payload['repository'])?.['full_name']);
  const pushedAt = text(object(payload['head_commit'])?.['timestamp']);
  return classifyPush(source, repository, text(payload['ref']), text(payload['after']), pushedAt, text(payload['before']));
}

function classifyGitlab(event: string | undefined, payload: Json, source: DeploySource): DeliveryClassification {
  if (event === 'Tag Push Hook') return ignored('tag push');
  if (event !== 'Push Hook' || payload['object_kind'] !== 'push') return ignored(`event ${show(event)} deploys nothing`);
  const repository = text(object(payload['project'])?.['path_with_namespace']);
  const commits = Array.isArray(payload['commits']) ? (payload['commits'] as unknown[]) : [];
  const after = text(payload['after']);
  const head = commits.map(object).find((c) => c?.['id'] === after);
  return classifyPush(source, repository, text(payload['ref']), after, text(head?.['timestamp']), text(payload['before']));
}

function classifyBitbucket(event: string | undefined, payload: Json, source: DeploySource): DeliveryClassification {
  if (event === 'diagnostics:ping') return { kind: 'ping' };
  if (event !== 'repo:push') return ignored(`event ${show(event)} deploys nothing`);
  const repository = text(object(payload['repository'])?.['full_name']);
  if (repository === undefined || repository.toLowerCase() !== source.repository.toLowerCase()) return ignored(`repository ${show(repository)} is not ${source.repository}`);
  const changes = Array.isArray(object(payload['push'])?.['changes']) ? (object(payload['push'])?.['changes'] as unknown[]) : [];
  // The LAST change to the configured branch wins (a push may carry several refs).
  let chosen: DeliveryClassification = ignored(`no change to branch ${source.branch}`);
  for (const change of changes.map(object)) {
    const next = object(change?.['new']);
    const old = object(change?.['old']);
    const target = next ?? old;
    if (target?.['type'] !== 'branch' || text(target['name']) !== source.branch) continue;
    if (next === undefined) {
      chosen = ignored('branch deletion');
      continue;
    }
    const commit = object(next['target']);
    chosen = classifyPush(source, repository, `${BRANCH_REF}${text(next['name']) ?? ''}`, text(commit?.['hash']), text(commit?.['date']), text(object(old?.['target'])?.['hash']));
  }
  if (chosen.kind === 'ignored' && changes.length > 0 && changes.every((c) => object(object(c)?.['new'])?.['type'] === 'tag')) return ignored('tag push');
  return chosen;
}

const EVENT_HEADER: Readonly<Record<GitProvider, string>> = { github: 'x-github-event', gitlab: 'x-gitlab-event', bitbucket: 'x-event-key' };

/** Classify a verified delivery of `provider` against the group's `source`. Never throws. */
export function classifyDelivery(delivery: DeliveryToClassify): DeliveryClassification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(delivery.body);
  } catch {
    return { kind: 'invalid', reason: 'body is not JSON (configure the webhook with content type application/json)' };
  }
  const payload = object(parsed);
  if (payload === undefined) return { kind: 'invalid', reason: 'body is not a JSON object' };
  const event = delivery.headers[EVENT_HEADER[delivery.provider]]?.trim();
  switch (delivery.provider) {
    case 'github':
      return classifyGithub(event, payload, delivery.source);
    case 'gitlab':
      return classifyGitlab(event, payload, delivery.source);
    case 'bitbucket':
      return classifyBitbucket(event, payload, delivery.source);
  }
}
