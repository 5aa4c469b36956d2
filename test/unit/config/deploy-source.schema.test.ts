import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigValidationError, parseConfig, type ConfigIssue } from '../../../infra/config/load-config.ts';
import { branchNameProblem, gitUrlProblem, REPOSITORY } from '../../../functions/core/config/config-patterns.ts';
import { minimalConfig, withValue } from './config-fixture.ts';

const SOURCE = { provider: 'github', repository: 'acme/shop', branch: 'main', gitUrl: 'git@github.com:acme/shop.git' };

function issuesOf(source: unknown): readonly ConfigIssue[] {
  try {
    parseConfig(stringify(withValue(minimalConfig(), 'groups.0.source', source)), 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('twinstackConfigSchema › source', () => {
  it('parses the example source block', () => {
    // Prepare
    const text = readFileSync('examples/twinstack.yaml', 'utf8');

    // Act
    const group = parseConfig(text, 'examples/twinstack.yaml').groups[0];

    // Assess
    expect(group?.source).toEqual({ provider: 'github', repository: 'acme/shop', branch: 'main', gitUrl: 'git@github.com:acme/shop.git', hostConcurrency: 1 });
  });

  it('is optional, and hostConcurrency defaults to 1', () => {
    // Prepare
    const without = stringify(minimalConfig());
    const withSource = stringify(withValue(minimalConfig(), 'groups.0.source', SOURCE));

    // Act
    const none = parseConfig(without, 'a.yaml').groups[0];
    const some = parseConfig(withSource, 'b.yaml').groups[0];

    // Assess
    expect(none?.source).toBeUndefined();
    expect(some?.source?.hostConcurrency).toBe(1);
  });

  it.each([
    ['provider', { ...SOURCE, provider: 'gitea' }, 'groups[0].source.provider'],
    ['repository', { ...SOURCE, repository: 'acme' }, 'groups[0].source.repository'],
    ['branch', { ...SOURCE, branch: 'main;reboot' }, 'groups[0].source.branch'],
    ['gitUrl', { ...SOURCE, gitUrl: 'https://user:token@github.com/acme/shop.git' }, 'groups[0].source.gitUrl'],
    ['hostConcurrency 0', { ...SOURCE, hostConcurrency: 0 }, 'groups[0].source.hostConcurrency'],
    ['hostConcurrency 51', { ...SOURCE, hostConcurrency: 51 }, 'groups[0].source.hostConcurrency'],
    ['hostConcurrency 1.5', { ...SOURCE, hostConcurrency: 1.5 }, 'groups[0].source.hostConcurrency'],
    ['unknown key', { ...SOURCE, secret: 'x' }, 'groups[0].source.secret'],
  ])('refuses a wrong %s with a fix', (_, source, path) => {
    // Act
    const issues = issuesOf(source);

    // Assess
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.every((i) => i.fix.length > 0)).toBe(true);
  });

  it('reports a missing field', () => {
    // Act
    const issues = issuesOf({ provider: 'gitlab', repository: 'g/sub/p', gitUrl: 'https://gitlab.com/g/sub/p.git' });

    // Assess
    expect(issues).toEqual([expect.objectContaining({ path: 'groups[0].source.branch', problem: expect.stringMatching(/missing/) as unknown })]);
  });
});

describe('REPOSITORY', () => {
  it.each(['acme/shop', 'Acme-1/shop.web', 'group/sub/project', 'ws/repo_name'])('accepts %j', (value) => {
    expect(REPOSITORY.test(value)).toBe(true);
  });
  it.each(['acme', 'acme/', '/acme/shop', 'acme/../etc', 'acme/.hidden', 'acme/-x', 'acme/sh op', 'acme/$(id)', 'a//b'])('refuses %j', (value) => {
    expect(REPOSITORY.test(value)).toBe(false);
  });
});

describe('branchNameProblem', () => {
  it.each(['main', 'release/1.2', 'feature/x_y-z', 'v2'])('accepts %j', (value) => {
    expect(branchNameProblem(value)).toBeUndefined();
  });
  it.each([
    ['', /1 to 255/],
    ['main;reboot', /characters/],
    ['a b', /characters/],
    ['$(id)', /characters/],
    ['-x', /starts with "-"/],
    ['/main', /empty component/],
    ['main/', /empty component/],
    ['a//b', /empty component/],
    ['a..b', /\.\./],
    ['a/.hidden', /starts with "\."/],
    ['main.lock', /\.lock/],
    ['main.', /ends with "\."/],
    ['refs/heads/main', /full ref/],
    ['a@{1}', /characters/],
  ])('refuses %j', (value, problem) => {
    expect(branchNameProblem(value)).toMatch(problem);
  });
});

describe('gitUrlProblem', () => {
  it.each([
    'git@github.com:acme/shop.git',
    'https://gitlab.com/group/sub/project.git',
    'ssh://git@bitbucket.org/ws/repo.git',
    'ssh://git@127.0.0.1:2222/srv/git/shop.git',
    'https://git.example.com:8443/acme/shop',
    'file:///srv/git/shop.git',
  ])('accepts %j', (value) => {
    expect(gitUrlProblem(value)).toBeUndefined();
  });
  it.each([
    ['https://user:token@github.com/acme/shop.git', /credentials/],
    ['https://token@github.com/acme/shop.git', /credentials/],
    ['ssh://git:pw@example.com/x.git', /password/],
    ['http://github.com/acme/shop.git', /not https, ssh or file/],
    ['file://gitserver/srv/git/shop.git', /names a host/],
    ['file:///', /no repository path/],
    ['git@github.com:acme/shop.git;reboot', /metacharacters/],
    ['https://github.com/acme/$(id).git', /metacharacters/],
    ['https://github.com/a b', /metacharacters/],
    ['-oProxyCommand', /starts with "-"/],
    ['git@github.com:-x', /path starting with "-"/],
    ['https://github.com/acme/../x', /\.\./],
    ['github.com/acme/shop', /not an https/],
    ['https://github.com/', /no repository path/],
  ])('refuses %j', (value, problem) => {
    expect(gitUrlProblem(value)).toMatch(problem);
  });
});
