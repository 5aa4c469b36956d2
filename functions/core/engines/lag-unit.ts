/**
 * The unit an engine measures replication lag (and so data loss) in. Bytes for
 * streams with byte offsets (PostgreSQL WAL, Redis replication offset); a count of
 * missing transactions for GTID sets (MariaDB/MySQL); operations for an oplog
 * (MongoDB). A lag is always reported with its unit, never relabelled as bytes.
 */
import { formatBytes } from '../decisions/format-bytes.ts';

export type LagUnit = 'bytes' | 'transactions' | 'operations';

/** `48.0 MiB`, `3 transactions`, `1 operation`. */
export function formatLag(amount: number, unit: LagUnit): string {
  switch (unit) {
    case 'bytes':
      return formatBytes(amount);
    case 'transactions':
      return `${amount} transaction${amount === 1 ? '' : 's'}`;
    case 'operations':
      return `${amount} operation${amount === 1 ? '' : 's'}`;
  }
}

/**
 * The CloudWatch metric a replication lag is published under: the unit is in the name
 * (`ReplicationLagBytes`, `ReplicationLagTransactions`, `ReplicationLagOperations`), so a
 * transaction count is never graphed or alarmed on as bytes, and an engine's alarm
 * threshold (`replication.maxLag`, in the same unit) watches only its own kind of lag.
 */
export function lagMetricName(unit: LagUnit): string {
  switch (unit) {
    case 'bytes':
      return 'ReplicationLagBytes';
    case 'transactions':
      return 'ReplicationLagTransactions';
    case 'operations':
      return 'ReplicationLagOperations';
  }
}

/** The CloudWatch unit of a lag metric: Bytes for bytes, Count for a count of transactions or operations. */
export function lagMetricUnit(unit: LagUnit): 'Bytes' | 'Count' {
  return unit === 'bytes' ? 'Bytes' : 'Count';
}
