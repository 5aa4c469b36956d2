/** MariaDB 10.6+ as a twinstack engine plug-in (live-tested against 10.11; registered in ../engine-registry.ts). */
import type { EnginePlugin } from '../engine-plugin.ts';
import { mariadbEngine } from './mysql.engine.ts';
import { MYSQL_FIELD_HINTS, mysqlSettingsSchema, type MysqlSettings } from './mysql-settings.ts';

export const mariadbPlugin: EnginePlugin<'mariadb', 'mysql', MysqlSettings> = {
  name: 'mariadb',
  settingsKey: 'mysql',
  settingsSchema: mysqlSettingsSchema('mariadb'),
  defaultPort: 3306,
  lagUnit: 'transactions',
  defaultMaxLag: 100,
  fieldHints: MYSQL_FIELD_HINTS,
  tested: 'live',
  engine: mariadbEngine,
};
