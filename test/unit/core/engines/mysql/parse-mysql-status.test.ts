import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../../../../functions/core/command.ts';
import { UnexpectedOutputError } from '../../../../../functions/core/errors.ts';
import { parseMysqlDemotion, parseMysqlFence, parseMysqlPromote, parseMysqlRejoin, parseMysqlStartReplication, parseMysqlStatus, parseMysqlUndoDemote } from '../../../../../functions/core/engines/mysql/parse-mysql-status.ts';

/** Recorded from the live MariaDB 10.11 of the integration test (MARIADB_IT_RECORD), or constructed from MySQL 8.0's manual. */
function fixture(name: string): CommandResult {
  const f = JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as CommandResult;
  return { exitCode: f.exitCode, stdout: f.stdout, stderr: f.stderr, durationMs: f.durationMs };
}

const MARIADB_PRIMARY_ID = 2130711809; // 127.0.21.1
const MARIADB_TWIN_ID = 2130712065; // 127.0.22.1
const MARIADB_SWITCH_PRIMARY_ID = 2130712833; // 127.0.25.1 (the switchover lab)

describe('parseMysqlStatus on recorded MariaDB 10.11 outputs', () => {
  it.each([
    { name: 'mariadb-primary-fresh', expected: { role: 'primary', writable: true, fenced: false, promotedByTwinstack: false, replicas: [] } },
    {
      name: 'mariadb-primary-semisync-fallen-back',
      expected: { role: 'primary', writable: true, replicas: [{ name: '127.0.22.1:13306', streaming: true, synchronous: false }] },
    },
    {
      name: 'mariadb-primary-with-sync-replica',
      expected: { role: 'primary', writable: true, replicas: [{ name: '127.0.22.1:13306', streaming: true, synchronous: true }] },
    },
    {
      name: 'mariadb-replica-streaming',
      expected: { role: 'replica', writable: false, streaming: true, secondsBehind: 0, upstream: '127.0.21.1:13306', errantTransactions: [] },
    },
    { name: 'mariadb-replica-sql-stopped', expected: { role: 'replica', streaming: false, errantTransactions: [] } },
    { name: 'mariadb-stopped-fenced', expected: { role: 'stopped', writable: false, fenced: true } },
    { name: 'mariadb-fenced-restarted', expected: { role: 'primary', writable: false, fenced: true } },
    { name: 'mariadb-promoted', expected: { role: 'primary', writable: true, fenced: false, promotedByTwinstack: true, replicas: [] } },
  ])('$name', ({ name, expected }) => {
    // Act
    const status = parseMysqlStatus('mariadb', fixture(name));

    // Assess
    expect(status).toMatchObject(expected);
    if (status.role === 'primary' || status.role === 'replica') expect(status.version).toMatch(/^10\.11\.\d+-MariaDB/);
  });

  it('reports the stray write on the replica as an errant GTID with its own server id', () => {
    // Act
    const status = parseMysqlStatus('mariadb', fixture('mariadb-replica-errant'));

    // Assess
    expect(status.errantTransactions).toEqual([expect.stringMatching(new RegExp(`^0-${MARIADB_TWIN_ID}-\\d+$`))]);
    expect(status.mysql).toMatchObject({ dialect: 'mariadb', series: '10.11', serverId: MARIADB_TWIN_ID, logBin: true, gtidEnforced: true });
  });

  it('gives the received position separately from the applied one', () => {
    // Act
    const status = parseMysqlStatus('mariadb', fixture('mariadb-replica-sql-stopped'));

    // Assess
    expect(status.receivedPosition).toMatch(new RegExp(`^0-${MARIADB_PRIMARY_ID}-\\d+$`));
    expect(status.position).not.toBe(status.receivedPosition);
  });
});

describe('parseMysqlStatus on MySQL 8.0 outputs constructed from its manual', () => {
  it('a replica: Seconds_Behind_Source, thread state, received = executed ∪ retrieved, errant by own server_uuid', () => {
    // Act
    const status = parseMysqlStatus('mysql', fixture('mysql8-replica-documented'));

    // Assess
    expect(status).toMatchObject({
      role: 'replica',
      writable: false,
      streaming: true,
      secondsBehind: 2,
      upstream: '10.0.1.5:3306',
      receivedPosition: '2174b383-5441-11e8-b90a-c80aa9429562:1-2,3e11fa47-71ca-11e1-9e33-c80aa9429562:1-120',
      errantTransactions: ['2174b383-5441-11e8-b90a-c80aa9429562:1-2'],
      version: '8.0.36',
    });
    expect(status.mysql).toMatchObject({ dialect: 'mysql', series: '8.0', gtidEnforced: true });
  });

  it('a primary with an acknowledging semi-sync replica from SHOW REPLICAS', () => {
    expect(parseMysqlStatus('mysql', fixture('mysql8-primary-documented'))).toMatchObject({
      role: 'primary',
      writable: true,
      replicas: [{ name: '10.0.2.7:3306', streaming: true, synchronous: true }],
    });
  });
});

describe('parseMysqlStatus refuses what it does not understand', () => {
  const ok = JSON.parse(fixture('mariadb-primary-fresh').stdout) as Record<string, unknown>;
  const line = (patch: Record<string, unknown>) => ({ exitCode: 0, stdout: `${JSON.stringify({ ...ok, ...patch })}\n`, stderr: '', durationMs: 1 });
  it.each([
    { name: 'a non-zero exit', result: { exitCode: 1, stdout: '', stderr: 'boom', durationMs: 1 } },
    { name: 'no JSON line', result: { exitCode: 0, stdout: 'hello\n', stderr: '', durationMs: 1 } },
    { name: 'broken JSON', result: { exitCode: 0, stdout: '{"running":tru\n', stderr: '', durationMs: 1 } },
    { name: 'a bad GTID', result: line({ vars: { ...(ok.vars as object), gtidCurrentPos: '0-1' } }) },
    { name: 'a replica row that does not fit its header', result: line({ replicaStatus: 'A\tB\n1' }) },
    { name: 'a non-numeric replica port', result: line({ replicaHosts: 'Server_id\tHost\tPort\tMaster_id\n2\th\tx\t1' }) },
  ])('$name', ({ result }) => {
    expect(() => parseMysqlStatus('mariadb', result)).toThrow(UnexpectedOutputError);
  });

  it('a running server that does not answer is unknown, never writable', () => {
    expect(parseMysqlStatus('mariadb', { exitCode: 0, stdout: '{"running":true,"answered":false,"fenced":false,"promoted":false}\n', stderr: '', durationMs: 1 })).toEqual({
      role: 'unknown',
      writable: false,
      fenced: false,
      promotedByTwinstack: false,
    });
  });
});

describe('parsers of promote, fence and startReplication', () => {
  const r = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '', durationMs: 1 });
  it('parses their JSON lines', () => {
    expect(parseMysqlPromote(r('{"promoted":true,"alreadyPrimary":false}\n'))).toEqual({ promoted: true, alreadyPrimary: false });
    expect(parseMysqlFence(r('{"fenced":true,"wasRunning":true,"killed":3}\n'))).toEqual({ fenced: true, wasRunning: true, killed: 3 });
    expect(parseMysqlStartReplication(r('started\n{"replicating":true,"started":false,"caughtUp":true,"primaryPosition":"0-1-5"}\n'))).toMatchObject({ caughtUp: true });
  });
  it('refuses a failed promote', () => {
    expect(() => parseMysqlPromote({ exitCode: 5, stdout: '', stderr: 'refusing', durationMs: 1 })).toThrow(UnexpectedOutputError);
  });
});

describe('switchover and rejoin outputs recorded from the live MariaDB 10.11 (mariadb-switchover integration test)', () => {
  it('a demotion: the final position, and a repeated one reports the same, no longer writable before', () => {
    // Act
    const first = parseMysqlDemotion('mariadb', fixture('mariadb-demote'));
    const again = parseMysqlDemotion('mariadb', fixture('mariadb-demote-again'));

    // Assess
    expect(first.position).toMatch(new RegExp(`^0-${MARIADB_SWITCH_PRIMARY_ID}-\\d+$`));
    expect(first).toMatchObject({ wasWritable: true, killed: 1 });
    expect(again).toEqual({ position: first.position, wasWritable: false, killed: 0 });
  });

  it('the status of a demoted primary: read-only, demoted, not fenced', () => {
    expect(parseMysqlStatus('mariadb', fixture('mariadb-primary-demoted'))).toMatchObject({ role: 'primary', writable: false, fenced: false, demoted: true });
  });

  it('an older status line without the marker reads as not demoted (a primary) and says nothing for a stopped server', () => {
    expect(parseMysqlStatus('mariadb', fixture('mariadb-primary-fresh'))).toMatchObject({ role: 'primary', demoted: false });
    expect(parseMysqlStatus('mariadb', fixture('mariadb-stopped-fenced'))).not.toHaveProperty('demoted');
  });

  it.each([
    { name: 'mariadb-rejoin-repointed', method: 'repointed' },
    { name: 'mariadb-rejoin-already-replica', method: 'already-replica' },
  ])('$name: nothing diverged', ({ name, method }) => {
    expect(parseMysqlRejoin('mariadb', fixture(name))).toMatchObject({ method, divergent: { amount: 0 } });
  });

  it('a rejoin with errant transactions: each GTID counted, where they were saved', () => {
    // Act
    const rejoin = parseMysqlRejoin('mariadb', fixture('mariadb-rejoin-needs-restore'));

    // Assess
    expect(rejoin.method).toBe('needs-restore');
    expect(rejoin.divergent.amount).toBe(3);
    expect(rejoin.divergent.transactions).toEqual([38, 39, 40].map((seq) => `0-${MARIADB_SWITCH_PRIMARY_ID}-${seq}`));
    expect(rejoin.divergent.savedTo).toMatch(/\/mysql\/main\.twinstack-divergent-\d{8}T\d{6}Z$/);
    expect(rejoin.detail.join('\n')).toMatch(/restore it from the new primary/);
  });
});

describe('switchover and rejoin outputs constructed for MySQL 8.0 (no server here)', () => {
  it('a demotion normalises the multi-line gtid_executed', () => {
    expect(parseMysqlDemotion('mysql', fixture('mysql8-demote-constructed')).position).toBe('2174b383-5441-11e8-b90a-c80aa9429562:1-2,3e11fa47-71ca-11e1-9e33-c80aa9429562:1-120');
  });

  it('a rejoin counts the GTID_SUBTRACT set transaction by transaction, one entry per source', () => {
    // Act
    const rejoin = parseMysqlRejoin('mysql', fixture('mysql8-rejoin-needs-restore-constructed'));

    // Assess
    expect(rejoin.divergent).toEqual({
      amount: 4,
      savedTo: '/var/lib/mysql.twinstack-divergent-20261201T150414Z',
      transactions: ['3e11fa47-71ca-11e1-9e33-c80aa9429562:121-123', '2174b383-5441-11e8-b90a-c80aa9429562:3'],
    });
  });
});

describe('switchover and rejoin parsers refuse what they do not understand', () => {
  const r = (stdout: string, exitCode = 0): CommandResult => ({ exitCode, stdout, stderr: 'refusing', durationMs: 1 });
  it.each([
    { name: 'a refused rejoin (exit 5)', parse: () => parseMysqlRejoin('mariadb', r('', 5)) },
    { name: 'needs-restore without errant transactions', parse: () => parseMysqlRejoin('mariadb', r('{"method":"needs-restore","errant":"","savedTo":"/x"}\n')) },
    { name: 'needs-restore without a saved copy', parse: () => parseMysqlRejoin('mariadb', r('{"method":"needs-restore","errant":"0-1-5","savedTo":""}\n')) },
    { name: 'repointed with errant transactions', parse: () => parseMysqlRejoin('mariadb', r('{"method":"repointed","errant":"0-1-5","savedTo":""}\n')) },
    { name: 'a GTID listed twice', parse: () => parseMysqlRejoin('mariadb', r('{"method":"needs-restore","errant":"0-1-5,0-1-5","savedTo":"/x"}\n')) },
    { name: 'a method it does not know', parse: () => parseMysqlRejoin('mariadb', r('{"method":"rewound","errant":"","savedTo":""}\n')) },
    { name: 'a demotion with a bad position', parse: () => parseMysqlDemotion('mariadb', r('{"demoted":true,"wasWritable":true,"killed":0,"position":"0-1"}\n')) },
    { name: 'a failed undoDemote', parse: () => parseMysqlUndoDemote(r('', 5)) },
  ])('$name', ({ parse }) => {
    expect(parse).toThrow(UnexpectedOutputError);
  });

  it('parses undoDemote', () => {
    expect(parseMysqlUndoDemote(r('{"undone":true,"writable":true}\n'))).toEqual({ undone: true, writable: true });
  });
});
