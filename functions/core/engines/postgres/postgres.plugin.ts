/** PostgreSQL 15 as a twinstack engine plug-in (registered in ../engine-registry.ts). */
import type { EnginePlugin } from '../engine-plugin.ts';
import { postgresEngine } from './postgres.engine.ts';
import { POSTGRES_FIELD_HINTS, postgresSettingsSchema, type PostgresSettings } from './postgres-settings.ts';

export const postgresPlugin: EnginePlugin<'postgres', 'postgres', PostgresSettings> = {
  name: 'postgres',
  settingsKey: 'postgres',
  settingsSchema: postgresSettingsSchema,
  defaultPort: 5432,
  lagUnit: 'bytes',
  defaultMaxLag: '16MiB',
  fieldHints: POSTGRES_FIELD_HINTS,
  tested: 'live',
  engine: postgresEngine,
};
