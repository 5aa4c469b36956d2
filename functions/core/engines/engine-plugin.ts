/**
 * An engine as a plug-in: everything twinstack knows about one database engine
 * lives in its folder `functions/core/engines/<engine>/` and reaches the rest of
 * the system only through this shape and one line of engine-registry.ts. The config
 * schema, the model's `Database` union, field hints, env var names and the lab are
 * all derived from the registered plug-ins.
 */
import type { z } from 'zod';
import type { FieldHint } from '../config/setting-fields.ts';
import type { DatabaseEngine } from './database-engine.ts';
import type { LagUnit } from './lag-unit.ts';

export interface EnginePlugin<Name extends string = string, Key extends string = string, Settings = unknown> {
  /** The value of `engine:` in twinstack.yaml. */
  readonly name: Name;
  /** The key of this engine's own settings block in a database entry (`postgres:`, `mysql:` …). */
  readonly settingsKey: Key;
  /** This engine's settings, with defaults (an absent block parses to the defaults). */
  readonly settingsSchema: z.ZodType<Settings>;
  readonly defaultPort: number;
  /** Unit of `replication.maxLag` and of every lag and loss this engine reports. */
  readonly lagUnit: LagUnit;
  /** `replication.maxLag` when absent: a byte size (`16MiB`) or a count, in `lagUnit`. */
  readonly defaultMaxLag: string | number;
  /** Hints of this engine's own settings, by key (problem reports, JSON Schema). */
  readonly fieldHints: Readonly<Record<string, FieldHint>>;
  /**
   * How this engine has been proven: `live` against a real server in the
   * integration tests, `recorded` against documented outputs only (say so to users).
   */
  readonly tested: 'live' | 'recorded';
  readonly engine: DatabaseEngine;
}

/** The fields every database entry has, whatever its engine. */
export interface DatabaseCommon {
  /** Identifier, unique in the group, e.g. `main`. */
  readonly name: string;
  /** Name of the host (in both stacks) that runs this database. */
  readonly host: string;
  readonly port: number;
  readonly replication: {
    readonly mode: 'async' | 'sync';
    /** A replica further behind than this (in the engine's lag unit) is not promoted automatically. */
    readonly maxLag: number;
    /**
     * The IPv4 address the twin's replication connections arrive from, as the primary
     * sees them (behind NAT, or on one machine's loopback, it is not the twin host's
     * address). The primary admits replication from this address only. Absent: the
     * twin host's address.
     */
    readonly sourceAddress?: string;
  };
}

/** The database entry a plug-in describes: the common fields, its `engine`, and its settings block. */
export type DatabaseOf<P> =
  P extends EnginePlugin<infer Name, infer Key, infer Settings> ? DatabaseCommon & { readonly engine: Name } & { readonly [K in Key]: Settings } : never;
