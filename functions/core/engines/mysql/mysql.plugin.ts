/** MySQL 8.0+ as a twinstack engine plug-in: proven by command text and documented outputs only (no MySQL 8 server here). */
import type { EnginePlugin } from '../engine-plugin.ts';
import { mysqlEngine } from './mysql.engine.ts';
import { MYSQL_FIELD_HINTS, mysqlSettingsSchema, type MysqlSettings } from './mysql-settings.ts';

export const mysqlPlugin: EnginePlugin<'mysql', 'mysql', MysqlSettings> = {
  name: 'mysql',
  settingsKey: 'mysql',
  settingsSchema: mysqlSettingsSchema('mysql'),
  defaultPort: 3306,
  lagUnit: 'transactions',
  defaultMaxLag: 100,
  fieldHints: MYSQL_FIELD_HINTS,
  tested: 'recorded',
  engine: mysqlEngine,
};
