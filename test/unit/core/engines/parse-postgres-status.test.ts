import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../../../functions/core/command.ts';
import { UnexpectedOutputError } from '../../../../functions/core/errors.ts';
import { postgresEngine } from '../../../../functions/core/engines/postgres/postgres.engine.ts';
import { parsePostgresPromote } from '../../../../functions/core/engines/postgres/parse-postgres-status.ts';

function result(stdout: string, exitCode = 0, stderr = ''): CommandResult {
  return { exitCode, stdout, stderr, durationMs: 12 };
}

/** Outputs captured from the status script against PostgreSQL 15.18. */
const PRIMARY_WITH_SYNC_REPLICA =
  '{"role" : "primary", "writable" : true, "position" : "0/3000000", "receivedPosition" : null, "replayGapBytes" : null, "upstream" : null, "streaming" : null, "replicas" : [{"name" : "twin_main", "state" : "streaming", "syncState" : "sync", "replayLagBytes" : 0}], "fenced" : false}\n';
const REPLICA_STREAMING =
  '{"role" : "replica", "writable" : false, "position" : "0/30002C8", "receivedPosition" : "0/3000400", "replayGapBytes" : 312, "upstream" : "127.0.1.1:5432", "streaming" : true, "replicas" : null, "fenced" : false}\n';
const STOPPED = '{"role":"stopped","writable":false,"fenced":false}\n';
const FENCED = '{"role":"stopped","writable":false,"fenced":true}\n';
const UNKNOWN = '{"role":"unknown","writable":false,"fenced":false,"detail":"server is running but did not answer"}\n';

describe('postgresEngine.parseStatus', () => {
  it.each([
    {
      name: 'primary with a sync replica',
      stdout: PRIMARY_WITH_SYNC_REPLICA,
      status: { role: 'primary', writable: true, fenced: false, position: '0/3000000', replicas: [{ name: 'twin_main', streaming: true, synchronous: true, lag: 0 }] },
    },
    {
      name: 'primary without replicas',
      stdout: '{"role" : "primary", "writable" : true, "position" : "0/1500790", "receivedPosition" : null, "replayGapBytes" : null, "upstream" : null, "streaming" : null, "replicas" : [], "fenced" : false}',
      status: { role: 'primary', writable: true, fenced: false, position: '0/1500790', replicas: [] },
    },
    {
      name: 'read-only primary',
      stdout: '{"role" : "primary", "writable" : false, "position" : "0/1500790", "replicas" : [], "fenced" : false}',
      status: { role: 'primary', writable: false, fenced: false, position: '0/1500790', replicas: [] },
    },
    {
      name: 'replica streaming',
      stdout: REPLICA_STREAMING,
      status: { role: 'replica', writable: false, fenced: false, position: '0/30002C8', receivedPosition: '0/3000400', upstream: '127.0.1.1:5432', streaming: true },
    },
    {
      name: 'replica whose primary is gone',
      stdout: '{"role" : "replica", "writable" : false, "position" : "0/30002C8", "receivedPosition" : "0/30002C8", "replayGapBytes" : 0, "upstream" : null, "streaming" : false, "replicas" : null, "fenced" : true}',
      status: { role: 'replica', writable: false, fenced: true, position: '0/30002C8', receivedPosition: '0/30002C8', streaming: false },
    },
    {
      name: 'fenced old primary restarted by hand (read-only, nothing received)',
      stdout: '{"role" : "replica", "writable" : false, "position" : "0/50000D8", "receivedPosition" : null, "replayGapBytes" : null, "upstream" : null, "streaming" : false, "replicas" : null, "fenced" : true}',
      status: { role: 'replica', writable: false, fenced: true, position: '0/50000D8', streaming: false },
    },
    { name: 'stopped', stdout: STOPPED, status: { role: 'stopped', writable: false, fenced: false } },
    { name: 'fenced', stdout: FENCED, status: { role: 'stopped', writable: false, fenced: true } },
    { name: 'running but not answering', stdout: UNKNOWN, status: { role: 'unknown', writable: false, fenced: false } },
    {
      name: 'primary twinstack promoted (marker present)',
      stdout: '{"role" : "primary", "writable" : true, "position" : "0/5000100", "replicas" : [], "fenced" : false, "promotedByTwinstack" : true}',
      status: { role: 'primary', writable: true, fenced: false, position: '0/5000100', replicas: [], promotedByTwinstack: true },
    },
    {
      name: 'standalone primary (marker absent)',
      stdout: '{"role" : "primary", "writable" : true, "position" : "0/5000100", "replicas" : [], "fenced" : false, "promotedByTwinstack" : false}',
      status: { role: 'primary', writable: true, fenced: false, position: '0/5000100', replicas: [], promotedByTwinstack: false },
    },
    {
      name: 'stopped, marker reported',
      stdout: '{"role":"stopped","writable":false,"fenced":true,"promotedByTwinstack":true}\n',
      status: { role: 'stopped', writable: false, fenced: true, promotedByTwinstack: true },
    },
    {
      name: 'running but not answering, marker reported',
      stdout: '{"role":"unknown","writable":false,"fenced":false,"promotedByTwinstack":false,"detail":"server is running but did not answer"}\n',
      status: { role: 'unknown', writable: false, fenced: false, promotedByTwinstack: false },
    },
    { name: 'chatter before the JSON line', stdout: `waiting for server...\n${STOPPED}`, status: { role: 'stopped', writable: false, fenced: false } },
    {
      name: 'promoted primary with its fork position (captured after a switchover)',
      stdout: '{"role" : "primary", "writable" : true, "position" : "0/3029C20", "replicas" : [], "fenced" : false, "promotedByTwinstack" : true, "demoted" : false, "forkPosition" : "0/3029BF0"}',
      status: { role: 'primary', writable: true, fenced: false, position: '0/3029C20', replicas: [], promotedByTwinstack: true, demoted: false, forkPosition: '0/3029BF0' },
    },
    {
      name: 'primary that never left timeline 1 (fork null)',
      stdout: '{"role" : "primary", "writable" : true, "position" : "0/1500790", "replicas" : [], "fenced" : false, "demoted" : false, "forkPosition" : null}',
      status: { role: 'primary', writable: true, fenced: false, position: '0/1500790', replicas: [], demoted: false },
    },
    {
      name: 'demoted primary (stopped, marker present)',
      stdout: '{"role":"stopped","writable":false,"fenced":false,"promotedByTwinstack":false,"demoted":true}\n',
      status: { role: 'stopped', writable: false, fenced: false, promotedByTwinstack: false, demoted: true },
    },
    {
      name: 'replica: a fork position is never reported for it',
      stdout: '{"role" : "replica", "writable" : false, "position" : "0/30002C8", "receivedPosition" : "0/30002C8", "streaming" : true, "upstream" : "127.0.2.1:5432", "fenced" : false, "demoted" : false, "forkPosition" : "0/3000000"}',
      status: { role: 'replica', writable: false, fenced: false, position: '0/30002C8', receivedPosition: '0/30002C8', upstream: '127.0.2.1:5432', streaming: true, demoted: false },
    },
  ])('parses $name', ({ stdout, status }) => {
    // Act
    const parsed = postgresEngine.parseStatus(result(stdout));

    // Assess
    expect(parsed).toStrictEqual(status);
  });

  it('never reports a stopped server as writable', () => {
    // Act
    const parsed = postgresEngine.parseStatus(result('{"role":"stopped","writable":true,"fenced":false}'));

    // Assess
    expect(parsed.writable).toBe(false);
  });

  it.each([
    { name: 'empty output', stdout: '' },
    { name: 'psql error text', stdout: 'psql: error: connection to server on socket failed' },
    { name: 'truncated JSON', stdout: '{"role" : "primary", "writable" : tr' },
    { name: 'unknown role', stdout: '{"role":"leader","writable":true,"fenced":false}' },
    { name: 'missing fenced', stdout: '{"role":"stopped","writable":false}' },
    { name: 'position not an LSN', stdout: '{"role":"primary","writable":true,"fenced":false,"position":"3000000","replicas":[]}' },
    { name: 'lag not a number', stdout: '{"role":"primary","writable":true,"fenced":false,"position":"0/1","replicas":[{"name":"t","state":"streaming","syncState":"sync","replayLagBytes":"0"}]}' },
    { name: 'a JSON array', stdout: '[1,2]' },
    { name: 'promoted marker not a boolean', stdout: '{"role":"primary","writable":true,"fenced":false,"position":"0/1","replicas":[],"promotedByTwinstack":"yes"}' },
    { name: 'demoted marker not a boolean', stdout: '{"role":"stopped","writable":false,"fenced":false,"demoted":"t"}' },
    { name: 'fork position not an LSN', stdout: '{"role":"primary","writable":true,"fenced":false,"position":"0/1","replicas":[],"forkPosition":"1\t0/3000060"}' },
  ])('rejects $name', ({ stdout }) => {
    // Act / Assess
    expect(() => postgresEngine.parseStatus(result(stdout))).toThrow(UnexpectedOutputError);
  });

  it('rejects a non-zero exit even with a JSON line', () => {
    // Act / Assess
    expect(() => postgresEngine.parseStatus(result(STOPPED, 1, 'boom'))).toThrow(UnexpectedOutputError);
  });
});

describe('parsePostgresPromote', () => {
  it.each([
    { stdout: '{"promoted":true,"alreadyPrimary":false}\n', outcome: { promoted: true, alreadyPrimary: false } },
    { stdout: '{"promoted":false,"alreadyPrimary":true}\n', outcome: { promoted: false, alreadyPrimary: true } },
  ])('parses $stdout', ({ stdout, outcome }) => {
    // Act / Assess
    expect(parsePostgresPromote(result(stdout))).toStrictEqual(outcome);
  });

  it.each([
    { name: 'failure exit', stdout: '', exitCode: 3 },
    { name: 'garbage', stdout: 'done', exitCode: 0 },
    { name: 'wrong shape', stdout: '{"promoted":"yes"}', exitCode: 0 },
  ])('rejects $name', ({ stdout, exitCode }) => {
    // Act / Assess
    expect(() => parsePostgresPromote(result(stdout, exitCode))).toThrow(UnexpectedOutputError);
  });
});

/** Lines captured from DEMOTE_SCRIPT and REJOIN_SCRIPT against PostgreSQL 15.18 (the switchover integration test). */
const DEMOTED = '{"demoted":true,"wasWritable":true,"position":"0/30000A0","checkpoint":"0/3000028","timeline":1}\n';
const REWOUND =
  '{"method":"rewound","divergentBytes":4744,"savedTo":"/srv/twinstack-it-pg-switch/pg/main.divergent-20261201T150552Z","fork":"0/3029BF0","end":"0/302AE78","timeline":"1","reason":""}\n';

describe('postgresEngine.parseDemotion', () => {
  it.each([
    { name: 'a first demotion', stdout: `shut down cleanly\n${DEMOTED}`, demotion: { position: '0/30000A0', wasWritable: true } },
    { name: 'a repeated demotion', stdout: DEMOTED.replace('"wasWritable":true', '"wasWritable":false'), demotion: { position: '0/30000A0', wasWritable: false } },
  ])('parses $name', ({ stdout, demotion }) => {
    // Act / Assess
    expect(postgresEngine.parseDemotion(result(stdout))).toStrictEqual(demotion);
  });

  it.each([
    { name: 'a refusal (exit 5)', stdout: '', exitCode: 5 },
    { name: 'no JSON', stdout: 'stopped\n', exitCode: 0 },
    { name: 'a position that is not an LSN', stdout: DEMOTED.replace('"0/30000A0"', '"30000A0"'), exitCode: 0 },
    { name: 'demoted false', stdout: DEMOTED.replace('"demoted":true', '"demoted":false'), exitCode: 0 },
  ])('rejects $name', ({ stdout, exitCode }) => {
    // Act / Assess
    expect(() => postgresEngine.parseDemotion(result(stdout, exitCode))).toThrow(UnexpectedOutputError);
  });
});

describe('postgresEngine.parseRejoin', () => {
  it('parses a rewind: the divergent bytes, where they were saved, and what to read', () => {
    // Act
    const rejoin = postgresEngine.parseRejoin(result(REWOUND));

    // Assess
    expect(rejoin.method).toBe('rewound');
    expect(rejoin.divergent).toStrictEqual({ amount: 4744, savedTo: '/srv/twinstack-it-pg-switch/pg/main.divergent-20261201T150552Z' });
    expect(rejoin.detail.join('\n')).toMatch(/4744 bytes of WAL \(timeline 1, 0\/3029BF0 → 0\/302AE78\)/);
    expect(rejoin.detail.join('\n')).toContain('/srv/twinstack-it-pg-switch/pg/main.divergent-20261201T150552Z');
  });

  it.each([
    { method: 'repointed', line: '{"method":"repointed","divergentBytes":0,"savedTo":"","fork":"","end":"0/30000A0","timeline":"1","reason":""}', detail: /re-pointed/ },
    { method: 'already-replica', line: '{"method":"already-replica","divergentBytes":0,"savedTo":"","fork":"","end":"","timeline":"","reason":"already streams from 127.0.2.1:5432"}', detail: /nothing done/ },
  ])('parses $method with nothing divergent and nothing saved', ({ method, line, detail }) => {
    // Act
    const rejoin = postgresEngine.parseRejoin(result(line));

    // Assess
    expect(rejoin).toMatchObject({ method, divergent: { amount: 0 } });
    expect(rejoin.divergent.savedTo).toBeUndefined();
    expect(rejoin.detail.join('\n')).toMatch(detail);
  });

  it('parses needs-restore with pg_rewind\'s reason for the operator', () => {
    // Prepare
    const line = '{"method":"needs-restore","divergentBytes":296,"savedTo":"/var/lib/pg/main.divergent-20261201T150552Z","fork":"0/3000050","end":"0/3000178","timeline":"1","reason":"pg_rewind: error: target server needs to use either data checksums or \\"wal_log_hints = on\\""}';

    // Act
    const rejoin = postgresEngine.parseRejoin(result(line));

    // Assess
    expect(rejoin).toMatchObject({ method: 'needs-restore', divergent: { amount: 296, savedTo: '/var/lib/pg/main.divergent-20261201T150552Z' } });
    expect(rejoin.detail[0]).toMatch(/wal_log_hints = on.*restore it from the new primary/);
  });

  it.each([
    { name: 'a refusal (exit 5)', stdout: '', exitCode: 5 },
    { name: 'an unknown method', stdout: REWOUND.replace('"rewound"', '"merged"'), exitCode: 0 },
    { name: 'negative divergence', stdout: REWOUND.replace('4744', '-1'), exitCode: 0 },
    { name: 'divergence without a saved copy', stdout: REWOUND.replace(/"savedTo":"[^"]*"/, '"savedTo":""'), exitCode: 0 },
    { name: 'a fork that is not an LSN', stdout: REWOUND.replace('"0/3029BF0"', '"3029BF0"'), exitCode: 0 },
  ])('rejects $name', ({ stdout, exitCode }) => {
    // Act / Assess
    expect(() => postgresEngine.parseRejoin(result(stdout, exitCode))).toThrow(UnexpectedOutputError);
  });
});
