/**
 * The unit an engine measures replication lag (and so data loss) in. Bytes for
 * streams with byte offsets (PostgreSQL WAL, Redis replication offset); a count of
 * missing transactions for GTID sets (MariaDB/MySQL); seconds of oplog for
 * MongoDB (its positions are optime timestamps `<seconds>.<ordinal>`, which carry
 * no operation count). A lag is always reported with its unit, never relabelled as bytes.
 */
import { formatBytes } from '../decisions/format-bytes.ts';

export type LagUnit = 'bytes' | 'transactions' | 'operations' | 'seconds';

/** `48.0 MiB`, `3 transactions`, `1 operation`, `12 seconds of oplog`. */
export function formatLag(amount: number, unit: LagUnit): string {
  switch (unit) {
    case 'bytes':
      return formatBytes(amount);
    case 'transactions':
      return `${amount} transaction${amount === 1 ? '' : 's'}`;
    case 'operations':
      return `${amount} operation${amount === 1 ? '' : 's'}`;
    case 'seconds':
      return `${amount} second${amount === 1 ? '' : 's'} of oplog`;
  }
}
