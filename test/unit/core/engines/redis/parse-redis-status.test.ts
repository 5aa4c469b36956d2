/**
 * The Redis status parser on outputs recorded from live redis-server 7.0.15 here
 * (fixtures/*.json: the status script's stdout; fixtures/info-*.txt: raw INFO replies;
 * demote*.txt, undo-demote.txt, rejoin*.txt: those scripts' stdout, recorded by
 * test/integration/redis-switchover.integration.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../../../../functions/core/command.ts';
import type { DatabaseStatus } from '../../../../../functions/core/engines/database-engine.ts';
import { UnexpectedOutputError } from '../../../../../functions/core/errors.ts';
import {
  offsetDiff,
  parseInfoText,
  parsePosition,
  parseRedisDemotion,
  parseRedisFence,
  parseRedisPromote,
  parseRedisRejoin,
  parseRedisStatus,
  parseRedisUndoDemote,
} from '../../../../../functions/core/engines/redis/parse-redis-status.ts';

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
    { fixture: 'primary-demoted.json', expected: { role: 'primary', writable: false, demoted: true, fenced: false, position: '59621' } },
    { fixture: 'primary-fenced.json', expected: { role: 'primary', writable: false, demoted: false, fenced: true } },
    {
      fixture: 'twin-promoted-at-switchover.json',
      expected: { role: 'primary', writable: true, demoted: false, position: '59621', forkPosition: '59621@79ec20adc2c7b8338a4df7a8dfe5fe03ded6a796' },
    },
    {
      fixture: 'new-primary-after-failover.json',
      expected: { role: 'primary', writable: true, position: '97309', forkPosition: '97242@46b432350a943ff1a239d755f46fc997ab516f19' },
    },
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

describe('fork positions', () => {
  it('has none on a primary that was never promoted, and none on a replica', () => {
    // Act
    const alone = parseRedisStatus(ok(recorded('primary-alone.json')));
    const replica = parseRedisStatus(ok(recorded('replica-streaming.json')));

    // Assess
    expect(alone.forkPosition).toBeUndefined();
    expect(replica.forkPosition).toBeUndefined();
    expect(replica.demoted).toBeUndefined();
  });

  it('counts, for the recorded failover, the old primary\'s bytes beyond the fork (second_repl_offset - 1)', () => {
    // Prepare: the fenced old primary kept writing after the twin left it.
    const oldPrimary = parseRedisStatus(ok(recorded('old-primary-fenced-diverged.json')));
    const newPrimary = parseRedisStatus(ok(recorded('new-primary-after-failover.json')));

    // Act
    const divergent = offsetDiff(oldPrimary.position!, newPrimary.forkPosition!);

    // Assess: 100418 - 97242, the count the rejoin recorded right after.
    expect(divergent).toBe(3176);
    expect(parseRedisRejoin(ok(recorded('rejoin-diverged.txt'))).divergent.amount).toBe(divergent);
  });

  it('finds nothing diverged at a recorded switchover: the fork is the demoted primary\'s final position', () => {
    // Act
    const demoted = parseRedisStatus(ok(recorded('primary-demoted.json')));
    const promoted = parseRedisStatus(ok(recorded('twin-promoted-at-switchover.json')));

    // Assess
    expect(offsetDiff(demoted.position!, promoted.forkPosition!)).toBe(0);
    expect(offsetDiff(parseRedisDemotion(ok(recorded('demote.txt'))).position, promoted.position!)).toBe(0);
  });

  it('reads a position and a fork position, and refuses to compare two histories', () => {
    // Act / Assess
    expect(parsePosition('59621')).toEqual({ offset: '59621' });
    expect(parsePosition(`12@${'a'.repeat(40)}`)).toEqual({ offset: '12', replid: 'a'.repeat(40) });
    expect(offsetDiff(`20@${'a'.repeat(40)}`, `12@${'a'.repeat(40)}`)).toBe(8);
    expect(() => offsetDiff(`20@${'a'.repeat(40)}`, `12@${'b'.repeat(40)}`)).toThrow(/unrelated replication histories/);
    expect(() => parsePosition('12@xyz')).toThrow(UnexpectedOutputError);
  });
});

describe('parseRedisDemotion and parseRedisUndoDemote', () => {
  it('read the recorded demote, the repeated demote (same position) and the undo', () => {
    // Act
    const first = parseRedisDemotion(ok(recorded('demote.txt')));
    const again = parseRedisDemotion(ok(recorded('demote-again.txt')));
    const undo = parseRedisUndoDemote(ok(recorded('undo-demote.txt')));

    // Assess
    expect(first).toEqual({ position: '59621', wasWritable: true });
    expect(again).toEqual({ position: '59621', wasWritable: false });
    expect(undo).toEqual({ undone: true, writable: true });
  });

  it.each([
    { name: 'a refused demote', result: { exitCode: 3, stdout: '', stderr: 'is fenced', durationMs: 1 } },
    { name: 'a position that is not an offset', result: ok('{"position":"-1","wasWritable":true}\n') },
    { name: 'a missing flag', result: ok('{"position":"12"}\n') },
  ])('refuse $name', ({ result }) => {
    expect(() => parseRedisDemotion(result)).toThrow(UnexpectedOutputError);
  });
});

describe('parseRedisRejoin', () => {
  it('reads a recorded switchover rejoin: re-pointed, nothing diverged, nothing saved', () => {
    // Act
    const rejoin = parseRedisRejoin(ok(recorded('rejoin-repointed.txt')));

    // Assess
    expect(rejoin).toEqual({ method: 'repointed', divergent: { amount: 0 }, detail: [expect.stringMatching(/partial resync/)] });
    expect(parseRedisRejoin(ok(recorded('rejoin-again.txt'))).method).toBe('already-replica');
  });

  it('reads a recorded divergent rejoin: the bytes, where they were saved, what an operator must read', () => {
    // Act
    const rejoin = parseRedisRejoin(ok(recorded('rejoin-diverged.txt')));

    // Assess
    expect(rejoin.method).toBe('repointed');
    expect(rejoin.divergent).toEqual({
      amount: 3176,
      savedTo: '/srv/twinstack-it-redis-switch/redis/cache/twinstack-diverged-20261201T150253Z-46b432350a943ff1a239d755f46fc997ab516f19-100418.rdb',
    });
    expect(rejoin.detail.join(' ')).toMatch(/3176 bytes .*\(51 keys\) was saved to \/srv\/.*\.rdb before a full sync/);
  });

  it('says what to do with a server of an unrelated history (a full restore)', () => {
    // Act
    const rejoin = parseRedisRejoin(ok('{"method":"needs-restore","divergentBytes":900,"savedTo":"/var/lib/redis/twinstack-diverged-x.rdb","savedKeys":3,"lineage":"unrelated"}\n'));

    // Assess
    expect(rejoin).toMatchObject({ method: 'needs-restore', divergent: { amount: 900, savedTo: '/var/lib/redis/twinstack-diverged-x.rdb' } });
    expect(rejoin.detail.join(' ')).toMatch(/Fix: restore it from the new primary/);
  });

  it.each([
    { name: 'a refused rejoin', result: { exitCode: 3, stdout: '', stderr: 'neither fenced nor demoted', durationMs: 1 } },
    { name: 'divergent bytes saved nowhere', result: ok('{"method":"repointed","divergentBytes":5,"savedTo":"","savedKeys":1,"lineage":"same"}\n') },
    { name: 'a method Redis never uses', result: ok('{"method":"rewound","divergentBytes":0,"savedTo":"","savedKeys":0,"lineage":"same"}\n') },
  ])('refuses $name', ({ result }) => {
    expect(() => parseRedisRejoin(result)).toThrow(UnexpectedOutputError);
  });
});
