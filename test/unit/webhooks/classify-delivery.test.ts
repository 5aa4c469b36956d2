import { describe, expect, it } from 'vitest';
import { classifyDelivery, type DeliveryClassification } from '../../../functions/core/webhooks/classify-delivery.ts';
import { decideDelivery, respondToStart } from '../../../functions/core/webhooks/decide-delivery.ts';
import { deployExecutionName, EXECUTION_NAME } from '../../../functions/core/webhooks/deploy-execution-name.ts';
import type { GitProvider } from '../../../functions/core/model.ts';
import { bitbucketPush, githubPush, gitlabPush, REVISION, SOURCES, ZERO } from './webhook-fixtures.ts';

const EVENT_HEADER: Record<GitProvider, string> = { github: 'x-github-event', gitlab: 'x-gitlab-event', bitbucket: 'x-event-key' };

function classify(provider: GitProvider, event: string, payload: unknown): DeliveryClassification {
  return classifyDelivery({ provider, headers: { [EVENT_HEADER[provider]]: event }, body: JSON.stringify(payload), source: SOURCES[provider] });
}

describe('classifyDelivery', () => {
  it.each<[string, GitProvider, string, unknown, DeliveryClassification]>([
    ['a GitHub push to the branch', 'github', 'push', githubPush(), { kind: 'push', repository: 'acme/shop', branch: 'main', revision: REVISION, previous: 'f'.repeat(40), pushedAt: '2025-01-02T03:04:05Z' }],
    ['a GitHub push, repository in another case', 'github', 'push', githubPush({ repository: { full_name: 'ACME/Shop' } }), { kind: 'push', repository: 'acme/shop', branch: 'main', revision: REVISION, previous: 'f'.repeat(40), pushedAt: '2025-01-02T03:04:05Z' }],
    ['a GitLab push to the branch', 'gitlab', 'Push Hook', gitlabPush(), { kind: 'push', repository: 'acme/web/shop', branch: 'main', revision: REVISION, pushedAt: '2025-01-02T03:04:05+00:00' }],
    ['a Bitbucket push to the branch', 'bitbucket', 'repo:push', bitbucketPush(), { kind: 'push', repository: 'acme/shop', branch: 'main', revision: REVISION, pushedAt: '2025-01-02T03:04:05+00:00' }],
    ['a GitHub ping', 'github', 'ping', { zen: 'Design for failure.', hook_id: 1 }, { kind: 'ping' }],
    ['a Bitbucket diagnostics ping', 'bitbucket', 'diagnostics:ping', {}, { kind: 'ping' }],
  ])('classifies %s', (_, provider, event, payload, expected) => {
    expect(classify(provider, event, payload)).toEqual(expected);
  });

  it.each<[string, GitProvider, string, unknown, RegExp]>([
    ['GitHub: another event', 'github', 'issues', { action: 'opened' }, /event "?issues"? deploys nothing|event issues deploys nothing/],
    ['GitHub: a non-deploy branch', 'github', 'push', githubPush({ ref: 'refs/heads/feature/x' }), /branch feature\/x is not main/],
    ['GitHub: an unknown repository', 'github', 'push', githubPush({ repository: { full_name: 'evil/shop' } }), /repository evil\/shop is not acme\/shop/],
    ['GitHub: a missing repository', 'github', 'push', githubPush({ repository: undefined }), /repository \(none\)/],
    ['GitHub: a branch deletion (deleted flag)', 'github', 'push', githubPush({ deleted: true, after: ZERO }), /branch deletion/],
    ['GitHub: a branch deletion (zero revision)', 'github', 'push', githubPush({ after: ZERO }), /branch deletion/],
    ['GitHub: a tag push', 'github', 'push', githubPush({ ref: 'refs/tags/v1.0' }), /tag push/],
    ['GitHub: a malformed revision', 'github', 'push', githubPush({ after: 'HEAD; reboot' }), /not a 40-hex commit id/],
    ['GitHub: a branch named like the config but a prefix', 'github', 'push', githubPush({ ref: 'refs/heads/main2' }), /branch main2 is not main/],
    ['GitLab: a tag push', 'gitlab', 'Tag Push Hook', gitlabPush({ ref: 'refs/tags/v1' }), /tag push/],
    ['GitLab: a merge request', 'gitlab', 'Merge Request Hook', { object_kind: 'merge_request' }, /deploys nothing/],
    ['GitLab: a branch deletion', 'gitlab', 'Push Hook', gitlabPush({ after: ZERO }), /branch deletion/],
    ['GitLab: another project', 'gitlab', 'Push Hook', gitlabPush({ project: { path_with_namespace: 'acme/other' } }), /repository acme\/other/],
    ['Bitbucket: a branch deletion', 'bitbucket', 'repo:push', bitbucketPush({ new: null, old: { type: 'branch', name: 'main', target: { hash: REVISION } }, closed: true }), /branch deletion/],
    ['Bitbucket: another branch', 'bitbucket', 'repo:push', bitbucketPush({ new: { type: 'branch', name: 'dev', target: { hash: REVISION } } }), /no change to branch main/],
    ['Bitbucket: a tag', 'bitbucket', 'repo:push', bitbucketPush({ new: { type: 'tag', name: 'v1', target: { hash: REVISION } } }), /tag push/],
    ['Bitbucket: another repository', 'bitbucket', 'repo:push', bitbucketPush(undefined, 'evil/shop'), /repository evil\/shop/],
    ['Bitbucket: a pull request', 'bitbucket', 'pullrequest:created', {}, /deploys nothing/],
  ])('ignores %s, with the reason', (_, provider, event, payload, reason) => {
    // Act
    const result = classify(provider, event, payload);

    // Assess
    expect(result.kind).toBe('ignored');
    expect(result.kind === 'ignored' ? result.reason : '').toMatch(reason);
  });

  it.each([
    ['not JSON', 'payload=%7B%7D'],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
  ])('calls a body that is %s invalid', (_, body) => {
    expect(classifyDelivery({ provider: 'github', headers: { 'x-github-event': 'push' }, body, source: SOURCES.github }).kind).toBe('invalid');
  });

  it('keeps control characters and long values out of reasons', () => {
    // Act
    const result = classify('github', 'push', githubPush({ ref: `refs/heads/${'x'.repeat(200)}\u001b[31m` }));

    // Assess
    const reason = result.kind === 'ignored' ? result.reason : '';
    expect(reason.length).toBeLessThan(120);
    expect([...reason].every((c) => c.charCodeAt(0) >= 0x20)).toBe(true);
  });
});

describe('decideDelivery', () => {
  const ok = { ok: true as const, deliveryId: 'd-1' };

  it.each([
    ['a refused verification', { ok: false as const, status: 401 as const, reason: 'signature does not match', deliveryId: 'd-1' }, undefined, 401, true],
    ['an invalid body', ok, { kind: 'invalid' as const, reason: 'body is not JSON' }, 400, true],
    ['a ping', ok, { kind: 'ping' as const }, 200, false],
    ['an ignored event', ok, { kind: 'ignored' as const, reason: 'tag push' }, 202, false],
  ])('answers %s without starting anything', (_, verification, classification, status, rejected) => {
    // Act
    const decision = decideDelivery(verification, classification);

    // Assess
    expect(decision).toMatchObject({ action: 'respond', rejected, response: { status, body: { deliveryId: 'd-1' } } });
  });

  it('starts a deploy for a push', () => {
    // Act
    const decision = decideDelivery(ok, { kind: 'push', repository: 'acme/shop', branch: 'main', revision: REVISION });

    // Assess
    expect(decision).toEqual({ action: 'start-deploy', revision: REVISION, branch: 'main', deliveryId: 'd-1' });
  });

  it.each([
    [true, /deploy started/],
    [false, /duplicate delivery/],
  ])('answers 202 once the start is known (started: %s)', (started, message) => {
    // Act
    const response = respondToStart({ started, executionId: 'arn:x' }, 'd-1');

    // Assess
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ message: expect.stringMatching(message) as unknown, executionId: 'arn:x', deliveryId: 'd-1' });
  });
});

describe('deployExecutionName', () => {
  it.each([
    ['shop', `shop-${REVISION}`],
    ['a'.repeat(39), `${'a'.repeat(39)}-${REVISION}`],
  ])('is <group>-<revision> when that fits (%s)', (group, expected) => {
    expect(deployExecutionName(group, REVISION)).toBe(expected);
  });

  it('stays a valid, distinct name of at most 80 characters for long group names', () => {
    // Prepare
    const long1 = `a${'b'.repeat(61)}1`;
    const long2 = `a${'b'.repeat(61)}2`;

    // Act
    const names = [deployExecutionName(long1, REVISION), deployExecutionName(long2, REVISION), deployExecutionName(long1, REVISION.replace('0', 'f'))];

    // Assess
    for (const name of names) expect(name).toMatch(EXECUTION_NAME);
    expect(new Set(names).size).toBe(3);
    expect(deployExecutionName(long1, REVISION)).toBe(names[0]);
  });

  it('names a revert (A → B → A) differently from the first push of A, so it deploys again', () => {
    // Prepare
    const a = REVISION;
    const b = REVISION.replace(/0/g, 'b');
    const x = REVISION.replace(/0/g, 'c');

    // Act
    const pushes = [deployExecutionName('shop', a, x), deployExecutionName('shop', b, a), deployExecutionName('shop', a, b), deployExecutionName(`a${'b'.repeat(62)}`, a, b)];

    // Assess
    expect(new Set(pushes).size).toBe(4);
    for (const name of pushes) expect(name).toMatch(EXECUTION_NAME);
    expect(deployExecutionName('shop', a, b)).toBe(pushes[2]);
  });
});
