import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../infra/config/load-config.ts';
import { drillConfigYaml, DRILL_GROUP, type DrillConfigInput } from '../../../infra/local/drill/drill-config.ts';

const input: DrillConfigInput = {
  primary: { address: '127.0.1.1', sshPort: 2222, user: 'twinstack', hostKey: 'SHA256:Ds5YspA2P29maeXViSuLSK/n64FAgDdwMk2dlKD0H6A' },
  twin: { address: '127.0.2.1', sshPort: 2222, user: 'twinstack', hostKey: 'SHA256:QQ9FkKa/cGc58ro9nSZINkNP92/KBBJtj635ULzaO/8' },
  appPort: 8080,
  engines: ['postgres', 'mariadb', 'redis'],
  mode: 'async',
  gitUrl: 'file:///var/tmp/drill-app.git',
};

function maxLagsOf(yaml: string): Record<string, unknown> {
  const group = parseConfig(yaml, 'twinstack.drill.yaml').groups.find((g) => g.name === DRILL_GROUP)!;
  return Object.fromEntries(group.databases.map((db) => [db.name, db.replication.maxLag]));
}

describe('the drill config', () => {
  it('takes a scenario\'s maxLag per lag unit and still passes the real schema', () => {
    // Act
    const plain = maxLagsOf(drillConfigYaml(input));
    const small = maxLagsOf(drillConfigYaml({ ...input, maxLag: { bytes: '2KiB', transactions: 10 } }));
    // Assess
    expect(small).toEqual({ postgres: 2048, mariadb: 10, redis: 2048 });
    expect(plain['postgres']).not.toBe(2048);
  });

  it('without a twin (--clone) is a group awaiting its clone, primary and databases intact', () => {
    // Prepare
    const { twin: _twin, ...primaryOnly } = input;
    // Act
    const parsed = parseConfig(drillConfigYaml(primaryOnly), 'twinstack.drill.yaml');
    // Assess
    expect(parsed.groups).toEqual([]);
    expect(parsed.awaitingClone).toHaveLength(1);
    const group = parsed.awaitingClone![0]!;
    expect(group).toMatchObject({ name: DRILL_GROUP, primary: { name: 'drill-primary', hosts: [{ address: '127.0.1.1' }] } });
    expect(group.twin).toBeUndefined();
    expect(group.databases.map((db) => db.engine)).toEqual(['postgres', 'mariadb', 'redis']);
  });
});
