/**
 * The unit an engine measures replication lag (and so data loss) in. Bytes for
 * streams with byte offsets (PostgreSQL WAL, Redis replication offset); a count of
 * missing transactions for GTID sets (MariaDB/MySQL); seconds of oplog for
 * MongoDB (its positions are optime timestamps `<seconds>.<ordinal>`, which carry
 * no operation count). A lag is always reported with its unit, never relabelled as bytes.
 */
import { formatBytes } from '../decisions/format-bytes.ts';

export type LagUnit = 'bytes' | 'transactions' | 'seconds';

/** `48.0 MiB`, `3 transactions`, `12 seconds of oplog`. */
export function formatLag(amount: number, unit: LagUnit): string {
  switch (unit) {
    case 'bytes':
      return formatBytes(amount);
    case 'transactions':
      return `${amount} transaction${amount === 1 ? '' : 's'}`;
    case 'seconds':
      return `${amount} second${amount === 1 ? '' : 's'} of oplog`;
  }
}

/**
 * The CloudWatch metric a replication lag is published under: the unit is in the name
 * (`ReplicationLagBytes`, `ReplicationLagTransactions`, `ReplicationLagSeconds`), so a
 * transaction count is never graphed or alarmed on as bytes, and an engine's alarm
 * threshold (`replication.maxLag`, in the same unit) watches only its own kind of lag.
 */
export function lagMetricName(unit: LagUnit): string {
  switch (unit) {
    case 'bytes':
      return 'ReplicationLagBytes';
    case 'transactions':
      return 'ReplicationLagTransactions';
    case 'seconds':
      return 'ReplicationLagSeconds';
  }
}

/** The CloudWatch unit of a lag metric: Bytes, Count (transactions) or Seconds (of oplog). */
export function lagMetricUnit(unit: LagUnit): 'Bytes' | 'Count' | 'Seconds' {
  return unit === 'bytes' ? 'Bytes' : unit === 'transactions' ? 'Count' : 'Seconds';
}
