/**
 * Recorded status outputs per engine for the engine contract suite: what each
 * engine's status command printed against a real server here (or, for an engine
 * tested against recorded outputs only, its documented output). Every registered
 * engine must have an entry: the contract suite fails for one that does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandResult } from '../../../../../functions/core/command.ts';
import type { EngineName } from '../../../../../functions/core/model.ts';

export interface RecordedStatus {
  /** The server is stopped: status still exits 0 and reports it. */
  readonly stopped: CommandResult;
  /** A running primary with the twin attached. */
  readonly primary: CommandResult;
  /** The twin replicating from it. */
  readonly replica: CommandResult;
  /**
   * The twin after twinstack promoted it (with its forkPosition, for an engine that reports
   * one): the new primary a rejoin follows. Without it the contract's rejoin case uses `primary`.
   */
  readonly promoted?: CommandResult;
}

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '', durationMs: 10 });
/** A status output an engine's own tests keep under test/unit/core/engines/<engine>/fixtures/. */
const fixture = (engine: string, file: string): CommandResult => ok(readFileSync(join(import.meta.dirname, '..', engine, 'fixtures', file), 'utf8'));
/** A whole recorded CommandResult (JSON) kept under test/unit/core/engines/<folder>/fixtures/. */
const commandFixture = (folder: string, file: string): CommandResult => JSON.parse(readFileSync(join(import.meta.dirname, '..', folder, 'fixtures', file), 'utf8')) as CommandResult;
/** A MongoDB fixture: the status script's output under `output`, next to the documentation it follows. */
const wrappedFixture = (folder: string, file: string): CommandResult =>
  ok(`${JSON.stringify((JSON.parse(readFileSync(join(import.meta.dirname, '..', folder, 'fixtures', file), 'utf8')) as { output: unknown }).output)}\n`);
/** The MySQL-family status script reports a stopped server before it talks to any server: the same line for both dialects. */
const MYSQL_FAMILY_STOPPED = ok('{"running":false,"fenced":false,"promoted":false}\n');

export const RECORDED_STATUS: Partial<Record<EngineName, RecordedStatus>> = {
  // PostgreSQL 15.18, the status script of postgres-scripts.ts.
  postgres: {
    stopped: ok('{"role":"stopped","writable":false,"fenced":false,"promotedByTwinstack":false}\n'),
    primary: ok(
      '{"role" : "primary", "writable" : true, "position" : "0/3000000", "receivedPosition" : null, "upstream" : null, "streaming" : null, "replicas" : [{"name" : "twin_main", "state" : "streaming", "syncState" : "sync", "replayLagBytes" : 0}], "version" : "15.18 (Debian 15.18-0+deb12u1)", "dataBytes" : 31006255, "fenced" : false, "promotedByTwinstack" : false}\n',
    ),
    replica: ok(
      '{"role" : "replica", "writable" : false, "position" : "0/30002C8", "receivedPosition" : "0/3000400", "upstream" : "127.0.1.1:5432", "streaming" : true, "replicas" : null, "version" : "15.18 (Debian 15.18-0+deb12u1)", "dataBytes" : 31006255, "fenced" : false, "promotedByTwinstack" : false}\n',
    ),
    // Recorded by the switchover integration test right after the twin's promotion.
    promoted: ok(
      '{"role" : "primary", "writable" : true, "position" : "0/302BBF0", "receivedPosition" : null, "upstream" : null, "streaming" : null, "replicas" : [], "version" : "15.18 (Debian 15.18-0+deb12u1)", "dataBytes" : 30081904, "fenced" : false, "promotedByTwinstack" : true, "demoted" : false, "forkPosition" : "0/302BBC0"}\n',
    ),
  },
  // MariaDB 10.11, the status script of mysql-scripts.ts (recorded by the mariadb integration tests).
  mariadb: {
    stopped: MYSQL_FAMILY_STOPPED,
    primary: commandFixture('mysql', 'mariadb-primary-with-sync-replica.json'),
    replica: commandFixture('mysql', 'mariadb-replica-streaming.json'),
    // The twin right after its promotion (no forkPosition: GTIDs name their origin).
    promoted: commandFixture('mysql', 'mariadb-promoted.json'),
  },
  // MySQL 8.0: no server here; outputs built from MySQL's manual (see the fixture files), not recorded.
  mysql: {
    stopped: MYSQL_FAMILY_STOPPED,
    primary: commandFixture('mysql', 'mysql8-primary-documented.json'),
    replica: commandFixture('mysql', 'mysql8-replica-documented.json'),
  },
  // Redis 7.0.15, the status script of redis-scripts.ts (recorded by redis-engine tests).
  redis: {
    stopped: fixture('redis', 'stopped.json'),
    primary: fixture('redis', 'primary-replica-online.json'),
    replica: fixture('redis', 'replica-streaming.json'),
    // The twin promoted at a switchover (recorded by redis-switchover tests): forkPosition <offset>@<replid2>.
    promoted: fixture('redis', 'twin-promoted-at-switchover.json'),
  },
  // MongoDB: no server here; outputs written from MongoDB's documented shapes (each fixture names its page), not recorded.
  mongodb: {
    stopped: ok('{"twinstack":{"running":false,"fenced":false,"promoted":false}}\n'),
    primary: wrappedFixture('mongodb', 'primary-healthy.json'),
    replica: wrappedFixture('mongodb', 'twin-secondary-streaming.json'),
    promoted: wrappedFixture('mongodb', 'twin-promoted.json'),
  },
};
