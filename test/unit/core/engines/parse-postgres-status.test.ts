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
