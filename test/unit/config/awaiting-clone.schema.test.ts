import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigValidationError, parseConfig } from '../../../infra/config/load-config.ts';

const KEY = `SHA256:${'A'.repeat(43)}`;
const stack = (name: string, region: string, address: string) => ({
  name,
  region,
  endpoint: address,
  healthUrl: `http://${address}:8080/health`,
  hosts: [{ name: 'app1', address, user: 'deploy', hostKey: KEY }],
  deploy: { directory: '/srv/shop' },
});
const group = (name: string, twin?: ReturnType<typeof stack>) => ({
  name,
  dns: { zone: 'example.com', name: `${name}.example.com` },
  primary: stack(`${name}-eu`, 'eu-west-1', '203.0.113.10'),
  ...(twin ? { twin } : {}),
  databases: [{ name: 'main', engine: 'postgres', host: 'app1' }],
});

describe('twinstack.yaml › a group without its twin (awaiting `twinstack clone`)', () => {
  it('parses into awaitingClone, never into groups, with its defaults', () => {
    // Act
    const config = parseConfig(stringify({ version: 1, groups: [group('shop'), group('blog', stack('blog-de', 'eu-central-1', '203.0.113.20'))] }), 'test.yaml');
    // Assess
    expect(config.groups.map((g) => g.name)).toEqual(['blog']);
    expect(config.awaitingClone?.map((g) => [g.name, g.twin, g.primary.hosts[0]?.sshPort])).toEqual([['shop', undefined, 22]]);
  });

  it('still checks the primary and the databases', () => {
    // Prepare
    const bad = { ...group('shop'), databases: [{ name: 'main', engine: 'postgres', host: 'nope' }] };
    // Act + Assess
    expect(() => parseConfig(stringify({ version: 1, groups: [bad] }), 'test.yaml')).toThrow(ConfigValidationError);
    expect(() => parseConfig(stringify({ version: 1, groups: [bad] }), 'test.yaml')).toThrow(/"nope" is not a host of the primary stack/);
  });

  it('has no awaitingClone when every group has its twin', () => {
    // Act
    const config = parseConfig(stringify({ version: 1, groups: [group('blog', stack('blog-de', 'eu-central-1', '203.0.113.20'))] }), 'test.yaml');
    // Assess
    expect(config.awaitingClone).toBeUndefined();
  });
});
