/**
 * The Redis status parser on outputs recorded from live redis-server 7.0.15 here
 * (fixtures/*.json: the status script's stdout; fixtures/info-*.txt: raw INFO replies).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../../../../functions/core/command.ts';
import type { DatabaseStatus } from '../../../../../functions/core/engines/database-engine.ts';
import { UnexpectedOutputError } from '../../../../../functions/core/errors.ts';
import { offsetDiff, parseInfoText, parseRedisFence, parseRedisPromote, parseRedisStatus } from '../../../../../functions/core/engines/redis/parse-redis-status.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const recorded = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '', durationMs: 1 });

describe('parseRedisStatus', () => {
  it.each<{ fixture: string; expected: Partial<DatabaseStatus> }>([
    { fixture: 'primary-alone.json', expected: { role: 'primary', writable: true, position: '0', replicas: [], fenced: false, promotedByTwinstack: false, version: '7.0.15' } },
    {
      fixture: 'primary-replica-online.json',
      expected: { role: 'primary', writable: true, position: '14', replicas: [{ name: '127.0.34.1:26379', streaming: true, synchronous: false, lag: 0 }] },
    },
    {
      fixture: 'primary-sync-replica-online.json',
      expected: { role: 'primary', writable: true, replicas: [{ name: '127.0.34.1:26379', streaming: true, synchronous: false, lag: 0 }] },
    },
    { fixture: 'primary-sync-no-replica.json', expected: { role: 'primary', writable: false, replicas: [], fenced: false } },
    { fixture: 'primary-fenced.json', expected: { role: 'primary', writable: false, fenced: true } },
    {
      fixture: 'replica-streaming.json',
      expected: { role: 'replica', writable: false, position: '14', receivedPosition: '14', upstream: '127.0.33.1:26379', streaming: true, fenced: false },
    },
    { fixture: 'replica-after-sync.json', expected: { role: 'replica', streaming: true, position: '417471382' } },
    { fixture: 'replica-syncing.json', expected: { role: 'replica', writable: false, streaming: false, replicationError: 'full sync in progress' } },
    {
      fixture: 'replica-link-down-auth.json',
      expected: {
        role: 'replica',
        streaming: false,
        secondsBehind: 3,
        replicationError: 'Unable to AUTH to MASTER: -WRONGPASS invalid username-password pair or user is disabled.',
      },
    },
    { fixture: 'stopped.json', expected: { role: 'stopped', writable: false, fenced: false, promotedByTwinstack: false } },
    { fixture: 'stopped-fenced.json', expected: { role: 'stopped', writable: false, fenced: true } },
    { fixture: 'unknown-noauth.json', expected: { role: 'unknown', writable: false } },
  ])('parses the recorded $fixture', ({ fixture, expected }) => {
    // Act
    const status = parseRedisStatus(ok(recorded(fixture)));

    // Assess
    expect(status).toMatchObject(expected);
  });

  it('reports every replica as not synchronous, whatever min-replicas-to-write says', () => {
    // Act
    const status = parseRedisStatus(ok(recorded('primary-sync-replica-online.json')));

    // Assess
    expect(status.replicas?.every((r) => r.synchronous === false)).toBe(true);
  });

  it('gives a running server its dataset size and a stopped one none', () => {
    // Act
    const running = parseRedisStatus(ok(recorded('replica-after-sync.json')));
    const stopped = parseRedisStatus(ok(recorded('stopped.json')));

    // Assess
    expect(running.dataBytes).toBeGreaterThan(100 * 1024 * 1024);
    expect(stopped.dataBytes).toBeUndefined();
    expect(stopped.version).toBeUndefined();
  });

  it('computes a replica lag in bytes as master offset minus replica offset', () => {
    // Prepare: the recorded primary with its replica 1000 bytes behind.
    const line = recorded('primary-replica-online.json').replace('offset=14,lag=1', 'offset=0,lag=1').replace('"master_repl_offset":"14"', '"master_repl_offset":"1000"');

    // Act
    const status = parseRedisStatus(ok(line));

    // Assess
    expect(status.replicas).toEqual([{ name: '127.0.34.1:26379', streaming: true, synchronous: false, lag: 1000 }]);
  });

  it.each([
    { name: 'a non-zero exit', result: { exitCode: 1, stdout: recorded('stopped.json'), stderr: 'boom', durationMs: 1 } },
    { name: 'no JSON line', result: ok('hello\n') },
    { name: 'broken JSON', result: ok('{"state":\n') },
    { name: 'an unknown state', result: ok('{"state":"sleeping","fenced":false,"promotedByTwinstack":false}\n') },
    { name: 'an unknown role', result: ok(recorded('primary-alone.json').replace('"role":"master"', '"role":"sentinel"')) },
    { name: 'a non-numeric offset', result: ok(recorded('primary-alone.json').replace('"master_repl_offset":"0"', '"master_repl_offset":"x1"')) },
    { name: 'a replica without its master_host', result: ok(recorded('replica-streaming.json').replace('"master_host"', '"other_host"')) },
    { name: 'an unreadable slave line', result: ok(recorded('primary-replica-online.json').replace('state=online', 'state=online;rm')) },
  ])('refuses $name', ({ result }) => {
    // Act / Assess
    expect(() => parseRedisStatus(result)).toThrow(UnexpectedOutputError);
  });
});

describe('parseInfoText', () => {
  it('turns a recorded INFO replication of a primary into the fields the status script sends', () => {
    // Act
    const info = parseInfoText(recorded('info-primary-replica-online.txt'));

    // Assess
    expect(info).toMatchObject({ role: 'master', connected_slaves: '1' });
    expect(info['slave0']).toMatch(/^ip=127\.0\.34\.1,port=26379,state=online,offset=\d+,lag=\d+$/);
    expect(Object.keys(info)).not.toContain('# Replication');
  });

  it('reads a recorded INFO replication of a streaming replica (CRLF line ends, as redis-cli prints them)', () => {
    // Act
    const info = parseInfoText(recorded('info-replica-streaming.txt'));

    // Assess
    expect(info).toMatchObject({ role: 'slave', master_host: '127.0.33.1', master_port: '26379', master_link_status: 'up' });
  });
});

describe('offsetDiff', () => {
  it.each([
    { to: '1000', from: '400', diff: 600 },
    { to: '400', from: '1000', diff: -600 },
    { to: '9007199254740993', from: '9007199254740990', diff: 3 },
  ])('$to - $from = $diff', ({ to, from, diff }) => {
    expect(offsetDiff(to, from)).toBe(diff);
  });

  it('refuses what is not an offset', () => {
    expect(() => offsetDiff('0/16B3748', '0')).toThrow(UnexpectedOutputError);
  });
});

describe('parseRedisPromote and parseRedisFence', () => {
  it('read the JSON line their scripts print', () => {
    expect(parseRedisPromote(ok('{"promoted":true,"alreadyPrimary":false}\n'))).toEqual({ promoted: true, alreadyPrimary: false });
    expect(parseRedisFence(ok('{"fenced":true,"wasRunning":false}\n'))).toEqual({ fenced: true, wasRunning: false });
  });

  it('refuse a failed promotion', () => {
    expect(() => parseRedisPromote({ exitCode: 5, stdout: '', stderr: 'refusing to adopt it', durationMs: 1 })).toThrow(UnexpectedOutputError);
  });
});
