import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../../functions/core/command.ts';
import { checkoutCommand, passwordsInUrls, redactionsOf, renderDeployEnv, runDeployCommand, validateDeployTarget, writeDeployEnvCommand } from '../../../functions/core/deploy/deploy-commands.ts';
import { InvalidInputError } from '../../../functions/core/errors.ts';

const REV = '0123456789abcdef0123456789abcdef01234567';
const OK = { directory: '/srv/app', gitUrl: 'git@github.com:acme/shop.git', branch: 'release/v1', revision: REV };

describe('validateDeployTarget', () => {
  it('accepts a full revision, a plain branch and an ssh git URL', () => {
    // Act + Assess
    expect(() => validateDeployTarget(OK)).not.toThrow();
  });

  it.each([
    { field: 'revision', value: 'abc123' },
    { field: 'revision', value: `${REV.toUpperCase()}` },
    { field: 'revision', value: `${REV}; rm -rf /` },
    { field: 'branch', value: '--upload-pack=evil' },
    { field: 'branch', value: 'a..b' },
    { field: 'branch', value: 'main;id' },
    { field: 'gitUrl', value: '-oProxyCommand=evil' },
    { field: 'gitUrl', value: 'https://x/$(id).git' },
    { field: 'directory', value: 'relative/dir' },
  ])('refuses $field = $value', ({ field, value }) => {
    // Act + Assess
    expect(() => validateDeployTarget({ ...OK, [field]: value })).toThrow(InvalidInputError);
  });
});

describe('deploy commands', () => {
  it('pass every value as its own argv word (never inside the script)', () => {
    // Act
    const checkout = checkoutCommand(OK);
    const run = runDeployCommand('/srv/app', 'docker compose pull && docker compose up -d', REV, 1000, []);
    // Assess
    expect(checkout.argv.slice(4)).toEqual(['/srv/app', OK.gitUrl, OK.branch, REV]);
    expect(checkout.argv[2]).not.toContain(REV);
    expect(run.argv.at(-1)).toBe('docker compose pull && docker compose up -d');
    expect(run.env).toEqual({ TWINSTACK_REVISION: REV });
  });

  it('sends env file content over stdin and redacts its secrets', () => {
    // Act
    const command = writeDeployEnvCommand('/srv/app/', "A='s3cret-value'\n", ['s3cret-value']);
    // Assess
    expect(command.argv.join(' ')).not.toContain('s3cret');
    expect(command.argv.at(-1)).toBe('/srv/app/.env.deploy');
    expect(command.stdin).toContain('s3cret-value');
    expect(command.redact).toEqual(['s3cret-value']);
  });

  it('renders env values single-quoted so sourcing them runs nothing', () => {
    // Act
    const text = renderDeployEnv({ B: "it's $(id)", A: 'x' });
    // Assess
    expect(text).toBe(`A='x'\nB=${shellQuote("it's $(id)")}\n`);
  });
});

describe('redactionsOf', () => {
  it.each<[string, string[], string[], string[]]>([
    ['keeps short published values, drops empty ones', ['ab', '', 'x'], [], ['ab', 'x']],
    ['adds raw secrets and their URL-encoded forms', ['postgres://u:p%40ss@h/db'], ['p@ss'], ['postgres://u:p%40ss@h/db', 'p@ss', 'p%40ss']],
    ['keeps each string once', ['same', 'same'], ['same', ''], ['same']],
  ])('%s', (_, published, raw, expected) => {
    // Act + Assess
    expect(redactionsOf(published, raw).sort()).toEqual(expected.sort());
  });
});

describe('passwordsInUrls', () => {
  it.each<[string, string[], string[]]>([
    ['a URL password, encoded and decoded', ['postgres://app:p%40ss%2Fw@127.0.0.1:5432/main'], ['p%40ss%2Fw', 'p@ss/w']],
    ['a plain password once per form', ['redis://:s3cret@h:6379'], ['s3cret', 's3cret']],
    ['nothing for URLs without a password or non-URLs', ['postgres://app@h/db', 'https://h/x@y', 'active', '5432'], []],
  ])('finds %s', (_, values, expected) => {
    // Act + Assess
    expect(passwordsInUrls(values)).toEqual(expected);
  });
});
