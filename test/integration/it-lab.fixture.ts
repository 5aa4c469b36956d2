/**
 * The integration tests' lab: real sshd and PostgreSQL on loopback hosts, apart
 * from the drill's (root, addresses and mount point of their own). The tests
 * install nothing: when the machine lacks packages they fail saying what to run.
 */
import { checkSystemRequirements, INSTALL_SCRIPT } from '../../infra/local/lab/system-requirements.ts';
import { createLab, type Lab } from '../../infra/local/lab/lab.ts';
import { parseDatabaseEntry } from '../../infra/config/twinstack-config.schema.ts';
import { labNodeFor } from '../../infra/local/lab/lab-nodes.ts';
import type { Database, EngineName } from '../../functions/core/model.ts';

export const IT_LAB_ROOT = '/var/tmp/twinstack-it';
export const IT_MOUNT_POINT = '/srv/twinstack-it';
export const IT_PRIMARY = { name: 'primary', address: '127.0.11.1' } as const;
export const IT_TWIN = { name: 'twin', address: '127.0.12.1' } as const;
export const IT_POSTGRES_PORT = 15432;

/** Fail (not skip) with the command to run when the machine cannot host the lab. */
export function assertLabCanRun(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('integration tests start sshd and PostgreSQL as a dedicated user: run them as root');
  }
  const report = checkSystemRequirements();
  if (report.missing.length > 0) {
    throw new Error(
      `integration tests need system packages that are missing (${report.missing.join(', ')}): run as root \`sh ${INSTALL_SCRIPT}\` once, then re-run the tests`,
    );
  }
}

/** A fresh lab with the primary and twin hosts (sshd only; PostgreSQL is up to each test). */
export async function startItLab(): Promise<Lab> {
  assertLabCanRun();
  return createLab({ labRoot: IT_LAB_ROOT, mountPoint: IT_MOUNT_POINT, hosts: [IT_PRIMARY, IT_TWIN], install: false });
}

/** The `databases[]` entry the lab writes for `engine` (its lab node's), parsed by the real schema. */
export function itDatabase(engine: EngineName, options: { readonly user: string; readonly port: number; readonly mountPoint?: string; readonly mode?: 'sync' | 'async'; readonly name?: string }): Database {
  const raw = labNodeFor(engine).databaseConfig({
    name: options.name ?? 'main',
    host: 'db',
    port: options.port,
    mode: options.mode ?? 'sync',
    mountPoint: options.mountPoint ?? IT_MOUNT_POINT,
    user: options.user,
  });
  return parseDatabaseEntry(raw);
}
