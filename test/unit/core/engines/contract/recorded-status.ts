/**
 * Recorded status outputs per engine for the engine contract suite: what each
 * engine's status command printed against a real server here (or, for an engine
 * tested against recorded outputs only, its documented output). Every registered
 * engine must have an entry: the contract suite fails for one that does not.
 */
import type { CommandResult } from '../../../../../functions/core/command.ts';
import type { EngineName } from '../../../../../functions/core/model.ts';

export interface RecordedStatus {
  /** The server is stopped: status still exits 0 and reports it. */
  readonly stopped: CommandResult;
  /** A running primary with the twin attached. */
  readonly primary: CommandResult;
  /** The twin replicating from it. */
  readonly replica: CommandResult;
}

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '', durationMs: 10 });

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
  },
};
