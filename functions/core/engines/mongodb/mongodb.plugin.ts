/**
 * MongoDB 6/7 replica sets as a twinstack engine plug-in (to be registered in
 * ../engine-registry.ts). `tested: 'recorded'`: built against documented outputs
 * only; no live server has run these scripts yet.
 */
import type { EnginePlugin } from '../engine-plugin.ts';
import { mongodbEngine } from './mongodb.engine.ts';
import { MONGODB_FIELD_HINTS, mongodbSettingsSchema, type MongodbSettings } from './mongodb-settings.ts';

export const mongodbPlugin: EnginePlugin<'mongodb', 'mongodb', MongodbSettings> = {
  name: 'mongodb',
  settingsKey: 'mongodb',
  settingsSchema: mongodbSettingsSchema,
  defaultPort: 27017,
  // Optime timestamps carry seconds and an ordinal within the second: lag is seconds of oplog.
  lagUnit: 'seconds',
  defaultMaxLag: 10,
  fieldHints: MONGODB_FIELD_HINTS,
  tested: 'recorded',
  engine: mongodbEngine,
};
