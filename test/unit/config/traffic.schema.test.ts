import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigValidationError, parseConfig, type ConfigIssue } from '../../../infra/config/load-config.ts';
import { trafficOf } from '../../../functions/core/traffic.ts';
import { minimalConfig, withValue, type Loose } from './config-fixture.ts';

function issuesOf(config: Loose): readonly ConfigIssue[] {
  try {
    parseConfig(stringify(config), 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('traffic and notifications settings', () => {
  it('applies the defaults: routing-gate in AWS, record for local stacks, a 10 s check failing after 3', () => {
    // Act
    const group = parseConfig(stringify(minimalConfig()), 'test.yaml').groups[0];
    // Assess
    expect(group && trafficOf(group)).toEqual({ mode: 'routing-gate', healthCheck: { intervalSeconds: 10, failureThreshold: 3 } });
    expect(group && trafficOf({ ...group, primary: { ...group.primary, region: 'local' } }).mode).toBe('record');
  });

  it('accepts every setting and every kind of notification target', () => {
    // Prepare
    const config = withValue(
      withValue(minimalConfig(), 'groups.0.traffic', { mode: 'record', healthCheck: { intervalSeconds: 30, failureThreshold: 2, path: '/deep', searchString: 'ok', sni: 'none' } }),
      'groups.0.notifications',
      [{ email: 'ops@example.com' }, { https: 'https://alerts.example.com/sns' }, { topicArn: 'arn:aws:sns:eu-central-1:123456789012:ops-alerts' }],
    );
    // Act
    const group = parseConfig(stringify(config), 'test.yaml').groups[0];
    // Assess
    expect(group?.traffic).toEqual({ mode: 'record', healthCheck: { intervalSeconds: 30, failureThreshold: 2, path: '/deep', searchString: 'ok', sni: 'none' } });
    expect(group?.notifications).toHaveLength(3);
  });

  it.each([
    ['a record name outside its zone', 'groups.0.dns.name', 'shop.example.org', 'groups[0].dns.name', /not in the zone/, /ends with ".example.com"/],
    ['a health-check path without a leading slash', 'groups.0.traffic', { healthCheck: { path: 'healthz' } }, 'groups[0].traffic.healthCheck.path', /does not start with "\/"/, /leading slash/],
    ['an interval Route 53 does not offer', 'groups.0.traffic', { healthCheck: { intervalSeconds: 15 } }, 'groups[0].traffic.healthCheck.intervalSeconds', /./, /intervalSeconds: 10/],
    ['an HTTPS check on a bare IP without SNI settings', 'groups.0.primary.healthUrl', 'https://203.0.113.10/healthz', 'groups[0].primary.healthUrl', /HTTPS on a bare IP/, /sni: group-name/],
    ['a notification e-mail that is not an address', 'groups.0.notifications', [{ email: 'ops at example.com' }], 'groups[0].notifications[0]', /./, /./],
    ['a notification endpoint over plain http', 'groups.0.notifications', [{ https: 'http://alerts.example.com/sns' }], 'groups[0].notifications[0]', /./, /./],
  ])('refuses %s with the fix', (_what, path, value, issuePath, problem, fix) => {
    // Act
    const issues = issuesOf(withValue(minimalConfig(), path, value));
    // Assess
    const issue = issues.find((i) => i.path.startsWith(issuePath));
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue?.problem).toMatch(problem);
    expect(issue?.fix).toMatch(fix);
  });

  it('names the e-mail problem itself', () => {
    // Act
    const issues = issuesOf(withValue(minimalConfig(), 'groups.0.notifications', [{ email: 'ops at example.com' }]));
    // Assess
    expect(JSON.stringify(issues)).toMatch(/is not an e-mail address/);
  });

  it('accepts HTTPS on a bare IP once sni says what to send', () => {
    // Prepare
    const config = withValue(withValue(minimalConfig(), 'groups.0.primary.healthUrl', 'https://203.0.113.10/healthz'), 'groups.0.traffic', { healthCheck: { sni: 'group-name' } });
    // Act + Assess
    expect(parseConfig(stringify(config), 'test.yaml').groups[0]?.traffic?.healthCheck.sni).toBe('group-name');
  });
});
