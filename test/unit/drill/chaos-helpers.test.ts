import { describe, expect, it } from 'vitest';
import { ruleArguments, staleRuleDeletions } from '../../../infra/local/chaos/iptables-rules.ts';
import { cgroup2MountOf, ownCgroup2PathOf } from '../../../infra/local/chaos/host-cgroup.ts';
import { parseEstablishedSockets } from '../../../infra/local/chaos/tcp-connections.ts';

describe('drill iptables rules', () => {
  it('tags every rule with the scenario and builds cgroup, port and reject matches in order', () => {
    // Act
    const partition = ruleArguments({ scenario: 'partition', cgroupPath: 'twinstack-drill/twin', destination: '127.0.1.1', target: 'DROP' });
    const cut = ruleArguments({ scenario: 'ssh-drop', destination: '127.0.2.1', protocol: 'tcp', destinationPort: 2222, target: 'REJECT' });
    // Assess
    expect(partition).toEqual(['-d', '127.0.1.1/32', '-m', 'cgroup', '--path', 'twinstack-drill/twin', '-m', 'comment', '--comment', 'twinstack-drill:partition', '-j', 'DROP']);
    expect(cut).toEqual(['-d', '127.0.2.1/32', '-p', 'tcp', '-m', 'tcp', '--dport', '2222', '-m', 'comment', '--comment', 'twinstack-drill:ssh-drop', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
  });

  it.each([
    [{ destination: '10.0.0.1' }, /not a loopback address/],
    [{ scenario: 'Bad Name' }, /scenario name "Bad Name"/],
    [{ destinationPort: 70_000, protocol: 'tcp' as const }, /destinationPort 70000 is not a port/],
    [{ destinationPort: 22 }, /needs protocol tcp/],
    [{ cgroupPath: '../etc' }, /cgroup path \.\.\/etc/],
  ])('refuses a bad rule before running anything: %o', (change, message) => {
    // Act / Assess
    expect(() => ruleArguments({ scenario: 'partition', destination: '127.0.1.1', target: 'DROP', ...change })).toThrow(message);
  });

  it('finds only the drill-tagged rules of a listing and turns each into its delete', () => {
    // Prepare
    const listing = [
      '-P OUTPUT ACCEPT',
      '-A OUTPUT -d 127.0.1.1/32 -m cgroup --path twinstack-drill/twin -m comment --comment twinstack-drill:partition -j DROP',
      '-A OUTPUT -d 10.0.0.1/32 -m comment --comment "someone else" -j DROP',
      '-A OUTPUT -d 127.0.2.1/32 -p tcp -m tcp --dport 2222 -m comment --comment "twinstack-drill:ssh-drop" -j REJECT --reject-with tcp-reset',
    ].join('\n');
    // Act
    const deletions = staleRuleDeletions(listing);
    // Assess
    expect(deletions).toEqual([
      ['-D', 'OUTPUT', '-d', '127.0.1.1/32', '-m', 'cgroup', '--path', 'twinstack-drill/twin', '-m', 'comment', '--comment', 'twinstack-drill:partition', '-j', 'DROP'],
      ['-D', 'OUTPUT', '-d', '127.0.2.1/32', '-p', 'tcp', '-m', 'tcp', '--dport', '2222', '-m', 'comment', '--comment', 'twinstack-drill:ssh-drop', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
    ]);
  });
});

describe('host cgroups and sockets', () => {
  it('finds cgroup v2 on hybrid and unified systems, and this process\'s own path', () => {
    // Act / Assess
    expect(cgroup2MountOf('cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0')).toBe('/sys/fs/cgroup/unified');
    expect(cgroup2MountOf('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0')).toBe('/sys/fs/cgroup');
    expect(cgroup2MountOf('proc /proc proc rw 0 0')).toBeUndefined();
    expect(ownCgroup2PathOf('4:memory:/x\n0::/user.slice/session-1.scope\n')).toBe('/user.slice/session-1.scope');
    expect(ownCgroup2PathOf('0::/\n')).toBe('/');
  });

  it('parses established sockets with every owner pid', () => {
    // Prepare
    const ss = [
      '0      0          127.0.0.1:50158    127.0.1.1:5432  users:(("postgres",pid=4242,fd=5))',
      '0      0          127.0.0.1:40000    127.0.2.1:2222  users:(("node",pid=10,fd=30),("node",pid=11,fd=31))',
      'garbage',
    ].join('\n');
    // Act
    const sockets = parseEstablishedSockets(ss);
    // Assess
    expect(sockets).toEqual([
      { local: '127.0.0.1:50158', peer: '127.0.1.1:5432', pids: [4242] },
      { local: '127.0.0.1:40000', peer: '127.0.2.1:2222', pids: [10, 11] },
    ]);
  });
});
