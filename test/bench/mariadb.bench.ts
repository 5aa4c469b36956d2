/**
 * MariaDB replication setup of a ≥ 1 GiB dataset: twinstack's restore (preparePrimary +
 * restoreReplica + startReplication over real SSH: mariadb-backup streamed through the
 * one-shot listener into mbstream, prepare, GTID replication) against the raw tool on the
 * same data in the same run (mariadb-backup --backup to a directory, --prepare, cp -a to
 * the twin's directory), median of N; then promotion time. Prints a table.
 *
 *   npx tsx test/bench/mariadb.bench.ts [--gib 1] [--runs 3]
 *
 * Own lab (root /var/tmp/twinstack-bench-mariadb, 127.0.23.1 / 127.0.24.1, port 13307).
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { DatabaseSecrets, EngineTarget, RestoreTarget } from '../../functions/core/engines/database-engine.ts';
import { mariadbEngine } from '../../functions/core/engines/mysql/mysql.engine.ts';
import { mysqlSettingsSchema } from '../../functions/core/engines/mysql/mysql-settings.ts';
import type { Database } from '../../functions/core/model.ts';
import { runChecked } from '../../functions/adapters/ssh/run-checked.ts';
import { Ssh2RemoteShell } from '../../functions/adapters/ssh/ssh2.remote-shell.ts';
import { createLab, type LabHost } from '../../infra/local/lab/lab.ts';
import type { LabNodeHost } from '../../infra/local/lab/lab-database-node.ts';
import { mariadbLabNode } from '../../infra/local/lab/nodes/mariadb.lab-node.ts';
import { runLocalChecked } from '../../infra/local/lab/run-local-command.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const GIB = arg('gib', 1);
const RUNS = arg('runs', 3);
const MOUNT = '/srv/twinstack-bench-mariadb';
const PORT = 13307;
const SECRETS: DatabaseSecrets = { replicationPassword: 'bench-repl-pw', appPassword: 'bench-app-pw' };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const lab = await createLab({ labRoot: '/var/tmp/twinstack-bench-mariadb', mountPoint: MOUNT, hosts: [{ name: 'primary', address: '127.0.23.1' }, { name: 'twin', address: '127.0.24.1' }] });
  const shell = new Ssh2RemoteShell({ privateKey: lab.privateKey });
  const nodeHost = (h: LabHost): LabNodeHost => ({ host: h.host, namespacePid: h.sshdPid, user: lab.user, mountPoint: MOUNT, realPath: (p) => h.realPath(p) });
  try {
    const primary = lab.host('primary');
    const twin = lab.host('twin');
    const entry = mariadbLabNode.databaseConfig({ name: 'main', host: 'db', port: PORT, mode: 'async', mountPoint: MOUNT, user: lab.user.name });
    const database = { ...entry, replication: { mode: 'async', maxLag: 100 }, mysql: mysqlSettingsSchema('mariadb').parse(entry.mysql) } as unknown as Database;
    const s = (database as unknown as { mysql: { socket: string; dataDir: string } }).mysql;
    await mariadbLabNode.initPrimary(nodeHost(primary), database);
    const onPrimary: EngineTarget = { database, host: primary.host };
    const onTwin: RestoreTarget = { database, host: twin.host, primaryHost: primary.host, replicaName: mariadbEngine.replicaName(database, 'twin', twin.host) };
    const admin = (sql: string, timeoutMs = 1_800_000) =>
      runChecked(shell, primary.host, { description: 'bench sql', argv: ['mariadb', '--no-defaults', '-S', s.socket, '-u', lab.user.name, '-N', '-B', '-e', sql], timeoutMs });

    // ≥ GIB GiB of InnoDB rows (1 KiB each), doubled with INSERT … SELECT.
    console.error(`loading ${GIB} GiB …`);
    await admin('CREATE DATABASE IF NOT EXISTS bench; CREATE TABLE bench.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, pad VARCHAR(1000)) ENGINE=InnoDB; INSERT INTO bench.t (pad) SELECT REPEAT(MD5(seq), 31) FROM mysql.seq_1_to_16384');
    const targetRows = GIB * 1024 * 1024;
    for (let rows = 16384; rows < targetRows; rows *= 2) await admin('INSERT INTO bench.t (pad) SELECT pad FROM bench.t');
    const bytes = Number((await runLocalChecked(['du', '-sb', primary.realPath(s.dataDir)])).stdout.split('\t')[0]);
    console.error(`data directory: ${(bytes / 2 ** 30).toFixed(2)} GiB`);

    const twinstackMs: number[] = [];
    const rawMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await mariadbLabNode.prepareTwin(nodeHost(twin), database);
      let t0 = performance.now();
      await runChecked(shell, primary.host, mariadbEngine.preparePrimary({ ...onPrimary, replicaName: onTwin.replicaName, replicaAddress: '127.0.0.1' }, SECRETS));
      await runChecked(shell, twin.host, mariadbEngine.restoreReplica(onTwin, SECRETS));
      await runChecked(shell, twin.host, mariadbEngine.startReplication(onTwin, SECRETS));
      twinstackMs.push(performance.now() - t0);
      console.error(`run ${run + 1}: twinstack ${(twinstackMs.at(-1)! / 1000).toFixed(1)} s`);

      // Raw: the same tool by hand, on the same data: backup to a directory, prepare, copy to the twin.
      await mariadbLabNode.prepareTwin(nodeHost(twin), database);
      const rawDir = `${MOUNT}/mysql/raw-backup`;
      rmSync(primary.realPath(rawDir), { recursive: true, force: true });
      t0 = performance.now();
      await runChecked(shell, primary.host, { description: 'raw backup', argv: ['mariadb-backup', `--defaults-file=${MOUNT}/mysql/main.cnf`, '--backup', `--target-dir=${rawDir}`, `--socket=${s.socket}`, `--user=${lab.user.name}`], timeoutMs: 1_800_000 });
      await runChecked(shell, primary.host, { description: 'raw prepare', argv: ['mariadb-backup', '--prepare', `--target-dir=${rawDir}`], timeoutMs: 1_800_000 });
      await runLocalChecked(['cp', '-a', `${primary.realPath(rawDir)}/.`, twin.realPath(s.dataDir)], { timeoutMs: 1_800_000 });
      rawMs.push(performance.now() - t0);
      console.error(`run ${run + 1}: raw ${(rawMs.at(-1)! / 1000).toFixed(1)} s`);
      rmSync(primary.realPath(rawDir), { recursive: true, force: true });
    }

    // Promotion of the last twinstack replica (re-restored), measured over SSH.
    await mariadbLabNode.prepareTwin(nodeHost(twin), database);
    await runChecked(shell, primary.host, mariadbEngine.preparePrimary({ ...onPrimary, replicaName: onTwin.replicaName, replicaAddress: '127.0.0.1' }, SECRETS));
    await runChecked(shell, twin.host, mariadbEngine.restoreReplica(onTwin, SECRETS));
    await runChecked(shell, twin.host, mariadbEngine.startReplication(onTwin, SECRETS));
    const p0 = performance.now();
    const promoted = await runChecked(shell, twin.host, mariadbEngine.promote(onTwin));
    const promoteMs = performance.now() - p0;

    const tw = median(twinstackMs);
    const raw = median(rawMs);
    console.log(`| dataset | runs | twinstack restore (median) | raw mariadb-backup backup+prepare+copy (median) | ratio | promote (SSH round trip / script) |`);
    console.log(`| --- | --- | --- | --- | --- | --- |`);
    console.log(`| ${(bytes / 2 ** 30).toFixed(2)} GiB | ${RUNS} | ${(tw / 1000).toFixed(1)} s | ${(raw / 1000).toFixed(1)} s | ${(tw / raw).toFixed(2)} | ${promoteMs.toFixed(0)} ms / ${promoted.durationMs} ms |`);
    console.log(`twinstack runs (s): ${twinstackMs.map((x) => (x / 1000).toFixed(1)).join(', ')}; raw runs (s): ${rawMs.map((x) => (x / 1000).toFixed(1)).join(', ')}`);
  } finally {
    await shell.close();
    mariadbLabNode.stopAllUnder('/var/tmp/twinstack-bench-mariadb');
    await lab.destroy({ removeData: true });
  }
}

await main();
