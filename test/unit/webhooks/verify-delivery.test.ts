import { describe, expect, it } from 'vitest';
import { verifyBitbucket } from '../../../functions/core/webhooks/bitbucket.verifier.ts';
import { verifyGithub } from '../../../functions/core/webhooks/github.verifier.ts';
import { verifyGitlab } from '../../../functions/core/webhooks/gitlab.verifier.ts';
import { verifyDelivery } from '../../../functions/core/webhooks/verify-delivery.ts';
import type { WebhookRequest } from '../../../functions/core/webhooks/webhook-verification.ts';
import { hmac, OLD_SECRET, SECRET } from './webhook-fixtures.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** The test vector of GitHub's "Validating webhook deliveries" documentation. */
const GITHUB_DOC = {
  secret: "It's a Secret to Everybody",
  payload: 'Hello, World!',
  signature: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
};

function flipByte(text: string, index = 0): string {
  const b = Buffer.from(text, 'utf8');
  b[index] = (b[index] ?? 0) ^ 0x01;
  return b.toString('latin1');
}

/** The last hex digit of a signature changed (still well-formed). */
function flipSignature(signature: string): string {
  const last = signature.at(-1) === '0' ? '1' : '0';
  return `${signature.slice(0, -1)}${last}`;
}

const github = (signature: string | undefined, body = GITHUB_DOC.payload, secrets = [GITHUB_DOC.secret], extra: Record<string, string> = {}): WebhookRequest => ({
  headers: { 'x-github-delivery': 'd-1', ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }), ...extra },
  rawBody: bytes(body),
  secrets,
});

describe('verifyGithub', () => {
  it('accepts the GitHub documentation test vector', async () => {
    // Act
    const result = await verifyGithub(github(GITHUB_DOC.signature));

    // Assess
    expect(result).toEqual({ ok: true, deliveryId: 'd-1' });
  });

  it.each([
    ['body changed by one byte', github(GITHUB_DOC.signature, flipByte(GITHUB_DOC.payload, 5))],
    ['secret changed by one byte', github(GITHUB_DOC.signature, GITHUB_DOC.payload, [flipByte(GITHUB_DOC.secret, 3)])],
    ['signature changed by one byte', github(flipSignature(GITHUB_DOC.signature))],
  ])('refuses the vector with the %s: 401', async (_, request) => {
    // Act
    const result = await verifyGithub(request);

    // Assess
    expect(result).toMatchObject({ ok: false, status: 401, reason: 'signature does not match', deliveryId: 'd-1' });
  });

  it.each([
    ['missing', undefined, 'missing signature'],
    ['empty', '', 'missing signature'],
    ['without the sha256= prefix', GITHUB_DOC.signature.slice('sha256='.length), 'malformed signature'],
    ['with non-hex characters', `sha256=${'z'.repeat(64)}`, 'malformed signature'],
    ['upper-case prefix', GITHUB_DOC.signature.replace('sha256', 'SHA256'), 'malformed signature'],
    ['one hex digit short', GITHUB_DOC.signature.slice(0, -1), 'malformed signature'],
    ['one hex digit long', `${GITHUB_DOC.signature}0`, 'malformed signature'],
    ['of sha1 length', `sha256=${'a'.repeat(40)}`, 'malformed signature'],
    ['a sha1= signature', `sha1=${'a'.repeat(40)}`, 'malformed signature'],
  ])('refuses a signature %s: 401', async (_, signature, reason) => {
    // Act
    const result = await verifyGithub(github(signature));

    // Assess
    expect(result).toMatchObject({ ok: false, status: 401, reason });
  });

  it('refuses a delivery signed only with sha1 (X-Hub-Signature)', async () => {
    // Act
    const result = await verifyGithub(github(undefined, GITHUB_DOC.payload, [GITHUB_DOC.secret], { 'x-hub-signature': `sha1=${'a'.repeat(40)}` }));

    // Assess
    expect(result).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/sha1/) as unknown });
  });

  it('accepts both the old and the new secret during a rotation', async () => {
    // Prepare
    const body = '{"zen":"Keep it logically awesome."}';

    // Act
    const withOld = await verifyGithub(github(hmac(OLD_SECRET, body), body, [SECRET, OLD_SECRET]));
    const withNew = await verifyGithub(github(hmac(SECRET, body), body, [SECRET, OLD_SECRET]));
    const withRetired = await verifyGithub(github(hmac(OLD_SECRET, body), body, [SECRET]));

    // Assess
    expect([withOld.ok, withNew.ok, withRetired.ok]).toEqual([true, true, false]);
  });

  it('refuses a body that is not strict UTF-8 even when its bytes are signed', async () => {
    // Prepare: a lone 0xff byte would decode to U+FFFD and be re-encoded as other bytes
    const raw = Buffer.from([0x7b, 0xff, 0x7d]);

    // Act
    const result = await verifyGithub({ headers: { 'x-hub-signature-256': hmac(SECRET, raw) }, rawBody: raw, secrets: [SECRET] });

    // Assess
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it('ignores an empty secret (an empty HMAC key would be forgeable)', async () => {
    // Prepare
    const body = '{}';

    // Act
    const result = await verifyGithub(github(hmac('', body), body, ['']));

    // Assess
    expect(result.ok).toBe(false);
  });
});

describe('verifyGitlab', () => {
  const gitlab = (token: string | undefined, secrets = [SECRET]): WebhookRequest => ({
    headers: { 'idempotency-key': 'idem-1', 'x-gitlab-webhook-uuid': 'uuid-1', ...(token === undefined ? {} : { 'x-gitlab-token': token }) },
    rawBody: bytes('{}'),
    secrets,
  });

  it('accepts the configured token, with Idempotency-Key as delivery id', async () => {
    expect(await verifyGitlab(gitlab(SECRET))).toEqual({ ok: true, deliveryId: 'idem-1' });
  });

  it.each([
    ['a wrong token', flipByte(SECRET, 4), 'token does not match'],
    ['a token one character short', SECRET.slice(0, -1), 'token does not match'],
    ['a missing token', undefined, 'missing token'],
  ])('refuses %s: 401', async (_, token, reason) => {
    expect(await verifyGitlab(gitlab(token))).toMatchObject({ ok: false, status: 401, reason, deliveryId: 'idem-1' });
  });

  it('accepts the old token during a rotation', async () => {
    expect((await verifyGitlab(gitlab(OLD_SECRET, [SECRET, OLD_SECRET]))).ok).toBe(true);
  });

  it('falls back to X-Gitlab-Webhook-UUID, then X-Gitlab-Event-UUID, for the delivery id', async () => {
    // Act
    const byWebhook = await verifyGitlab({ headers: { 'x-gitlab-token': SECRET, 'x-gitlab-webhook-uuid': 'w-1', 'x-gitlab-event-uuid': 'e-1' }, rawBody: bytes('{}'), secrets: [SECRET] });
    const byEvent = await verifyGitlab({ headers: { 'x-gitlab-token': SECRET, 'x-gitlab-event-uuid': 'e-1' }, rawBody: bytes('{}'), secrets: [SECRET] });

    // Assess
    expect([byWebhook.deliveryId, byEvent.deliveryId]).toEqual(['w-1', 'e-1']);
  });
});

describe('verifyBitbucket', () => {
  const body = '{"push":{"changes":[]}}';
  const bitbucket = (signature: string | undefined, raw = body, secrets = [SECRET]): WebhookRequest => ({
    headers: { 'x-request-uuid': 'req-1', ...(signature === undefined ? {} : { 'x-hub-signature': signature }) },
    rawBody: bytes(raw),
    secrets,
  });

  it('accepts an HMAC-SHA256 of the raw body, with X-Request-UUID as delivery id', async () => {
    expect(await verifyBitbucket(bitbucket(hmac(SECRET, body)))).toEqual({ ok: true, deliveryId: 'req-1' });
  });

  it.each([
    ['a tampered body', bitbucket(hmac(SECRET, body), flipByte(body, 3)), 'signature does not match'],
    ['a wrong secret', bitbucket(hmac(OLD_SECRET, body)), 'signature does not match'],
    ['a missing signature', bitbucket(undefined), 'missing signature'],
    ['a sha1 signature', bitbucket(`sha1=${'a'.repeat(40)}`), 'malformed signature'],
    ['a wrong-length signature', bitbucket(hmac(SECRET, body).slice(0, -2)), 'malformed signature'],
  ])('refuses %s: 401', async (_, request, reason) => {
    expect(await verifyBitbucket(request)).toMatchObject({ ok: false, status: 401, reason, deliveryId: 'req-1' });
  });
});

describe('verifyDelivery', () => {
  it('uses the configured provider, never the headers: a GitHub-signed delivery to a GitLab group is refused', async () => {
    // Prepare
    const body = '{}';

    // Act
    const result = await verifyDelivery('gitlab', { headers: { 'x-hub-signature-256': hmac(SECRET, body) }, rawBody: bytes(body), secrets: [SECRET] });

    // Assess
    expect(result).toMatchObject({ ok: false, status: 401 });
  });

  it('turns an exception inside verification into a 401, never a throw', async () => {
    // Prepare
    const throwing = { github: () => Promise.reject(new Error(`boom ${SECRET}`)), gitlab: verifyGitlab, bitbucket: verifyBitbucket };

    // Act
    const result = await verifyDelivery('github', { headers: { 'x-github-delivery': 'd-9' }, rawBody: bytes('{}'), secrets: [SECRET] }, throwing);

    // Assess
    expect(result).toEqual({ ok: false, status: 401, reason: 'verification failed', deliveryId: 'd-9' });
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('refuses everything when the group has no active secret', async () => {
    // Act
    const result = await verifyDelivery('github', { headers: { 'x-hub-signature-256': hmac('', '{}') }, rawBody: bytes('{}'), secrets: [] });

    // Assess
    expect(result).toMatchObject({ ok: false, status: 401, reason: 'no webhook secret configured' });
  });

  it('does not echo a delivery id with unsafe characters', async () => {
    // Act
    const result = await verifyDelivery('github', { headers: { 'x-github-delivery': 'a\nb<script>' }, rawBody: bytes('{}'), secrets: [SECRET] });

    // Assess
    expect(result.deliveryId).toBeUndefined();
  });
});
