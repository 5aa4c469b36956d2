/**
 * What the lab's Compute adapter (lab-compute.ts) remembers, as JSON files under
 * `<labRoot>/compute/`: one file per image, launched instance and security group, and
 * one claim file per loopback address a clone holds.
 *
 *   compute/images/<ami-…>.json       ImageRecord; its Docker images in compute/images/<ami-…>/docker-images.tar
 *   compute/instances/<i-…>.json      InstanceRecord (kept, `terminated`, after terminate: like EC2)
 *   compute/groups/<sg-…>.json        GroupRecord
 *   compute/addresses/<127.x.y.z>     the instance id holding it (created exclusively: an atomic claim)
 *
 * Invariants: ids are derived from what makes a call idempotent (region + name, region +
 * client token), so a retry computes the same id and finds the same record; records are
 * replaced atomically (a reader sees the old or the new one); a record is written before
 * the processes or files it describes exist, so a crashed call leaves something to find.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../../../functions/adapters/local/atomic-write-file.ts';
import type { Database } from '../../../functions/core/model.ts';

export interface ImageRecord {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly state: 'available';
  /** The Docker images (`repository:tag`) saved in the image's tarball; empty for a host without Docker. */
  readonly dockerImages: readonly string[];
  /** The tarball of those images (shared, hard-linked, by copies). Absent when `dockerImages` is empty. */
  readonly dockerTarball?: string;
  /** The host's database nodes: their config (engine, port, paths), never their data. */
  readonly databases: readonly Database[];
  /** The source host's SSH port and the lab user: a clone listens on the same port for the same user. */
  readonly sshPort: number;
  readonly tags: Readonly<Record<string, string>>;
  /** CopyImage: the client token and the image it copies. */
  readonly clientToken?: string;
  readonly copiedFrom?: { readonly region: string; readonly imageId: string; readonly kmsKeyId: string };
}

export interface InstanceRecord {
  readonly id: string;
  readonly region: string;
  readonly clientToken: string;
  /** The lab host folder (`<labRoot>/<hostFolder>`): its sshd, Docker engine and files. */
  readonly hostFolder: string;
  readonly address: string;
  readonly sshPort: number;
  readonly imageId: string;
  readonly instanceType: string;
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
  /** `pending` until every process of the host runs; `terminated` once they are stopped and its files removed. */
  readonly state: 'pending' | 'running' | 'terminated';
}

export interface GroupRecord {
  readonly id: string;
  readonly region: string;
  readonly vpcId: string;
  readonly name: string;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
}

type Kind = 'images' | 'instances' | 'groups';

/** A short stable id of `parts` (hex of their SHA-256): the same inputs, the same id. */
export function stableId(prefix: string, ...parts: readonly string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 12)}`;
}

export class LabComputeRecords {
  readonly root: string;

  constructor(labRoot: string) {
    this.root = join(labRoot, 'compute');
  }

  dir(kind: Kind | 'addresses'): string {
    const dir = join(this.root, kind);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  /** Where an image's own files (its Docker tarball) live. */
  imageDir(imageId: string): string {
    return join(this.dir('images'), imageId);
  }

  read<T>(kind: Kind, id: string): T | undefined {
    const file = join(this.dir(kind), `${id}.json`);
    if (!existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  }

  write<T extends { readonly id: string }>(kind: Kind, record: T): Promise<void> {
    return atomicWriteFile(join(this.dir(kind), `${record.id}.json`), `${JSON.stringify(record, null, 2)}\n`, 0o600);
  }

  remove(kind: Kind, id: string): void {
    rmSync(join(this.dir(kind), `${id}.json`), { force: true });
  }

  list<T>(kind: Kind): T[] {
    return readdirSync(this.dir(kind))
      .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
      .flatMap((f) => {
        const record = this.read<T>(kind, f.slice(0, -'.json'.length));
        return record === undefined ? [] : [record];
      });
  }
}
