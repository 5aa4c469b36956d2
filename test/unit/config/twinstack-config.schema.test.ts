import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigValidationError, parseConfig, type ConfigIssue } from '../../../infra/config/load-config.ts';
import { DEFAULT_DEPLOY_COMMAND } from '../../../infra/config/twinstack-config.schema.ts';
import { minimalConfig, withValue, type Loose } from './config-fixture.ts';

/** The issues parseConfig reports for `config`; fails the test when it parses. */
function issuesOf(config: Loose | string): readonly ConfigIssue[] {
  const text = typeof config === 'string' ? config : stringify(config);
  try {
    parseConfig(text, 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('twinstackConfigSchema', () => {
  it('parses the AWS example with every value and default in place', () => {
    // Prepare
    const text = readFileSync('examples/twinstack.yaml', 'utf8');

    // Act
    const config = parseConfig(text, 'examples/twinstack.yaml');

    // Assess
    const group = config.groups[0];
    expect(config.groups).toHaveLength(1);
    expect(group?.name).toBe('shop');
    expect(group?.dns).toEqual({ zone: 'example.com', hostedZoneId: 'Z04517273QX5GD4LMTKE2', name: 'shop.example.com', ttl: 60 });
    expect(group?.primary.region).toBe('eu-west-1');
    expect(group?.twin.region).toBe('eu-central-1');
    expect(group?.twin.hosts.map((h) => h.name)).toEqual(group?.primary.hosts.map((h) => h.name));
    expect(group?.twin.hosts[0]?.sshPort).toBe(22);
    expect(group?.twin.deploy.command).toBe(DEFAULT_DEPLOY_COMMAND);
    expect(group?.databases[0]).toMatchObject({
      name: 'main',
      port: 5432,
      replication: { mode: 'sync', maxLag: 16 * 1024 * 1024 },
      postgres: { database: 'shop', appUser: 'shop_app', superuser: 'postgres', replicationUser: 'twinstack_replicator', listenOn: 'all' },
    });
  });

  it('applies every default to a minimal config', () => {
    // Prepare
    const text = stringify(minimalConfig());

    // Act
    const group = parseConfig(text, 'minimal.yaml').groups[0];

    // Assess
    expect(group?.dns.ttl).toBe(60);
    expect(group?.dns.hostedZoneId).toBeUndefined();
    expect(group?.failover).toEqual({ cooldownSeconds: 900, maxObservationAgeSeconds: 180 });
    expect(group?.primary.hosts[0]?.sshPort).toBe(22);
    expect(group?.primary.deploy.command).toBe(DEFAULT_DEPLOY_COMMAND);
    expect(group?.databases[0]).toEqual({
      name: 'main',
      engine: 'postgres',
      host: 'db1',
      port: 5432,
      replication: { mode: 'async', maxLag: 16_777_216 },
      postgres: {
        dataDir: '/var/lib/postgresql/15/main',
        binDir: '/usr/lib/postgresql/15/bin',
        socketDir: '/var/run/postgresql',
        superuser: 'postgres',
        database: 'app',
        appUser: 'app',
        replicationUser: 'twinstack_replicator',
        listenOn: 'all',
      },
    });
  });

  it.each([
    [1024, 1024],
    ['512KiB', 524_288],
    ['1GB', 1_000_000_000],
    ['16MiB', 16_777_216],
  ])('turns maxLag %j into maxLag %d', (maxLag, bytes) => {
    // Prepare
    const config = withValue(minimalConfig(), 'groups.0.databases.0.replication', { maxLag });

    // Act
    const group = parseConfig(stringify(config), 'lag.yaml').groups[0];

    // Assess
    expect(group?.databases[0]?.replication).toEqual({ mode: 'async', maxLag: bytes });
  });

  it('accepts a local-runtime group: region local, loopback addresses, no hosted zone, host-address listening', () => {
    // Prepare
    const config = minimalConfig();
    for (const [role, octet] of [['primary', 1], ['twin', 2]] as const) {
      withValue(config, `groups.0.${role}.region`, 'local');
      withValue(config, `groups.0.${role}.endpoint`, `127.0.${octet}.10`);
      withValue(config, `groups.0.${role}.healthUrl`, `http://127.0.${octet}.10:8080/healthz`);
      withValue(config, `groups.0.${role}.hosts.1.address`, `127.0.${octet}.1`);
      withValue(config, `groups.0.${role}.hosts.1.sshPort`, 2222);
    }
    withValue(config, 'groups.0.databases.0.postgres', { listenOn: 'host-address', dataDir: '/tmp/twinstack/pg-main' });

    // Act
    const group = parseConfig(stringify(config), 'local.yaml').groups[0];

    // Assess
    expect(group?.twin.hosts[1]).toMatchObject({ address: '127.0.2.1', sshPort: 2222 });
    expect(group?.databases[0]).toMatchObject({ engine: 'postgres', postgres: { listenOn: 'host-address' } });
  });

  it.each([
    // [what, dotted path to change, new value (undefined deletes), expected issue path, problem pattern]
    ['missing version', 'version', undefined, 'version', /missing/],
    ['wrong version', 'version', 2, 'version', /not allowed/],
    ['no groups', 'groups', [], 'groups', /at least 1/],
    ['upper-case group name', 'groups.0.name', 'Shop', 'groups[0].name', /not a valid name/],
    ['zone with trailing dot', 'groups.0.dns.zone', 'example.com.', 'groups[0].dns.zone', /host name/],
    ['DNS name outside the zone', 'groups.0.dns.name', 'shop.example.org', 'groups[0].dns.name', /not in the zone/],
    ['hosted zone id with prefix', 'groups.0.dns.hostedZoneId', '/hostedzone/Z123', 'groups[0].dns.hostedZoneId', /hosted zone id/],
    ['ttl zero', 'groups.0.dns.ttl', 0, 'groups[0].dns.ttl', /too small/],
    ['negative cool-down', 'groups.0.failover', { cooldownSeconds: -1 }, 'groups[0].failover.cooldownSeconds', /too small/],
    ['bad region', 'groups.0.primary.region', 'Ireland', 'groups[0].primary.region', /AWS region/],
    ['endpoint with a port', 'groups.0.primary.endpoint', '203.0.113.10:443', 'groups[0].primary.endpoint', /IPv4/],
    ['health URL not http', 'groups.0.twin.healthUrl', 'ftp://198.51.100.10/', 'groups[0].twin.healthUrl', /ftp/],
    ['no hosts', 'groups.0.twin.hosts', [], 'groups[0].twin.hosts', /at least 1/],
    ['shell in address', 'groups.0.primary.hosts.1.address', '1.2.3.4; rm -rf /', 'groups[0].primary.hosts[1].address', /"1\.2\.3\.4; rm -rf \/" is not an IPv4/],
    ['ssh option in user', 'groups.0.primary.hosts.0.user', 'root -o ProxyCommand=x', 'groups[0].primary.hosts[0].user', /not a valid login name/],
    ['port as text', 'groups.0.primary.hosts.0.sshPort', '22', 'groups[0].primary.hosts[0].sshPort', /must be a number, not a string/],
    ['port 0', 'groups.0.primary.hosts.0.sshPort', 0, 'groups[0].primary.hosts[0].sshPort', /too small/],
    ['port 65536', 'groups.0.primary.hosts.0.sshPort', 65536, 'groups[0].primary.hosts[0].sshPort', /too large/],
    ['fractional port', 'groups.0.primary.hosts.0.sshPort', 22.5, 'groups[0].primary.hosts[0].sshPort', /whole number/],
    ['MD5 host key', 'groups.0.primary.hosts.1.hostKey', 'd4:1d:8c:d9:8f:00:b2:04:e9:80:09:98:ec:f8:42:7e', 'groups[0].primary.hosts[1].hostKey', /SHA256 fingerprint/],
    ['missing host key', 'groups.0.twin.hosts.0.hostKey', undefined, 'groups[0].twin.hosts[0].hostKey', /missing/],
    ['relative deploy directory', 'groups.0.primary.deploy.directory', 'srv/shop', 'groups[0].primary.deploy.directory', /absolute/],
    ['two-line deploy command', 'groups.0.primary.deploy.command', 'docker compose pull\nreboot', 'groups[0].primary.deploy.command', /more than one line/],
    ['empty deploy command', 'groups.0.primary.deploy.command', '  ', 'groups[0].primary.deploy.command', /empty/],
    ['command substitution in dataDir', 'groups.0.databases.0.postgres', { dataDir: '/var/lib/$(reboot)' }, 'groups[0].databases[0].postgres.dataDir', /characters/],
    ['dotdot in binDir', 'groups.0.databases.0.postgres', { binDir: '/usr/lib/../../bin' }, 'groups[0].databases[0].postgres.binDir', /\.\./],
    ['quoted role', 'groups.0.databases.0.postgres', { appUser: "app'; DROP ROLE postgres; --" }, 'groups[0].databases[0].postgres.appUser', /not a valid SQL name/],
    ['hyphen in database name', 'groups.0.databases.0.postgres', { database: 'my-app' }, 'groups[0].databases[0].postgres.database', /not a valid SQL name/],
    ['bad listenOn', 'groups.0.databases.0.postgres', { listenOn: 'everywhere' }, 'groups[0].databases[0].postgres.listenOn', /must be "all" or "host-address"/],
    ['unknown engine', 'groups.0.databases.0.engine', 'oracle', 'groups[0].databases[0].engine', /not allowed/],
    ['bad replication mode', 'groups.0.databases.0.replication', { mode: 'semi' }, 'groups[0].databases[0].replication.mode', /"async" or "sync"/],
    ['unparsable maxLag', 'groups.0.databases.0.replication', { maxLag: '16 parsecs' }, 'groups[0].databases[0].replication.maxLag', /not a size in bytes/],
    ['negative maxLag', 'groups.0.databases.0.replication', { maxLag: -5 }, 'groups[0].databases[0].replication.maxLag', /not a size in bytes/],
    ['boolean maxLag', 'groups.0.databases.0.replication', { maxLag: true }, 'groups[0].databases[0].replication.maxLag', /is not a lag limit in the engine's unit: a size in bytes/],
    ['database on a missing host', 'groups.0.databases.0.host', 'db9', 'groups[0].databases[0].host', /not a host of the primary/],
    ['unknown setting', 'groups.0.primary.hosts.0.sshport', 22, 'groups[0].primary.hosts[0].sshport', /not a known setting/],
    ['twin named like the primary', 'groups.0.twin.name', 'shop-eu', 'groups[0].twin.name', /same name/],
    ['twin on the primary endpoint', 'groups.0.twin.endpoint', '203.0.113.10', 'groups[0].twin.endpoint', /same endpoint/],
    ['twin host renamed', 'groups.0.twin.hosts.0.name', 'web2', 'groups[0].twin.hosts', /lacks web1 and has extra web2/],
    ['duplicate host in a stack', 'groups.0.primary.hosts.1.name', 'web1', 'groups[0].primary.hosts[1].name', /used twice/],
  ])('reports %s at its path', (_what, path, value, issuePath, problem) => {
    // Prepare
    const config = withValue(minimalConfig(), path, value);

    // Act
    const issues = issuesOf(config);

    // Assess
    const issue = issues.find((one) => one.path === issuePath);
    expect(issue, `issues: ${JSON.stringify(issues)}`).toBeDefined();
    expect(issue?.problem).toMatch(problem);
    expect(issue?.fix.length).toBeGreaterThan(10);
    expect(issue?.line).toBeGreaterThan(0);
  });

  it('reports duplicate group names, duplicate DNS names, database names and ports', () => {
    // Prepare
    const config = minimalConfig();
    const groups = config['groups'] as Loose[];
    groups.push(structuredClone(groups[0] as Loose));
    withValue(config, 'groups.0.databases.1', { name: 'main', engine: 'postgres', host: 'db1' });

    // Act
    const paths = issuesOf(config).map((issue) => issue.path);

    // Assess
    expect(paths).toEqual(expect.arrayContaining(['groups[1].name', 'groups[1].dns.name', 'groups[0].databases[1].name', 'groups[0].databases[1].port']));
  });

  it('tells how to fix a bad host key', () => {
    // Prepare
    const config = withValue(minimalConfig(), 'groups.0.primary.hosts.0.hostKey', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI');

    // Act
    const [issue] = issuesOf(config);

    // Assess
    expect(issue?.path).toBe('groups[0].primary.hosts[0].hostKey');
    expect(issue?.fix).toContain('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
  });

  it('suggests the known setting for a misspelt key', () => {
    // Prepare
    const config = withValue(minimalConfig(), 'groups.0.primary.hosts.0.hostkey', 'x');

    // Act
    const issue = issuesOf(config).find((one) => one.path === 'groups[0].primary.hosts[0].hostkey');

    // Assess
    expect(issue?.fix).toContain('did you mean "hostKey"');
  });

  it('reports every problem at once, in source order, with lines', () => {
    // Prepare
    const config = minimalConfig();
    withValue(config, 'groups.0.name', 'Shop');
    withValue(config, 'groups.0.primary.hosts.0.address', '1.2.3.4; rm -rf /');
    withValue(config, 'groups.0.primary.hosts.1.user', 'root -o ProxyCommand=x');
    withValue(config, 'groups.0.twin.hosts.0.sshPort', 0);
    withValue(config, 'groups.0.twin.name', 'shop-eu');
    withValue(config, 'groups.0.databases.0.postgres', { dataDir: '/var/lib/$(reboot)' });

    // Act
    const issues = issuesOf(config);

    // Assess
    expect(issues.map((issue) => issue.path)).toEqual([
      'groups[0].name',
      'groups[0].primary.hosts[0].address',
      'groups[0].primary.hosts[1].user',
      'groups[0].twin.name',
      'groups[0].twin.hosts[0].sshPort',
      'groups[0].databases[0].postgres.dataDir',
    ]);
    const lines = issues.map((issue) => issue.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('reports all problems of examples/invalid/many-problems.yaml', () => {
    // Prepare
    const text = readFileSync('examples/invalid/many-problems.yaml', 'utf8');

    // Act
    const issues = issuesOf(text);

    // Assess
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([
        'groups[0].name',
        'groups[0].dns.name',
        'groups[0].primary.healthUrl',
        'groups[0].primary.hosts[0].address',
        'groups[0].primary.hosts[1].sshPort',
        'groups[0].primary.hosts[1].user',
        'groups[0].primary.hosts[1].hostKey',
        'groups[0].twin.name',
        'groups[0].twin.hosts',
        'groups[0].databases[0].host',
        'groups[0].databases[0].replication.maxLag',
        'groups[0].databases[0].postgres.dataDir',
        'groups[0].databases[0].postgres.sslmode',
      ]),
    );
  });

  it.each([
    ['bad indentation', 'version: 1\ngroups:\n  - name: shop\n     dns: x\n', 3],
    ['duplicate key', 'version: 1\nversion: 1\n', 2],
    ['unclosed quote', 'version: 1\ngroups: "shop\n', 3],
  ])('reports YAML syntax errors (%s) with their line', (_what, text, line) => {
    // Prepare / Act
    const issues = issuesOf(text);

    // Assess
    expect(issues[0]?.path).toBe('(yaml)');
    expect(issues[0]?.line).toBe(line);
  });

  it('reports an empty document as a missing mapping', () => {
    // Prepare / Act
    const issues = issuesOf('# nothing here\n');

    // Assess
    expect(issues).toEqual([expect.objectContaining({ path: '(root)', problem: expect.stringMatching(/mapping/) as unknown })]);
  });
});
