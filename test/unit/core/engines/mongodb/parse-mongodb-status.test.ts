/** The MongoDB status parser against recorded (documented) outputs: each fixture names the documentation page it follows. */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CommandResult } from '../../../../../functions/core/command.ts';
import { UnexpectedOutputError } from '../../../../../functions/core/errors.ts';
import {
  describeForcedPromotion,
  explainReconfigFailure,
  parseMongodbDemotion,
  parseMongodbPromote,
  parseMongodbRejoin,
  parseMongodbStatus,
  parseMongodbUndoDemote,
} from '../../../../../functions/core/engines/mongodb/parse-mongodb-status.ts';

const FIXTURES = new URL('./fixtures/', import.meta.url);

interface StatusFixture {
  readonly docs: readonly string[];
  readonly note: string;
  readonly output: unknown;
}

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as T;
}

/** What the status script prints for a fixture: its output on one line (mongosh's canonical EJSON, newlines removed). */
function printed(name: string): CommandResult {
  return { exitCode: 0, stdout: `${JSON.stringify(fixture<StatusFixture>(name).output)}\n`, stderr: '', durationMs: 5 };
}

const result = (stdout: string, exitCode = 0, stderr = ''): CommandResult => ({ exitCode, stdout, stderr, durationMs: 5 });

describe('mongodb fixtures', () => {
  it.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')))('%s names the MongoDB documentation page it follows', (file) => {
    // Act
    const f = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as { docs: string[] };

    // Assess
    expect(f.docs.length).toBeGreaterThan(0);
    for (const url of f.docs) expect(url).toMatch(/^https:\/\/www\.mongodb\.com\/docs\/manual\/reference\//);
  });
});

describe('parseMongodbStatus', () => {
  it.each([
    {
      name: 'primary-healthy',
      expected: {
        role: 'primary',
        writable: true,
        fenced: false,
        promotedByTwinstack: false,
        position: '1700000000.1',
        version: '7.0.15',
        dataBytes: 73728,
        replicas: [{ name: '10.1.1.5:27017', streaming: true, synchronous: false, lag: 0 }],
        mongodb: { standalone: false, setName: 'rs0', state: 'PRIMARY' },
      },
    },
    {
      name: 'primary-lagging-passive',
      expected: { role: 'primary', replicas: [{ name: '10.1.1.5:27017', streaming: true, synchronous: false, lag: 42 }] },
    },
    {
      name: 'primary-sync-voting-twin',
      expected: { role: 'primary', replicas: [{ name: '10.1.1.5:27017', streaming: true, synchronous: true, lag: 0 }] },
    },
    {
      name: 'primary-three-voters',
      expected: {
        role: 'primary',
        replicas: [
          { name: '10.1.1.5:27017', streaming: true, synchronous: false, lag: 0 },
          { name: '10.0.1.6:27017', streaming: true, synchronous: false, lag: 0 },
        ],
      },
    },
    {
      name: 'primary-with-arbiter',
      expected: { role: 'primary', replicas: [{ name: '10.1.1.5:27017', streaming: true, synchronous: false, lag: 0 }] },
    },
    { name: 'arbiter-self', expected: { role: 'unknown', writable: false, mongodb: { standalone: false, setName: 'rs0' } } },
    {
      name: 'twin-secondary-streaming',
      expected: { role: 'replica', writable: false, position: '1699999997.2', streaming: true, upstream: '10.0.1.5:27017', secondsBehind: 3 },
    },
    {
      name: 'twin-lost-majority',
      expected: { role: 'replica', writable: false, position: '1699999995.4', streaming: false, replicationError: 'could not find member to sync from' },
    },
    { name: 'twin-rollback', expected: { role: 'replica', writable: false, streaming: false, replicationError: 'member is ROLLBACK', position: '1699999970.1' } },
    { name: 'twin-recovering', expected: { role: 'replica', writable: false, streaming: false, replicationError: 'member is RECOVERING' } },
    { name: 'twin-initial-sync', expected: { role: 'unknown', writable: false } },
    { name: 'standalone', expected: { role: 'primary', writable: true, version: '6.0.12', mongodb: { standalone: true } } },
    { name: 'old-primary-fenced', expected: { role: 'replica', writable: false, fenced: true, streaming: false } },
    {
      name: 'twin-promoted',
      expected: { role: 'primary', writable: true, promotedByTwinstack: true, position: '1700000020.1', replicas: [], forkPosition: '1699999990.4', demoted: false },
    },
  ])('reads $name', ({ name, expected }) => {
    // Act
    const status = parseMongodbStatus(printed(name));

    // Assess
    expect(status).toMatchObject(expected);
  });

  it('never reports lag or synchronous replicas for a standalone server', () => {
    // Act
    const status = parseMongodbStatus(printed('standalone'));

    // Assess
    expect(status.replicas).toBeUndefined();
  });

  it('reports a replica without a visible primary with no secondsBehind (nothing to measure against)', () => {
    // Act
    const status = parseMongodbStatus(printed('twin-lost-majority'));

    // Assess
    expect(status.secondsBehind).toBeUndefined();
    expect(status.upstream).toBeUndefined();
  });

  it.each([
    { name: 'stopped', stdout: '{"twinstack":{"running":false,"fenced":false,"promoted":false}}', expected: { role: 'stopped', writable: false, fenced: false } },
    { name: 'stopped and fenced', stdout: '{"twinstack":{"running":true,"fenced":true,"promoted":false,"detail":"mongod is running but did not answer"}}', expected: { role: 'unknown', writable: false, fenced: true } },
  ])('reads the script’s own line when mongod is $name', ({ stdout, expected }) => {
    // Act
    const status = parseMongodbStatus(result(`${stdout}\n`));

    // Assess
    expect(status).toMatchObject(expected);
  });

  it.each([
    { name: 'a non-zero exit', r: result('', 1, 'boom') },
    { name: 'no JSON line', r: result('MongoServerSelectionError\n') },
    { name: 'JSON without the twinstack block', r: result('{"hello":{"ok":1}}\n') },
    { name: 'a malformed timestamp', r: result('{"twinstack":{"running":true,"fenced":false},"hello":{"ok":1,"isWritablePrimary":true,"lastWrite":{"opTime":{"ts":{"$timestamp":{"t":"x","i":1}}}}}}\n') },
    { name: 'a Long beyond 2^53', r: result('{"twinstack":{"running":true,"fenced":false},"hello":{"ok":1},"listDatabases":{"totalSize":{"$numberLong":"9007199254740993"}}}\n') },
  ])('rejects $name with UnexpectedOutputError', ({ r }) => {
    // Act / Assess
    expect(() => parseMongodbStatus(r)).toThrow(UnexpectedOutputError);
  });
});

describe('parseMongodbPromote', () => {
  const forced = {
    promoted: true,
    alreadyPrimary: false,
    forced: true,
    removedMembers: ['10.0.1.5:27017'],
    keptMembers: ['10.1.1.5:27017'],
    twinLastApplied: '1699999995.4',
    twinLastCommitted: '1699999994.1',
  };

  it('reads a forced promotion and says force was used and from which optime writes are lost', () => {
    // Act
    const outcome = parseMongodbPromote(result(`promoting\n${JSON.stringify(forced)}\n`));
    const words = describeForcedPromotion(outcome);

    // Assess
    expect(outcome).toMatchObject({ promoted: true, forced: true, removedMembers: ['10.0.1.5:27017'], twinLastApplied: '1699999995.4' });
    expect(words).toContain('FORCED');
    expect(words).toContain('after optime 1699999995.4');
    expect(words).toContain('w: "majority"');
    expect(words).toContain('rolls them back');
  });

  it('reads a re-run on our promoted primary as a no-op', () => {
    // Act
    const outcome = parseMongodbPromote(result('{"promoted":false,"alreadyPrimary":true,"forced":false,"removedMembers":[]}\n'));

    // Assess
    expect(outcome).toEqual({ promoted: false, alreadyPrimary: true, forced: false, removedMembers: [] });
    expect(describeForcedPromotion(outcome)).toContain('no reconfiguration');
  });

  it('rejects a refusal (non-zero exit)', () => {
    // Act / Assess
    expect(() => parseMongodbPromote(result('refused: member 10.0.1.5:27017 still answers heartbeats\n', 6))).toThrow(UnexpectedOutputError);
  });
});

describe('explainReconfigFailure', () => {
  it.each([
    { name: 'reconfig-error-not-primary', expected: /NotWritablePrimary \(10107\).*run it on the primary/ },
    { name: 'reconfig-error-quorum', expected: /NodeNotFound \(74\): Quorum check failed.*quorum check/ },
    { name: 'reconfig-error-two-voters', expected: /NewReplicaSetConfigurationIncompatible \(103\).*one voting member at a time/ },
    { name: 'reconfig-error-invalid', expected: /^forced replSetReconfig failed: InvalidReplicaSetConfig \(93\).*fix the member entry/ },
  ])('explains $name with its fix', ({ name, expected }) => {
    // Prepare
    const f = fixture<{ force: boolean; reply: unknown }>(name);
    const line = JSON.stringify({ reconfigError: f.reply, force: f.force });

    // Act
    const reason = explainReconfigFailure(result('', 4, `adding member\n${line}\n`));

    // Assess
    expect(reason).toMatch(expected);
  });

  it('returns undefined when no reconfig error was printed', () => {
    // Act / Assess
    expect(explainReconfigFailure(result('', 3, 'refused: replica set name mismatch'))).toBeUndefined();
  });
});

describe('switchover and rejoin outputs (the JSON lines of our scripts; never run against a mongod)', () => {
  it('reports a member with twinstack.demoted as demoted, and no fork for a primary twinstack did not promote', () => {
    // Prepare: the fenced old primary's recorded shape, marked demoted instead.
    const line = JSON.stringify(fixture<StatusFixture>('old-primary-fenced').output).replace('"fenced":true', '"fenced":false,"demoted":true');

    // Act
    const demoted = parseMongodbStatus(result(`${line}\n`));
    const healthy = parseMongodbStatus(printed('primary-healthy'));

    // Assess
    expect(demoted).toMatchObject({ role: 'replica', writable: false, demoted: true, fenced: false });
    expect(healthy.forkPosition).toBeUndefined();
    expect(healthy.demoted).toBe(false);
  });

  it('reads a demote and a repeated one (same position, no longer writable), and an undo', () => {
    // Act / Assess
    expect(parseMongodbDemotion(result('{"position":"1700000050.3","wasWritable":true,"reconfig":"forced"}\n'))).toEqual({ position: '1700000050.3', wasWritable: true });
    expect(parseMongodbDemotion(result('{"position":"1700000050.3","wasWritable":false}\n'))).toEqual({ position: '1700000050.3', wasWritable: false });
    expect(parseMongodbUndoDemote(result('{"undone":true,"writable":true}\n'))).toEqual({ undone: true, writable: true });
    expect(() => parseMongodbDemotion(result('{"position":"17:3","wasWritable":true}\n'))).toThrow(UnexpectedOutputError);
  });

  it('counts a rolled-back old member\'s divergence in seconds of oplog beyond the fork, and where MongoDB saved it', () => {
    // Act
    const rejoin = parseMongodbRejoin(
      result('{"method":"rewound","position":"1700000010.2","fork":"1699999990.4","state":"SECONDARY","why":"","rollbackDir":"/var/lib/mongodb/rollback","rollbackFiles":3}\n'),
    );

    // Assess
    expect(rejoin).toMatchObject({ method: 'rewound', divergent: { amount: 20, savedTo: '/var/lib/mongodb/rollback' } });
    expect(rejoin.detail.join(' ')).toMatch(/20 s of oplog beyond the fork at 1699999990\.4.*3 file\(s\) under \/var\/lib\/mongodb\/rollback/);
  });

  it('reads a switchover rejoin (nothing diverged) and a member MongoDB could not roll back (needs a restore)', () => {
    // Act
    const followed = parseMongodbRejoin(result('{"method":"repointed","position":"1699999990.4","fork":"1699999990.4","state":"SECONDARY","why":"","rollbackDir":"/d/rollback","rollbackFiles":0}\n'));
    const stale = parseMongodbRejoin(
      result('{"method":"needs-restore","position":"1690000000.1","fork":"1699999990.4","state":"RECOVERING","why":"too stale to catch up","rollbackDir":"/d/rollback","rollbackFiles":0}\n'),
    );

    // Assess
    expect(followed).toEqual({ method: 'repointed', divergent: { amount: 0 }, detail: ['nothing diverged: it follows the new primary'] });
    expect(stale.method).toBe('needs-restore');
    expect(stale.detail.join(' ')).toMatch(/could not roll it back \(member RECOVERING: too stale to catch up\)\. Fix: restore it/);
  });
});
