/** Redis 7 as a twinstack engine plug-in (to be registered in ../engine-registry.ts). */
import type { EnginePlugin } from '../engine-plugin.ts';
import { redisEngine } from './redis.engine.ts';
import { REDIS_FIELD_HINTS, redisSettingsSchema, type RedisSettings } from './redis-settings.ts';

export const redisPlugin: EnginePlugin<'redis', 'redis', RedisSettings> = {
  name: 'redis',
  settingsKey: 'redis',
  settingsSchema: redisSettingsSchema,
  defaultPort: 6379,
  // Replication offsets count bytes of the replication stream.
  lagUnit: 'bytes',
  defaultMaxLag: '1MiB',
  fieldHints: REDIS_FIELD_HINTS,
  tested: 'live',
  engine: redisEngine,
};
