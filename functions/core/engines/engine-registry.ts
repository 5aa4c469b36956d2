/**
 * The registered database engines. Adding an engine is its own folder
 * (`functions/core/engines/<engine>/`, with a `<engine>.plugin.ts`) plus one line
 * here: the config schema, the model's `Database` union, field hints, the env vars
 * and the lab all follow from this list.
 *
 * Invariant: every EngineName has exactly one plug-in.
 */
import { InvalidInputError } from '../errors.ts';
import type { EngineName } from '../model.ts';
import type { DatabaseEngine } from './database-engine.ts';
import type { EnginePlugin } from './engine-plugin.ts';
import { mongodbPlugin } from './mongodb/mongodb.plugin.ts';
import { mariadbPlugin } from './mysql/mariadb.plugin.ts';
import { mysqlPlugin } from './mysql/mysql.plugin.ts';
import { postgresPlugin } from './postgres/postgres.plugin.ts';
import { redisPlugin } from './redis/redis.plugin.ts';

export const ENGINE_PLUGINS = [postgresPlugin, mariadbPlugin, mysqlPlugin, redisPlugin, mongodbPlugin] as const;

export type RegisteredPlugin = (typeof ENGINE_PLUGINS)[number];

/** Every engine name, in registry order. */
export const ENGINE_NAMES: readonly EngineName[] = ENGINE_PLUGINS.map((p) => p.name);

export function pluginFor(name: EngineName): EnginePlugin {
  const plugin = ENGINE_PLUGINS.find((p) => p.name === name);
  if (!plugin) throw new InvalidInputError(`no database engine named ${String(name)} (engines: ${ENGINE_NAMES.join(', ')})`);
  return plugin;
}

export function engineFor(name: EngineName): DatabaseEngine {
  return pluginFor(name).engine;
}
