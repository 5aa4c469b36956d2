/**
 * The mongosh JavaScript of the switchover and rejoin scripts (demote, undoDemote,
 * promote's follower path, rejoin), RUN in a VM against a SIMULATED replica set.
 *
 * This is not MongoDB: the simulation answers the commands the scripts send
 * (hello, replSetGetStatus/GetConfig/Reconfig/StepDown/Freeze/StepUp) the way
 * MongoDB's documentation describes them, elects the one electable member on each
 * `sleep`, and rolls a diverged member back into `<dbPath>/rollback/`. It proves the
 * scripts' own control flow (markers, refusals, idempotent re-runs, which method is
 * reported), never MongoDB's behaviour.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DEMOTE_SCRIPT, PROMOTE_SCRIPT, REJOIN_SCRIPT, UNDO_DEMOTE_SCRIPT } from '../../../../../functions/core/engines/mongodb/mongodb-scripts.ts';
import { parseMongodbDemotion, parseMongodbRejoin } from '../../../../../functions/core/engines/mongodb/parse-mongodb-status.ts';

const A = '10.0.1.5:27017';
const B = '10.1.1.5:27017';
const DBPATH = '/var/lib/mongodb';

interface Ts {
  t: number;
  i: number;
}
interface ConfigMember {
  _id: number;
  host: string;
  priority: number;
  votes: number;
  tags?: Record<string, string>;
}
interface Config {
  _id: string;
  version: number;
  members: ConfigMember[];
}
interface Member {
  state: 'PRIMARY' | 'SECONDARY' | 'REMOVED' | 'ROLLBACK';
  optime: Ts;
  config: Config;
  /** Reachable from the other member (its heartbeats and a direct connection). */
  up: boolean;
  /** Files in its dbPath (this simulation's whole file system for that host). */
  files: Map<string, { content: string; mtimeMs: number }>;
}

class Quit extends Error {
  constructor(readonly code: number) {
    super(`quit(${code})`);
  }
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const after = (a: Ts, b: Ts): boolean => a.t > b.t || (a.t === b.t && a.i > b.i);

/** Two members, A the primary (priority 1) and B the passive twin, both at `optime`. */
function healthySet(optime: Ts = { t: 1700000000, i: 1 }): { members: Record<string, Member>; clock: { now: number } } {
  const config: Config = {
    _id: 'rs0',
    version: 3,
    members: [
      { _id: 0, host: A, priority: 1, votes: 1 },
      { _id: 1, host: B, priority: 0, votes: 0, tags: { twinstack: 'twin' } },
    ],
  };
  const member = (state: Member['state']): Member => ({ state, optime: { ...optime }, config: clone(config), up: true, files: new Map() });
  return { members: { [A]: member('PRIMARY'), [B]: member('SECONDARY') }, clock: { now: 1_000_000 } };
}

/** One heartbeat round (about 2 s of a real set): config propagation, elections, syncing and rollback. */
function heartbeat(world: ReturnType<typeof healthySet>): void {
  const { members, clock } = world;
  const primaryOf = (): string | undefined => Object.keys(members).find((h) => members[h]!.state === 'PRIMARY' && members[h]!.up);
  const newest = Object.values(members).reduce((best, m) => (m.up && m.config.version > best.version ? m.config : best), Object.values(members)[0]!.config);
  for (const [host, m] of Object.entries(members)) {
    if (!m.up) continue;
    const inNewest = newest.members.some((c) => c.host === host);
    if (newest.version > m.config.version && inNewest) m.config = clone(newest);
    if (!inNewest && m.state !== 'PRIMARY') m.state = 'REMOVED';
  }
  const primary = primaryOf();
  for (const [host, m] of Object.entries(members)) {
    if (!m.up || primary === undefined || host === primary || !members[primary]!.config.members.some((c) => c.host === host)) continue;
    const source = members[primary]!;
    if (m.state === 'REMOVED' || m.state === 'ROLLBACK') {
      // A member ahead of its new sync source holds history the set never had: MongoDB rolls it back.
      if (after(m.optime, source.optime)) {
        m.state = 'ROLLBACK';
        m.files.set(`${DBPATH}/rollback/app.orders/removed.${clock.now}.bson`, { content: 'documents', mtimeMs: clock.now });
        m.optime = { ...source.optime };
        continue;
      }
      m.state = 'SECONDARY';
    }
    if (m.state === 'SECONDARY') m.optime = { ...source.optime };
  }
  if (primaryOf() === undefined) {
    const electable = Object.entries(members).find(([host, m]) => m.up && m.state === 'SECONDARY' && (m.config.members.find((c) => c.host === host)?.priority ?? 0) > 0);
    if (electable) electable[1].state = 'PRIMARY';
  }
}

/** Runs the JavaScript of `script` as mongosh would on member `self`: what it printed and its exit code. */
function runMongosh(script: string, world: ReturnType<typeof healthySet>, self: string, env: Record<string, string> = {}): { out: string; code: number } {
  const { members, clock } = world;
  // Time passes between two steps of a workflow: one heartbeat round.
  heartbeat(world);
  const me = members[self]!;
  const printed: string[] = [];
  const primaryOf = (): string | undefined => Object.keys(members).find((h) => members[h]!.state === 'PRIMARY' && members[h]!.up);

  const runCommand = (host: string) => (cmd: Record<string, unknown>): Record<string, unknown> => {
    const m = members[host]!;
    const name = Object.keys(cmd)[0];
    const primary = primaryOf();
    switch (name) {
      case 'hello':
        return { ok: 1, isWritablePrimary: m.state === 'PRIMARY', secondary: m.state === 'SECONDARY', setName: 'rs0', ...(primary && { primary }), lastWrite: { opTime: { ts: m.optime } } };
      case 'replSetGetStatus':
        return {
          ok: 1,
          set: 'rs0',
          members: m.config.members.map((c) => {
            const other = members[c.host]!;
            const visible = c.host === host || other.up;
            return { _id: c._id, name: c.host, health: visible ? 1 : 0, stateStr: visible ? other.state : '(not reachable/healthy)', optime: { ts: other.optime }, ...(c.host === host && { self: true }) };
          }),
          optimes: { lastAppliedOpTime: { ts: m.optime }, lastCommittedOpTime: { ts: m.optime } },
          syncSourceHost: m.state === 'SECONDARY' && primary !== undefined ? primary : '',
        };
      case 'replSetGetConfig':
        return { ok: 1, config: clone(m.config) };
      case 'replSetReconfig': {
        const next = clone(cmd['replSetReconfig'] as Config);
        if (cmd['force'] !== true) {
          if (m.state !== 'PRIMARY') return { ok: 0, code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not primary' };
          if ((next.members.find((c) => c.host === host)?.priority ?? 0) === 0) return { ok: 0, code: 99, codeName: 'NodeNotElectable', errmsg: 'not electable under the new configuration' };
        }
        m.config = next;
        return { ok: 1 };
      }
      case 'replSetStepDown':
        if (m.state === 'PRIMARY') m.state = 'SECONDARY';
        return { ok: 1 };
      case 'replSetFreeze':
      case 'replSetStepUp':
      case 'killAllSessions':
        return { ok: 1 };
      default:
        return { ok: 0, errmsg: `the simulation does not know ${String(name)}` };
    }
  };

  const adminOf = (host: string) => ({ runCommand: runCommand(host), auth: () => true });
  const fs = {
    existsSync: (path: string) => me.files.has(path) || [...me.files.keys()].some((p) => p.startsWith(`${path}/`)),
    readFileSync: (path: string) => me.files.get(path)?.content ?? '',
    writeFileSync: (path: string, content: string) => me.files.set(path, { content, mtimeMs: clock.now }),
    rmSync: (path: string) => me.files.delete(path),
    readdirSync: (dir: string) => [...new Set([...me.files.keys()].filter((p) => p.startsWith(`${dir}/`)).map((p) => p.slice(dir.length + 1).split('/')[0]!))],
    statSync: (path: string) => ({ isDirectory: () => !me.files.has(path), mtimeMs: me.files.get(path)?.mtimeMs ?? 0 }),
  };
  class FakeDate {
    getTime(): number {
      return clock.now;
    }
  }
  class Mongo {
    private readonly host: string;
    constructor(uri: string) {
      this.host = /^mongodb:\/\/([^/]+)\//.exec(uri)?.[1] ?? '';
      if (!members[this.host]?.up) throw new Error(`connect ECONNREFUSED ${this.host}`);
    }
    getDB() {
      return adminOf(this.host);
    }
  }
  const js = [...script.matchAll(/<<'TWINSTACK_JS'\n([\s\S]*?)TWINSTACK_JS\n/g)].map((m) => m[1] ?? '').at(-1) ?? '';
  const sandbox = {
    require: (module: string) => (module === 'fs' ? fs : undefined),
    process: { env: { TWINSTACK_ADMIN_USER: 'twinstack_admin', TWINSTACK_AUTH_FILE: `${DBPATH}/twinstack.admin-auth`, TWINSTACK_DBPATH: DBPATH, TWINSTACK_FENCED: `${DBPATH}/twinstack.fenced`, TWINSTACK_PROMOTED: `${DBPATH}/twinstack.promoted`, TWINSTACK_DEMOTED: `${DBPATH}/twinstack.demoted`, TWINSTACK_ADMIN_PASSWORD: 'pw', ...env } },
    db: { getSiblingDB: () => adminOf(self) },
    Mongo,
    Date: FakeDate,
    print: (value: unknown) => printed.push(String(value)),
    quit: (code: number) => {
      throw new Quit(code);
    },
    sleep: (ms: number) => {
      clock.now += ms;
      heartbeat(world);
    },
  };
  let code = 0;
  try {
    const value: unknown = runInNewContext(js, sandbox, { timeout: 5_000 });
    if (value !== null && value !== undefined) printed.push(JSON.stringify(value));
  } catch (error) {
    if (!(error instanceof Quit)) throw error;
    code = error.code;
  }
  return { out: `${printed.join('\n')}\n`, code };
}

const ok = (stdout: string) => ({ exitCode: 0, stdout, stderr: '', durationMs: 1 });

describe('MongoDB switchover scripts on a simulated replica set', () => {
  it('demote: every member priority 0, no primary, the final position; a repeat reports the same', () => {
    // Prepare
    const world = healthySet();

    // Act
    const first = runMongosh(DEMOTE_SCRIPT, world, A);
    world.members[A]!.optime = { t: 1700000009, i: 9 }; // a no-op the simulation lets pass: the position must not move
    const again = runMongosh(DEMOTE_SCRIPT, world, A);

    // Assess
    expect(first.code).toBe(0);
    expect(parseMongodbDemotion(ok(first.out))).toEqual({ position: '1700000000.1', wasWritable: true });
    expect(parseMongodbDemotion(ok(again.out))).toEqual({ position: '1700000000.1', wasWritable: false });
    expect(world.members[A]!.state).toBe('SECONDARY');
    expect(world.members[A]!.config.members.every((m) => m.priority === 0)).toBe(true);
    expect(JSON.parse(world.members[A]!.files.get(`${DBPATH}/twinstack.demoted`)!.content)).toMatchObject({ priorities: [{ host: A, priority: 1 }, { host: B, priority: 0 }] });
  });

  it('switchover: promote keeps the demoted caught-up member as a follower, and its rejoin is a plain re-point', () => {
    // Prepare
    const world = healthySet();
    runMongosh(DEMOTE_SCRIPT, world, A);

    // Act
    const promoted = runMongosh(PROMOTE_SCRIPT, world, B);
    const fork = world.members[B]!.files.get(`${DBPATH}/twinstack.promoted`)!.content.trim().split(' ').at(-1)!;
    const rejoined = runMongosh(REJOIN_SCRIPT, world, A, { TWINSTACK_NEW_PRIMARY: B, TWINSTACK_MEMBER: A, TWINSTACK_FORK: fork, TWINSTACK_WAIT: '60' });
    const again = runMongosh(REJOIN_SCRIPT, world, A, { TWINSTACK_NEW_PRIMARY: B, TWINSTACK_MEMBER: A, TWINSTACK_FORK: fork, TWINSTACK_WAIT: '60' });

    // Assess
    expect(promoted.code).toBe(0);
    expect(JSON.parse(promoted.out.trim().split('\n').at(-1)!)).toMatchObject({ promoted: true, removedMembers: [], followers: [A] });
    expect(world.members[B]!.state).toBe('PRIMARY');
    expect(world.members[B]!.config.members.find((m) => m.host === A)).toMatchObject({ priority: 0, votes: 1 });
    expect(rejoined.code).toBe(0);
    expect(parseMongodbRejoin(ok(rejoined.out))).toMatchObject({ method: 'repointed', divergent: { amount: 0 } });
    expect(parseMongodbRejoin(ok(again.out)).method).toBe('already-replica');
    expect(world.members[A]!.files.has(`${DBPATH}/twinstack.demoted`)).toBe(false);
  });

  it('undoDemote gives writes back while nothing was promoted, and refuses once the twin is primary', () => {
    // Prepare
    const aborted = healthySet();
    runMongosh(DEMOTE_SCRIPT, aborted, A);
    const promoted = healthySet();
    runMongosh(DEMOTE_SCRIPT, promoted, A);
    runMongosh(PROMOTE_SCRIPT, promoted, B);

    // Act
    const undone = runMongosh(UNDO_DEMOTE_SCRIPT, aborted, A);
    const refused = runMongosh(UNDO_DEMOTE_SCRIPT, promoted, A);

    // Assess
    expect(undone).toEqual({ out: '{"undone":true,"writable":true}\n', code: 0 });
    expect(aborted.members[A]!.state).toBe('PRIMARY');
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/10\.1\.1\.5:27017 is the primary now.*two primaries/);
    expect(promoted.members[A]!.state).toBe('SECONDARY');
  });

  it('failover: the returning fenced old member is added back, rolled back into <dbPath>/rollback, and its divergence counted', () => {
    // Prepare: A took writes up to …110 while B stayed at …100; A is unreachable, B is promoted.
    const world = healthySet({ t: 1700000100, i: 1 });
    world.members[A]!.optime = { t: 1700000110, i: 1 };
    world.members[A]!.up = false;
    const promoted = runMongosh(PROMOTE_SCRIPT, world, B);
    // A returns, fenced (stepped down, unelectable).
    world.members[A]!.up = true;
    world.members[A]!.state = 'SECONDARY';
    world.members[A]!.files.set(`${DBPATH}/twinstack.fenced`, { content: '', mtimeMs: 0 });

    // Act
    const rejoined = runMongosh(REJOIN_SCRIPT, world, A, { TWINSTACK_NEW_PRIMARY: B, TWINSTACK_MEMBER: A, TWINSTACK_FORK: '1700000100.1', TWINSTACK_WAIT: '60' });

    // Assess
    expect(JSON.parse(promoted.out.trim().split('\n').at(-1)!)).toMatchObject({ promoted: true, forced: true, removedMembers: [A], followers: [] });
    expect(rejoined.code).toBe(0);
    const rejoin = parseMongodbRejoin(ok(rejoined.out));
    expect(rejoin).toMatchObject({ method: 'rewound', divergent: { amount: 10, savedTo: `${DBPATH}/rollback` } });
    expect(world.members[B]!.config.members.find((m) => m.host === A)).toMatchObject({ priority: 0, votes: 0, tags: { twinstack: 'twin' } });
    expect(world.members[A]!.state).toBe('SECONDARY');
    expect(world.members[A]!.files.has(`${DBPATH}/twinstack.fenced`)).toBe(false);
  });

  it('rejoin refuses a writable primary that is neither fenced nor demoted, and changes nothing', () => {
    // Prepare
    const world = healthySet();
    const before = clone(world.members[B]!.config);

    // Act
    const refused = runMongosh(REJOIN_SCRIPT, world, A, { TWINSTACK_NEW_PRIMARY: B, TWINSTACK_MEMBER: A, TWINSTACK_FORK: '1700000000.1', TWINSTACK_WAIT: '60' });

    // Assess
    expect(refused.code).toBe(3);
    expect(refused.out).toMatch(/neither fenced nor demoted.*nothing was changed/);
    expect(world.members[A]!.state).toBe('PRIMARY');
    expect(world.members[B]!.config).toEqual(before);
  });

  it('promote still refuses (exit 6) while a member it would drop answers and is not a caught-up follower', () => {
    // Prepare: A is a healthy primary.
    const world = healthySet();

    // Act
    const refused = runMongosh(PROMOTE_SCRIPT, world, B);

    // Assess
    expect(refused.code).toBe(6);
    expect(refused.out).toMatch(/still answers heartbeats/);
    expect(world.members[A]!.state).toBe('PRIMARY');
  });
});
