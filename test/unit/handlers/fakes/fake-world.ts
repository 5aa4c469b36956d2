/**
 * In-memory fakes of our ports for handler and workflow tests: a parameter store, a
 * DNS router, a health probe, a clock, and a fake database engine whose commands a
 * fake RemoteShell plays against a tiny model of database servers on hosts.
 * Everything the fakes see is recorded so tests can assert what was (not) done.
 */
import { FakeJobs } from './fake-jobs.ts';
import { MemoryLeaseStore } from './memory-lease-store.ts';
import { MemoryParameterStore } from './memory-parameter-store.ts';

export { MemoryParameterStore };
import { Logger } from '@aws-lambda-powertools/logger';
import type { CommandResult, RemoteCommand } from '../../../../functions/core/command.ts';
import type { DatabaseEngine, DatabaseStatus, Demotion, Rejoin } from '../../../../functions/core/engines/database-engine.ts';
import { ENGINE_NAMES } from '../../../../functions/core/engines/engine-registry.ts';
import { DnsChangeError, HostUnreachableError } from '../../../../functions/core/errors.ts';
import type { DnsRecordSpec, DnsTarget, FailoverGroup, Host } from '../../../../functions/core/model.ts';
import { dnsTargetOf } from '../../../../functions/core/model.ts';
import { parameterNames } from '../../../../functions/core/parameter-names.ts';
import type { Clock, DnsRouter, HealthProbe, RemoteShell } from '../../../../functions/core/ports.ts';
import type { StepDeps } from '../../../../functions/handlers/deps/step-deps.ts';

export class MemoryDnsRouter implements DnsRouter {
  readonly records = new Map<string, DnsTarget>();
  readonly changes: DnsTarget[] = [];
  /** pointAt fails this many times with DnsChangeError before succeeding. */
  failNextChanges = 0;
  current(record: DnsRecordSpec): Promise<DnsTarget | undefined> {
    return Promise.resolve(this.records.get(record.name));
  }
  pointAt(record: DnsRecordSpec, target: DnsTarget): Promise<void> {
    if (this.failNextChanges > 0) {
      this.failNextChanges -= 1;
      return Promise.reject(new DnsChangeError('throttled'));
    }
    this.records.set(record.name, target);
    this.changes.push(target);
    return Promise.resolve();
  }
}

export class FakeHealthProbe implements HealthProbe {
  readonly healthy = new Map<string, boolean>();
  check(url: string): Promise<{ healthy: boolean; detail: string }> {
    const ok = this.healthy.get(url) ?? false;
    return Promise.resolve({ healthy: ok, detail: ok ? 'HTTP 200' : 'connection refused' });
  }
}

export const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso) });

/** One database server in the model. Positions are byte offsets, shown as `0/<hex>`. */
export interface FakeDb {
  role: 'primary' | 'replica' | 'stopped';
  writable: boolean;
  fenced: boolean;
  position: number;
  streaming: boolean;
  prepared: boolean;
  /** Bytes a streaming replica catches up per status read. */
  catchUpPerRead: number;
  /** Set when a replica is promoted (PostgreSQL: the twinstack.promoted marker); a restore clears it. */
  promotedByTwinstack: boolean;
  /** A primary that a switchover demoted: writes refused until undo-demote or rejoin. */
  demoted?: boolean;
  /** Replica: the address of the primary it replicates from (absent: any primary of that database). */
  upstream?: string;
  /** Primary once promoted: its position at the promotion (where its history left the old primary's). */
  forkPosition?: number;
  /** Primary: the replicas it waits for (set-sync). */
  syncReplicas?: string[];
}

const lsn = (n: number) => `0/${n.toString(16).toUpperCase()}`;
const parseLsn = (s: string) => Number.parseInt(s.split('/')[1] ?? '0', 16);

/** An engine whose commands are `fake-db <op> <database>`; the FakeShell plays them. */
export const fakeEngine: DatabaseEngine = {
  // Plays any engine (StepDeps.engineFor returns it for every name): neutral words only.
  name: ENGINE_NAMES[0] ?? 'postgres',
  lagUnit: 'bytes',
  sql: true,
  envPrefix: 'FAKEDB',
  replicaName: (database, twinStack) => `twinstack_${twinStack}_${database.name}`.replace(/-/g, '_'),
  compatibilityProblems: () => [],
  preparePrimary: (t, s) => cmd('prepare', t.database.name, { REPLICATION_PASSWORD: s.replicationPassword, APP_PASSWORD: s.appPassword }),
  restoreReplica: (t, s) => cmd('restore', t.database.name, { REPLICATION_PASSWORD: s.replicationPassword }, t.primaryHost.address),
  startReplication: (t, s) => cmd('start-replication', t.database.name, { REPLICATION_PASSWORD: s.replicationPassword }, t.primaryHost.address),
  status: (t) => cmd('status', t.database.name),
  parseStatus: (r: CommandResult): DatabaseStatus => JSON.parse(r.stdout) as DatabaseStatus,
  positionDiff: (to, from) => parseLsn(to) - parseLsn(from),
  fence: (t) => cmd('fence', t.database.name),
  promote: (t) => cmd('promote', t.database.name),
  demote: (t) => cmd('demote', t.database.name),
  parseDemotion: (r: CommandResult): Demotion => JSON.parse(r.stdout) as Demotion,
  undoDemote: (t) => cmd('undo-demote', t.database.name),
  rejoin: (t, s) => cmd('rejoin', t.database.name, { REPLICATION_PASSWORD: s.replicationPassword }, t.primaryHost.address, [t.primaryStatus.forkPosition ?? '']),
  parseRejoin: (r: CommandResult): Rejoin => JSON.parse(r.stdout) as Rejoin,
  setSynchronousReplicas: (t, names) => cmd('set-sync', t.database.name, undefined, undefined, [...names]),
  connection: (t, s) => ({ address: `${t.host.address}:${t.database.port}`, url: `fakedb://app:${s.appPassword}@${t.host.address}:${t.database.port}/${t.database.name}` }),
};

function cmd(op: string, db: string, secretEnv?: Record<string, string>, peer?: string, rest: readonly string[] = []): RemoteCommand {
  return { description: `fake ${op} ${db}`, argv: ['fake-db', op, db, ...(peer !== undefined || rest.length > 0 ? [peer ?? ''] : []), ...rest], ...(secretEnv ? { secretEnv } : {}), timeoutMs: 1000 };
}

export interface ExecRecord { readonly host: string; readonly argv: readonly string[]; readonly stdin?: string; readonly secretEnv?: Readonly<Record<string, string>> }

/** The model of every host and database; shells opened on it share it. */
export class FakeWorld {
  readonly dbs = new Map<string, FakeDb>();
  readonly files = new Map<string, string>();
  readonly unreachable = new Set<string>();
  readonly execs: ExecRecord[] = [];
  openShells = 0;
  /** Promotions of these databases leave them read-only (a broken promote). */
  readonly brokenPromotions = new Set<string>();
  /** Every exec on these hosts fails with this error (the host answers, but e.g. its key or the command is wrong). */
  readonly faults = new Map<string, Error>();
  /** `<address>/<database>` of every replica → primary transition (a promote on a primary is not one). */
  readonly promotions: string[] = [];
  /** Demotes of these databases fail (exit 1): a switchover must undo the others. */
  readonly brokenDemotions = new Set<string>();
  /** A demote shuts the server down (PostgreSQL's way: stopped, marked demoted) instead of leaving it a read-only primary. */
  demotionStops = false;
  /** Rejoins of these databases cannot rewind (PostgreSQL without the WAL, errant GTIDs): divergent data saved aside, the node left stopped and fenced, `needs-restore`. */
  readonly unrewindable = new Set<string>();
  /** Detached jobs (fake-jobs.ts): job commands are answered there, their inner commands played here. */
  readonly jobs = new FakeJobs();

  db(address: string, name: string): FakeDb {
    const key = `${address}/${name}`;
    let db = this.dbs.get(key);
    if (!db) {
      db = { role: 'stopped', writable: false, fenced: false, position: 0, streaming: false, prepared: false, catchUpPerRead: Number.MAX_SAFE_INTEGER, promotedByTwinstack: false };
      this.dbs.set(key, db);
    }
    return db;
  }

  shell(): RemoteShell {
    this.openShells += 1;
    let closed = false;
    return {
      exec: (host: Host, command: RemoteCommand) => {
        if (closed) return Promise.reject(new Error('shell used after close'));
        this.execs.push({ host: host.address, argv: command.argv, ...(command.stdin ? { stdin: command.stdin } : {}), ...(command.secretEnv ? { secretEnv: command.secretEnv } : {}) });
        if (this.unreachable.has(host.address)) return Promise.reject(new HostUnreachableError(`${host.address}: connect ECONNREFUSED`));
        const fault = this.faults.get(host.address);
        if (fault) return Promise.reject(fault);
        return Promise.resolve(this.play(host, command));
      },
      close: () => {
        if (!closed) this.openShells -= 1;
        closed = true;
        return Promise.resolve();
      },
    };
  }

  private play(host: Host, command: RemoteCommand): CommandResult {
    const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '', durationMs: 1 });
    const job = this.jobs.play(host.address, command, (inner) => {
      this.execs.push({ host: host.address, argv: inner.argv, ...(inner.secretEnv ? { secretEnv: inner.secretEnv } : {}) });
      return this.play(host, inner);
    });
    if (job) return job;
    const [tool, op, name = '', peer] = command.argv;
    if (tool === 'sh') {
      this.files.set(`${host.address}:${command.argv[4] ?? ''}`, command.stdin ?? '');
      return ok();
    }
    if (tool !== 'fake-db') return { exitCode: 127, stdout: '', stderr: `unknown command ${tool ?? ''}`, durationMs: 1 };
    const db = this.db(host.address, name);
    switch (op) {
      case 'prepare':
        db.prepared = true;
        return ok();
      case 'restore': {
        const primary = this.db(peer ?? '', name);
        Object.assign(db, { role: 'replica', writable: false, fenced: false, streaming: false, promotedByTwinstack: false, demoted: false, upstream: peer, position: Math.max(0, primary.position - 4096) });
        return ok();
      }
      case 'start-replication':
        db.streaming = db.role === 'replica';
        return ok();
      case 'status':
        if (db.role === 'replica' && db.streaming) {
          const upstream = db.upstream !== undefined ? this.dbs.get(`${db.upstream}/${name}`) : undefined;
          // A demoted primary that shut down still sent everything up to its final position.
          const primary = upstream?.role === 'primary' || upstream?.demoted === true ? upstream : [...this.dbs.entries()].find(([k, d]) => k.endsWith(`/${name}`) && d.role === 'primary' && d !== db)?.[1];
          if (primary) db.position = Math.min(primary.position, db.position + db.catchUpPerRead);
        }
        return ok(JSON.stringify({
          role: db.role,
          writable: db.writable,
          fenced: db.fenced,
          ...(db.promotedByTwinstack ? { promotedByTwinstack: true } : {}),
          ...(db.demoted ? { demoted: true } : {}),
          ...(db.role === 'primary' && db.forkPosition !== undefined ? { forkPosition: lsn(db.forkPosition) } : {}),
          ...(db.role === 'replica' && db.upstream !== undefined ? { upstream: `${db.upstream}:5432` } : {}),
          ...(db.role !== 'stopped' ? { position: lsn(db.position) } : {}),
          ...(db.role === 'replica' ? { streaming: db.streaming, receivedPosition: lsn(db.position) } : {}),
        }));
      case 'fence':
        Object.assign(db, { role: 'stopped', writable: false, fenced: true, streaming: false });
        return ok();
      case 'promote':
        if (db.role === 'primary') return ok();
        if (db.role !== 'replica') return { exitCode: 1, stdout: '', stderr: 'not a replica', durationMs: 1 };
        Object.assign(db, { role: 'primary', writable: !this.brokenPromotions.has(name), streaming: false, promotedByTwinstack: true, forkPosition: db.position, upstream: undefined, syncReplicas: [] });
        this.promotions.push(`${host.address}/${name}`);
        return ok();
      case 'demote': {
        if ((db.role !== 'primary' && db.demoted !== true) || this.brokenDemotions.has(name)) return { exitCode: 1, stdout: '', stderr: `cannot demote ${name}`, durationMs: 1 };
        const demotion: Demotion = { position: lsn(db.position), wasWritable: db.writable };
        Object.assign(db, { writable: false, demoted: true, ...(this.demotionStops ? { role: 'stopped' } : {}) });
        return ok(JSON.stringify(demotion));
      }
      case 'undo-demote':
        if (db.demoted !== true) return { exitCode: 1, stdout: '', stderr: `${name} is not a demoted primary`, durationMs: 1 };
        Object.assign(db, { role: 'primary', writable: true, demoted: false });
        return ok();
      case 'rejoin': {
        if (db.role === 'primary' && db.writable && !db.fenced && db.demoted !== true) return { exitCode: 1, stdout: '', stderr: `${name} is a writable primary: refusing`, durationMs: 1 };
        const fork = command.argv[4] ? parseLsn(command.argv[4]) : undefined;
        if (db.role === 'replica' && db.upstream === peer) {
          const again: Rejoin = { method: 'already-replica', divergent: { amount: 0 }, detail: [`${name} already replicates from ${peer ?? ''}`] };
          return ok(JSON.stringify(again));
        }
        const divergent = fork !== undefined ? Math.max(0, db.position - fork) : 0;
        if (this.unrewindable.has(name)) {
          Object.assign(db, { role: 'stopped', writable: false, fenced: true, streaming: false });
          const restore: Rejoin = { method: 'needs-restore', divergent: { amount: divergent, savedTo: `/var/lib/twinstack/divergent-${name}` }, detail: ['cannot rewind: left stopped for a full restore'] };
          return ok(JSON.stringify(restore));
        }
        const rejoin: Rejoin = {
          method: divergent > 0 ? 'rewound' : 'repointed',
          divergent: divergent > 0 ? { amount: divergent, savedTo: `/var/lib/twinstack/divergent-${name}` } : { amount: 0 },
          detail: [divergent > 0 ? `${divergent} bytes beyond the fork saved aside` : 'no divergence'],
        };
        Object.assign(db, { role: 'replica', writable: false, fenced: false, demoted: false, streaming: true, promotedByTwinstack: false, upstream: peer, position: fork !== undefined ? Math.min(db.position, fork) : db.position, forkPosition: undefined });
        return ok(JSON.stringify(rejoin));
      }
      case 'set-sync':
        db.syncReplicas = command.argv.slice(4);
        return ok();
      default:
        return ok();
    }
  }
}

/** A group of two stacks, each with a database host and an app host, and two databases. */
export function sampleGroup(): FailoverGroup {
  const host = (name: string, address: string): Host => ({ name, address, sshPort: 22, user: 'twinstack', hostKey: 'SHA256:AAAA' });
  const stack = (name: string, n: number) => ({
    name,
    region: n === 1 ? 'eu-west-1' : 'eu-central-1',
    endpoint: `127.0.${n}.2`,
    healthUrl: `http://127.0.${n}.2:8080/health`,
    hosts: [host('db', `127.0.${n}.1`), host('app', `127.0.${n}.2`)],
    deploy: { directory: '/srv/app', command: 'docker compose up -d' },
  });
  const database = (name: string) => ({
    name,
    engine: 'postgres' as const,
    host: 'db',
    port: 5432,
    replication: { mode: 'async' as const, maxLag: 16 * 1024 * 1024 },
    postgres: { dataDir: `/var/lib/pg/${name}`, binDir: '/usr/lib/postgresql/15/bin', socketDir: '/tmp', superuser: 'postgres', database: name, appUser: 'app', replicationUser: 'replicator', listenOn: 'all' as const },
  });
  return {
    name: 'shop',
    dns: { zone: 'example.test', name: 'shop.example.test', ttl: 5 },
    primary: stack('shop-eu', 1),
    twin: stack('shop-de', 2),
    databases: [database('main'), database('audit')],
    failover: { cooldownSeconds: 600, maxObservationAgeSeconds: 60 },
    // The fakes' DNS is a record store (MemoryDnsRouter), like the local runtime's.
    traffic: { mode: 'record', healthCheck: { intervalSeconds: 10, failureThreshold: 3 } },
  };
}

export interface Harness {
  readonly group: FailoverGroup;
  readonly world: FakeWorld;
  readonly params: MemoryParameterStore;
  readonly dns: MemoryDnsRouter;
  readonly health: FakeHealthProbe;
  readonly deps: StepDeps;
  /** Every secret value the fakes have seen (passwords, the SSH key). */
  secrets(): string[];
}

export const SSH_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----fake-key-material-----END OPENSSH PRIVATE KEY-----';

/** A provisioned group: config + state + key in params, DNS on the primary, primary healthy and writable. */
export async function createHarness(options: { now?: string; dnsVerifier?: StepDeps['dnsVerifier'] } = {}): Promise<Harness> {
  const group = sampleGroup();
  const world = new FakeWorld();
  const params = new MemoryParameterStore();
  const dns = new MemoryDnsRouter();
  const health = new FakeHealthProbe();
  await params.put(parameterNames.config(group.name), JSON.stringify(group));
  await params.put(parameterNames.state(group.name), JSON.stringify({ active: 'primary' }));
  await params.put(parameterNames.sshPrivateKey(group.name), SSH_KEY, { secret: true });
  dns.records.set(group.dns.name, dnsTargetOf(group.primary));
  health.healthy.set(group.primary.healthUrl, true);
  health.healthy.set(group.twin.healthUrl, true);
  for (const d of group.databases) Object.assign(world.db('127.0.1.1', d.name), { role: 'primary', writable: true, position: 0x3000148 });
  const deps: StepDeps = {
    params,
    dns,
    health,
    clock: fixedClock(options.now ?? '2026-01-01T12:00:00.000Z'),
    logger: new Logger({ serviceName: 'twinstack-test', logLevel: 'SILENT' }),
    openShell: async (g: string) => {
      if ((await params.get(parameterNames.sshPrivateKey(g))) === undefined) throw new Error('no key');
      return world.shell();
    },
    engineFor: () => fakeEngine,
    lease: new MemoryLeaseStore(() => Date.parse(options.now ?? '2026-01-01T12:00:00.000Z')),
    ...(options.dnsVerifier ? { dnsVerifier: options.dnsVerifier } : {}),
  };
  return { group, world, params, dns, health, deps, secrets: () => passwords(params) };
}

function passwords(params: MemoryParameterStore): string[] {
  return [...params.values].filter(([name, v]) => v.secret && name.includes('/secrets/')).map(([, v]) => v.value).concat(SSH_KEY);
}

/** Bring the harness to "replicated": secrets created, twin a streaming, caught-up replica. */
export async function replicateInWorld(h: Harness): Promise<void> {
  for (const d of h.group.databases) {
    await h.params.put(parameterNames.secret(h.group.name, d.name, 'replication-password'), `repl-${d.name}-S3cret!x`, { secret: true });
    await h.params.put(parameterNames.secret(h.group.name, d.name, 'app-password'), `app-${d.name}-S3cret!y`, { secret: true });
    Object.assign(h.world.db('127.0.2.1', d.name), { role: 'replica', writable: false, streaming: true, upstream: '127.0.1.1', position: 0x3000148 });
  }
}
