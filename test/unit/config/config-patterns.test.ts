import { describe, expect, it } from 'vitest';
import { absolutePathProblem, healthUrlProblem, isAddress, isHostName } from '../../../functions/core/config/config-patterns.ts';

describe('isAddress', () => {
  it.each(['203.0.113.11', '127.0.1.1', '0.0.0.0', 'db1', 'web1.eu.example.net', 'ip-10-0-0-1.eu-west-1.compute.internal', 'a-b.c'])(
    'accepts %j',
    (value) => {
      expect(isAddress(value)).toBe(true);
    },
  );

  it.each([
    '',
    '1.2.3.4; rm -rf /',
    '1.2.3.999',
    '256.1.1.1',
    '-web1',
    'web1-',
    'web_1.example.com',
    'web1..example.com',
    'web1.example.com.',
    '$(reboot)',
    'a b',
    `${'a'.repeat(64)}.example.com`,
    '::1',
  ])('refuses %j', (value) => {
    expect(isAddress(value)).toBe(false);
  });

  it('refuses an IPv4-looking name as host name (all-numeric last label)', () => {
    // Prepare / Act / Assess
    expect(isHostName('10.0.0.1')).toBe(false);
  });
});

describe('absolutePathProblem', () => {
  it.each(['/srv/shop', '/var/lib/postgresql/15/main', '/opt/app-1.2_x'])('accepts %j', (value) => {
    expect(absolutePathProblem(value)).toBeUndefined();
  });

  it.each([
    ['srv/shop', /absolute/],
    ['/', /root/],
    ['/var/lib/$(reboot)', /characters/],
    ['/srv/my app', /characters/],
    ['/srv/`id`', /characters/],
    ['/srv/a;b', /characters/],
    ['/srv/../etc', /\.\./],
    ['/srv/..', /\.\./],
    ['/srv//shop', /empty segment/],
    ['/srv/shop/', /ends with/],
  ])('refuses %j', (value, problem) => {
    expect(absolutePathProblem(value)).toMatch(problem);
  });
});

describe('healthUrlProblem', () => {
  it.each(['https://203.0.113.10/healthz', 'http://127.0.1.1:8080/health?deep=1', 'https://shop.example.com/'])('accepts %j', (value) => {
    expect(healthUrlProblem(value)).toBeUndefined();
  });

  it.each([
    ['ftp://203.0.113.10/', /ftp/],
    ['not a url', /whitespace/],
    ['/healthz', /not a URL/],
    ['https://user:pw@shop.example.com/', /credentials/],
    ['https://shop.example.com/$(reboot)', /metacharacters/],
    ["https://shop.example.com/'", /quotes/],
  ])('refuses %j', (value, problem) => {
    expect(healthUrlProblem(value)).toMatch(problem);
  });
});
