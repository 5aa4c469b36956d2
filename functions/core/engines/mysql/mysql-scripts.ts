/**
 * The fixed POSIX sh scripts of the MySQL-family engine, one set per dialect
 * (MariaDB 10.6+, MySQL 8.0+), run on the database host as the SSH user, who owns
 * the data directory and logs in as the admin user over the Unix socket
 * (unix_socket / auth_socket: no password).
 *
 * Invariants:
 * - scripts are constant text per dialect: every value arrives as a positional
 *   parameter; values that enter SQL are quoted by `sql_quote` (strings) or checked
 *   to be digits first; nothing else is interpolated;
 * - secrets arrive only in the environment (RemoteCommand.secretEnv), are moved
 *   into unexported variables at once and unset, and reach the clients only in SQL
 *   on stdin or in a 0600 option file (umask 077, under `mktemp -d`, removed by a
 *   trap): never `-p`, never MYSQL_PWD, never a command line;
 * - servers start through `env -i` (no secret in their environment), detached
 *   (`setsid`), with the node convention of mysql-settings.ts; twinstack's durable
 *   settings live in `<dataDir>.twinstack.cnf`, `!include`d at the end of the
 *   option file, so they survive any restart;
 * - chatter goes to stderr; stdout carries only results (one JSON line for status,
 *   fence, promote, startReplication) and `twinstack-progress <done> <total>` lines;
 * - nothing waits unbounded: every client runs under `timeout`, loops against a
 *   deadline, the backup stream under socat's inactivity timeout;
 * - markers `<dataDir>/twinstack.fenced`, `<dataDir>/twinstack.promoted` and
 *   `<dataDir>/twinstack.demoted` (a switchover's write refusal); a restore empties
 *   the data directory, so it removes them all;
 * - a fenced server's option file forbids InnoDB crash recovery (innodb_read_only): killed,
 *   it does not start until a rejoin starts it once isolated (socket only, read-only);
 * - a rejoin saves divergent binlog events aside in `<dataDir>.twinstack-divergent-<UTC>/`
 *   (beside the data directory, so a restore keeps them; 0700, files 0600).
 */
import type { MysqlDialect } from './mysql-settings.ts';
import { DIALECT_TOOLS } from './mysql-arguments.ts';

/** The SQL and option names that differ between the dialects (constants, never values). */
interface DialectText {
  readonly replicaStatus: string;
  readonly replicaHosts: string;
  readonly startReplica: string;
  readonly stopReplica: string;
  readonly stopIoThread: string;
  readonly resetReplicaAll: string;
  readonly readOnlyOn: string;
  readonly readOnlyOff: string;
  readonly writable: string;
  /** Option-file keys of a fenced server (`key=value` lines). */
  readonly fenceOptions: readonly string[];
  /** Option-file keys of a replica, besides server_id/report_host/report_port. */
  readonly replicaOptions: readonly string[];
  /** Every key twinstack may write, so a role change can remove the others. */
  readonly semiSourceKeys: readonly string[];
  readonly semiSourceOn: string;
  readonly semiSourceOff: string;
  readonly semiReplicaOff: string;
  /** `SELECT` of one JSON object with every server fact status reports. */
  readonly statusVars: string;
  /** `SELECT` of: version, log_bin, GTID ready (1/0), server_id, space-separated. */
  readonly facts: string;
  readonly gtidFix: string;
  /** `SELECT` of the position a replica must reach to have everything its primary committed (normalised by `position_of`). */
  readonly primaryPosition: string;
  /**
   * Shell function `position_of`: reads `primaryPosition`'s answer on stdin, prints the
   * position (MariaDB: per domain the later of gtid_binlog_pos and gtid_slave_pos, so a
   * restored server that has not written yet still names what it holds; MySQL: gtid_executed).
   */
  readonly positionOf: string;
  /**
   * Command-line options (they override every option file) of the one start of a fenced or
   * demoted old primary a rejoin makes to compare histories: crash recovery allowed, no TCP
   * (socket only: no app, no replica reaches it), read-only, no replication, no events.
   */
  readonly isolatedStartOptions: readonly string[];
  /** `%s` = quoted position, then the seconds; answers 0 when reached. */
  readonly waitFor: string;
  readonly receivedField: string;
  readonly ioRunningField: string;
  readonly sqlRunningField: string;
  readonly lastSqlErrorField: string;
  /** printf format of the replication setup; `%s`: host, port, user, password, position. */
  readonly changeSource: string;
  readonly versionDialect: string;
  /** printf format answering 1 when user %s@%s already has password %s (MySQL 8 has no PASSWORD(): 0, always re-set). */
  readonly userMatches: string;
  /** Option-file lines of a demoted primary (writes refused across a restart). */
  readonly demoteOptions: readonly string[];
  /** SQL that persists the write refusal beyond the option files ('' when the option file is enough). */
  readonly persistReadOnly: string;
  /** SQL that drops what `persistReadOnly` persisted ('' when nothing). */
  readonly unpersistReadOnly: string;
  /** `SELECT` of the new primary's executed GTIDs, as a rejoining old primary compares them (one line). */
  readonly executedState: string;
  readonly sourceHostField: string;
  readonly sourcePortField: string;
  /** printf format re-pointing an old primary at the new one, keeping its own history; `%s`: host, port, user, password. */
  readonly repointSource: string;
  readonly semiReplicaOn: string;
  /** SQL loading the replica's semi-sync plugin ('' when built in). */
  readonly semiReplicaPlugin: string;
  /**
   * Shell functions of the rejoin's divergence check (both read $NEW_STATE, the new primary's
   * `executedState`): `errant_list` prints the old primary's transactions the new primary
   * does not hold, one GTID (MariaDB) or one GTID set (MySQL) a line; `errant_events FILE`
   * prints the decoded events of those transactions in one binary log.
   */
  readonly errantFunctions: string;
}

const MARIADB: DialectText = {
  replicaStatus: 'SHOW SLAVE STATUS',
  replicaHosts: 'SHOW SLAVE HOSTS',
  startReplica: 'START SLAVE',
  stopReplica: 'STOP SLAVE',
  stopIoThread: 'STOP SLAVE IO_THREAD',
  resetReplicaAll: 'RESET SLAVE ALL',
  readOnlyOn: 'SET GLOBAL read_only = ON',
  readOnlyOff: 'SET GLOBAL read_only = OFF',
  writable: 'SELECT @@read_only = 0 AND @@innodb_read_only = 0',
  // read_only does not stop users with READ ONLY ADMIN (ALL PRIVILEGES has it): innodb_read_only stops everyone.
  // innodb_read_only forbids crash recovery too: a killed, fenced server does not start at all
  // (the fence holds); a rejoin starts it once with isolatedStartOptions instead.
  fenceOptions: ['read_only=ON', 'innodb_read_only=ON', 'skip_slave_start=ON'],
  replicaOptions: ['read_only=ON', 'rpl_semi_sync_slave_enabled=ON'],
  semiSourceKeys: ['rpl_semi_sync_master_enabled', 'rpl_semi_sync_master_wait_point', 'rpl_semi_sync_master_timeout'],
  semiSourceOn: "SET GLOBAL rpl_semi_sync_master_wait_point = 'AFTER_SYNC'; SET GLOBAL rpl_semi_sync_master_timeout = %s; SET GLOBAL rpl_semi_sync_master_enabled = ON;",
  semiSourceOff: 'SET GLOBAL rpl_semi_sync_master_enabled = OFF;',
  semiReplicaOff: 'SET GLOBAL rpl_semi_sync_slave_enabled = OFF;',
  statusVars: `SELECT JSON_OBJECT('version', @@version, 'serverId', @@server_id, 'readOnly', @@read_only + 0, 'innodbReadOnly', @@innodb_read_only + 0,
 'logBin', @@log_bin + 0, 'logReplicaUpdates', @@log_slave_updates + 0, 'gtidStrictMode', @@gtid_strict_mode + 0, 'binlogFormat', @@binlog_format,
 'gtidCurrentPos', @@gtid_current_pos, 'gtidBinlogState', @@gtid_binlog_state, 'gtidSlavePos', @@gtid_slave_pos,
 'semiSyncSourceEnabled', @@rpl_semi_sync_master_enabled + 0, 'semiSyncWaitPoint', @@rpl_semi_sync_master_wait_point, 'semiSyncReplicaEnabled', @@rpl_semi_sync_slave_enabled + 0,
 'semiSyncSourceStatus', (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_STATUS'),
 'semiSyncSourceClients', (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS'),
 'semiSyncReplicaStatus', (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_SLAVE_STATUS'))`,
  facts: 'SELECT CONCAT_WS(\' \', @@version, @@log_bin + 0, @@gtid_strict_mode + 0, @@server_id)',
  gtidFix: 'set gtid_strict_mode=ON in the option file (and SET GLOBAL gtid_strict_mode=ON to apply it now)',
  // A restored server's binlog starts empty; what it holds before its first write is in gtid_slave_pos.
  primaryPosition: "SELECT CONCAT(@@gtid_binlog_pos, ',', @@gtid_slave_pos)",
  // gtid_strict_mode: one linear history per domain, so the higher sequence number is the later GTID.
  positionOf: String.raw`position_of() {
  tr ',' '\n' | tr -d ' \r' | awk -F '-' 'NF == 3 && $1 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { if (!($1 in seq) || $3 + 0 > seq[$1] + 0) { seq[$1] = $3; g[$1] = $0 } } END { for (d in g) print g[d] }' | sort -t '-' -k1,1n | paste -sd ',' -
}
`,
  isolatedStartOptions: ['--skip-networking', '--read-only=ON', '--innodb-read-only=OFF', '--skip-slave-start', '--event-scheduler=OFF'],
  waitFor: 'SELECT MASTER_GTID_WAIT(%s, %s)',
  receivedField: 'Gtid_IO_Pos',
  ioRunningField: 'Slave_IO_Running',
  sqlRunningField: 'Slave_SQL_Running',
  lastSqlErrorField: 'Last_SQL_Error',
  changeSource:
    "SET GLOBAL gtid_slave_pos = %s;\nCHANGE MASTER TO MASTER_HOST = %s, MASTER_PORT = %s, MASTER_USER = %s, MASTER_PASSWORD = %s, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 5;\nSTART SLAVE;\n",
  versionDialect: 'mariadb',
  userMatches: 'SELECT COUNT(*) FROM mysql.user WHERE User = %s AND Host = %s AND authentication_string = PASSWORD(%s)',
  demoteOptions: ['read_only=ON'],
  persistReadOnly: '',
  unpersistReadOnly: '',
  // Both: a restored twin's binlog starts after the backup, its slave position holds what came before.
  executedState: "SELECT CONCAT(@@gtid_binlog_state, '/', @@gtid_slave_pos)",
  sourceHostField: 'Master_Host',
  sourcePortField: 'Master_Port',
  repointSource:
    "STOP SLAVE;\nRESET SLAVE ALL;\nSET GLOBAL gtid_slave_pos = @twinstack_own_position;\nCHANGE MASTER TO MASTER_HOST = %s, MASTER_PORT = %s, MASTER_USER = %s, MASTER_PASSWORD = %s, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 5;\nSTART SLAVE;\n",
  semiReplicaOn: 'SET GLOBAL rpl_semi_sync_slave_enabled = ON;',
  semiReplicaPlugin: '',
  // A GTID d-s-n is held by the new primary when its binlog state has server s in domain d
  // at n or later, or its slave position has domain d at n or later (gtid_strict_mode: one
  // linear history per domain). Sequence numbers alone do not tell: after a failover both
  // servers write the same numbers under different server ids.
  errantFunctions: String.raw`held_awk='
function load(list, kind,   n, i, p) { n = split(list, items, ","); for (i = 1; i <= n; i++) { if (split(items[i], p, "-") != 3) continue; if (kind == "s") { if (p[3] + 0 > dom[p[1]] + 0) dom[p[1]] = p[3] } else if (p[3] + 0 > srv[p[1] "-" p[2]] + 0) srv[p[1] "-" p[2]] = p[3] } }
function held(g,   p) { split(g, p, "-"); return (p[3] + 0 <= srv[p[1] "-" p[2]] + 0) || (p[3] + 0 <= dom[p[1]] + 0) }
BEGIN { split(state, st, "/"); load(st[1], "b"); load(st[2], "s") }'
not_held() { awk -v state="$NEW_STATE" "$held_awk"' { if ($0 != "" && !held($0)) print $0 }'; }
binlog_gtids() { "$BINLOGTOOL" --no-defaults "$1" 2>/dev/null | sed -n 's/^#.*[[:space:]]GTID \([0-9][0-9]*-[0-9][0-9]*-[0-9][0-9]*\).*/\1/p'; }
errant_list() {
  # Cheap first: the last GTID per domain and server; only when one is not held, the binary logs are read for every transaction.
  BEYOND=$(sql -e 'SELECT @@gtid_binlog_state' | tr ',' '\n' | tr -d ' ' | not_held)
  [ -n "$BEYOND" ] || return 0
  FOUND=$(for f in $(binlog_files); do binlog_gtids "$f"; done | not_held)
  [ -n "$FOUND" ] || { echo "the binary logs no longer hold the transactions beyond the new primary ($BEYOND): they cannot be counted or saved; it stays fenced. Restore it from the new primary (restoreReplica) after saving $DATA by hand" >&2; exit 6; }
  printf '%s\n' "$FOUND"
}
errant_events() {
  "$BINLOGTOOL" --no-defaults --base64-output=DECODE-ROWS --verbose "$1" | awk -v state="$NEW_STATE" "$held_awk"'
/^#.*[[:space:]]GTID [0-9]+-[0-9]+-[0-9]+/ { match($0, /GTID [0-9]+-[0-9]+-[0-9]+/); keep = !held(substr($0, RSTART + 5, RLENGTH - 5)) }
keep { print }'
}
`,
};

const MYSQL: DialectText = {
  replicaStatus: 'SHOW REPLICA STATUS',
  replicaHosts: 'SHOW REPLICAS',
  startReplica: 'START REPLICA',
  stopReplica: 'STOP REPLICA',
  stopIoThread: 'STOP REPLICA IO_THREAD',
  resetReplicaAll: 'RESET REPLICA ALL',
  readOnlyOn: 'SET GLOBAL super_read_only = ON',
  readOnlyOff: 'SET GLOBAL super_read_only = OFF; SET GLOBAL read_only = OFF',
  writable: 'SELECT @@read_only = 0 AND @@super_read_only = 0 AND @@innodb_read_only = 0',
  // super_read_only stops SUPER / CONNECTION_ADMIN users too.
  fenceOptions: ['read_only=ON', 'super_read_only=ON', 'skip_replica_start=ON'],
  replicaOptions: ['read_only=ON', 'super_read_only=ON', 'plugin_load_add=semisync_replica.so', 'rpl_semi_sync_replica_enabled=ON'],
  semiSourceKeys: ['plugin_load_add', 'rpl_semi_sync_source_enabled', 'rpl_semi_sync_source_wait_point', 'rpl_semi_sync_source_timeout'],
  semiSourceOn:
    "INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'; SET GLOBAL rpl_semi_sync_source_wait_point = 'AFTER_SYNC'; SET GLOBAL rpl_semi_sync_source_timeout = %s; SET GLOBAL rpl_semi_sync_source_enabled = ON;",
  semiSourceOff: "SET GLOBAL rpl_semi_sync_source_enabled = OFF;",
  semiReplicaOff: "SET GLOBAL rpl_semi_sync_replica_enabled = OFF;",
  statusVars: `SELECT JSON_OBJECT('version', @@version, 'versionComment', @@version_comment, 'serverId', @@server_id, 'serverUuid', @@server_uuid,
 'readOnly', @@read_only + 0, 'superReadOnly', @@super_read_only + 0, 'innodbReadOnly', @@innodb_read_only + 0,
 'logBin', @@log_bin + 0, 'logReplicaUpdates', @@log_replica_updates + 0, 'gtidMode', @@gtid_mode, 'enforceGtidConsistency', @@enforce_gtid_consistency,
 'binlogFormat', @@binlog_format, 'gtidExecuted', @@gtid_executed,
 'semiSyncSourceEnabled', (SELECT VARIABLE_VALUE FROM performance_schema.global_variables WHERE VARIABLE_NAME = 'rpl_semi_sync_source_enabled'),
 'semiSyncWaitPoint', (SELECT VARIABLE_VALUE FROM performance_schema.global_variables WHERE VARIABLE_NAME = 'rpl_semi_sync_source_wait_point'),
 'semiSyncSourceStatus', (SELECT VARIABLE_VALUE FROM performance_schema.global_status WHERE VARIABLE_NAME = 'Rpl_semi_sync_source_status'),
 'semiSyncSourceClients', (SELECT VARIABLE_VALUE FROM performance_schema.global_status WHERE VARIABLE_NAME = 'Rpl_semi_sync_source_clients'),
 'semiSyncReplicaStatus', (SELECT VARIABLE_VALUE FROM performance_schema.global_status WHERE VARIABLE_NAME = 'Rpl_semi_sync_replica_status'))`,
  facts: "SELECT CONCAT_WS(' ', @@version, @@log_bin + 0, IF(@@gtid_mode = 'ON' AND @@enforce_gtid_consistency = 'ON', 1, 0), @@server_id)",
  gtidFix: 'set gtid_mode=ON and enforce_gtid_consistency=ON in the option file and restart it',
  primaryPosition: 'SELECT @@gtid_executed',
  positionOf: String.raw`position_of() { tr -d ' \n'; }
`,
  isolatedStartOptions: ['--skip-networking', '--read-only=ON', '--super-read-only=ON', '--skip-replica-start', '--event-scheduler=OFF'],
  waitFor: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(%s, %s)',
  receivedField: 'Retrieved_Gtid_Set',
  ioRunningField: 'Replica_IO_Running',
  sqlRunningField: 'Replica_SQL_Running',
  lastSqlErrorField: 'Last_SQL_Error',
  changeSource:
    "RESET MASTER;\nSET GLOBAL gtid_purged = %s;\nCHANGE REPLICATION SOURCE TO SOURCE_HOST = %s, SOURCE_PORT = %s, SOURCE_USER = %s, SOURCE_PASSWORD = %s, SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1, SOURCE_CONNECT_RETRY = 5;\nSTART REPLICA;\n",
  versionDialect: 'mysql',
  userMatches: 'SELECT 0 * LENGTH(CONCAT(%s, %s, %s))',
  demoteOptions: ['read_only=ON', 'super_read_only=ON'],
  // mysqld-auto.cnf is read after every option file: persist there too, or an earlier SET PERSIST would win.
  persistReadOnly: 'SET PERSIST super_read_only = ON',
  unpersistReadOnly: 'RESET PERSIST IF EXISTS super_read_only; RESET PERSIST IF EXISTS read_only',
  executedState: 'SELECT @@gtid_executed',
  sourceHostField: 'Source_Host',
  sourcePortField: 'Source_Port',
  repointSource:
    'STOP REPLICA;\nRESET REPLICA ALL;\nCHANGE REPLICATION SOURCE TO SOURCE_HOST = %s, SOURCE_PORT = %s, SOURCE_USER = %s, SOURCE_PASSWORD = %s, SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1, SOURCE_CONNECT_RETRY = 5;\nSTART REPLICA;\n',
  semiReplicaOn: "SET GLOBAL rpl_semi_sync_replica_enabled = ON;",
  semiReplicaPlugin: "INSTALL PLUGIN rpl_semi_sync_replica SONAME 'semisync_replica.so'",
  // GTID sets are exact: the server subtracts them itself.
  errantFunctions: String.raw`errant_list() {
  E=$(printf 'SELECT GTID_SUBTRACT(@@gtid_executed, %s)\n' "$(sql_quote "$NEW_STATE")" | sql | tr -d ' \n')
  [ -z "$E" ] || printf '%s\n' "$E"
}
errant_events() { "$BINLOGTOOL" --no-defaults --include-gtids="$ERRANT_SET" --base64-output=DECODE-ROWS --verbose "$1" | awk '/GTID_NEXT= .[0-9a-f-]+:[0-9]+/ { keep = 1 } keep { print }'; }
`,
};

const TEXT: Readonly<Record<MysqlDialect, DialectText>> = { mariadb: MARIADB, mysql: MYSQL };

/** Single-quote a constant for embedding in the script as a sh literal. */
function shLiteral(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function preamble(dialect: MysqlDialect): string {
  const tools = DIALECT_TOOLS[dialect];
  const d = TEXT[dialect];
  return (
    String.raw`set -eu
BIN=$1; SERVER=$2; CNF=$3; DATA=$4; SOCK=$5; PORT=$6; ADMIN=$7; LISTEN=$8; shift 8
` +
    `CLIENT="$BIN/${tools.client}"; MADMIN="$BIN/${tools.admin}"; BACKUP="$BIN/${tools.backup}"; XSTREAM="$BIN/${tools.stream}"; BINLOGTOOL="$BIN/${tools.binlog}"; DIALECT=${d.versionDialect}
` +
    `REPLICA_STATUS_SQL=${shLiteral(d.replicaStatus)}; REPLICA_HOSTS_SQL=${shLiteral(d.replicaHosts)}; WRITABLE_SQL=${shLiteral(d.writable)}
` +
    String.raw`TS_CNF="$DATA.twinstack.cnf"; PIDF="$DATA/mysqld.pid"; LOG="$DATA.log"; BACKUP_DIR="$DATA.backup"
SQL_TIMEOUT=30
SAFE_PATH='/usr/sbin:/usr/bin:/sbin:/bin'
sql_within() { t=$1; shift; timeout -k 5 "$t" "$CLIENT" --no-defaults -S "$SOCK" -u "$ADMIN" --connect-timeout=10 -N -B -r "$@"; }
sql() { sql_within "$SQL_TIMEOUT" "$@"; }
sql_table() { timeout -k 5 "$SQL_TIMEOUT" "$CLIENT" --no-defaults -S "$SOCK" -u "$ADMIN" --connect-timeout=10 -B "$@"; }
sql_quote() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")"; }
json_str() { printf '"'; printf '%s' "$1" | tr -d '\000-\010\013-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g' | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 }'; printf '"'; }
field_of() { awk -F '	' -v f="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) c = i } NR == 2 && c { gsub(/\\n/, "", $c); print $c }'; }
server_pid() {
  [ -f "$PIDF" ] || return 1
  p=$(cat "$PIDF" 2>/dev/null) || return 1
  case "$p" in ''|*[!0-9]*) return 1 ;; esac
  [ "/proc/$p/cwd" -ef "$DATA" ] || return 1
  printf '%s' "$p"
}
# Kill every other session (replication threads too, unless $1 is keep-replicas); prints the count.
kill_sessions() {
  KEEP=; [ "$1" = keep-replicas ] && KEEP=" AND command NOT IN ('Binlog Dump', 'Binlog Dump GTID')"
  n=0
  for id in $(sql -e "SELECT id FROM information_schema.processlist WHERE id <> CONNECTION_ID() AND user NOT IN ('system user', 'event_scheduler')$KEEP" 2>/dev/null); do
    case "$id" in ''|*[!0-9]*) continue ;; esac
    sql -e "KILL CONNECTION $id" >/dev/null 2>&1 && n=$((n + 1))
  done
  printf '%s' "$n"
}
# The server's binary log files, oldest first, as paths.
binlog_files() {
  base=$(sql -e 'SELECT @@log_bin_basename') || return 1
  sql -e 'SHOW BINARY LOGS' | while IFS='	' read -r name _; do printf '%s/%s\n' "$(dirname "$base")" "$name"; done
}
answering() { timeout -k 2 10 "$MADMIN" --no-defaults -S "$SOCK" -u "$ADMIN" --connect-timeout=5 ping >/dev/null 2>&1; }
is_running() { server_pid >/dev/null || answering; }
ensure_include() {
  [ -f "$TS_CNF" ] || printf '[mysqld]\n' > "$TS_CNF"
  grep -qxF "!include $TS_CNF" "$CNF" || printf '\n!include %s\n' "$TS_CNF" >> "$CNF"
}
ts_unset() { ensure_include; grep -v "^$1=" "$TS_CNF" > "$TS_CNF.tmp" || true; mv -f "$TS_CNF.tmp" "$TS_CNF"; }
ts_set() { ts_unset "$1"; printf '%s=%s\n' "$1" "$2" >> "$TS_CNF"; }
ts_lines() { for kv in "$@"; do ts_set "${'$'}{kv%%=*}" "${'$'}{kv#*=}"; done; }
wait_ready() {
  deadline=$(($(date +%s) + 60))
  until answering; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "server did not answer within 60 s (log $LOG):" >&2; tail -n 20 "$LOG" >&2 || true; return 1; }
    sleep 0.2
  done
}
# Extra arguments are server options that override the option files for this start only.
start_node() {
  ensure_include
  if is_running; then return 0; fi
  rm -f "$PIDF"
  mkdir -p "$(dirname "$SOCK")"
  env -i PATH="$SAFE_PATH" LANG=C.UTF-8 HOME=/ setsid "$SERVER" --defaults-file="$CNF" --datadir="$DATA" --socket="$SOCK" --port="$PORT" --bind-address="$LISTEN" --pid-file="$PIDF" "$@" >>"$LOG" 2>&1 </dev/null &
  wait_ready
}
stop_node() {
  pid=$(server_pid) || pid=
  timeout -k 5 60 "$MADMIN" --no-defaults -S "$SOCK" -u "$ADMIN" --connect-timeout=5 shutdown >/dev/null 2>&1 || { [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true; }
  deadline=$(($(date +%s) + 60))
  while is_running; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      is_running && { echo "server in $DATA still runs after shutdown, TERM and KILL" >&2; return 1; }
      break
    fi
    sleep 0.2
  done
  return 0
}
OPT_DIR=
cleanup() { [ -z "$OPT_DIR" ] || rm -rf "$OPT_DIR"; [ -z "${'$'}{PROGRESS_PID:-}" ] || kill "$PROGRESS_PID" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
client_option_file() {
  OPT_DIR=$(umask 077; mktemp -d)
  (umask 077; printf '[client]\npassword="%s"\n' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')" > "$OPT_DIR/client.cnf")
}
remote_sql() { timeout -k 5 30 "$CLIENT" --defaults-file="$OPT_DIR/client.cnf" -h "$PRIMARY_ADDR" -P "$PORT" -u "$REPL_USER" --connect-timeout=10 -N -B -r "$@"; }
backup_token() { printf 'twinstack-backup\n%s' "$1" | sha256sum | cut -d ' ' -f 1; }
` +
    d.positionOf
  );
}

/**
 * The script the primary's one-shot backup listener runs for the connection it
 * accepts (socat EXEC; stdin/stdout are the socket). Args: option file, data
 * directory, socket, admin user, backup program. It answers only a client that
 * sends the token (a hash of the replication password) first, then a header with
 * the data size (the twin's progress total), then the xbstream.
 */
function serveScript(dialect: MysqlDialect): string {
  const tmp = dialect === 'mariadb' ? '--target-dir="$DIR/tmp"' : '--target-dir="$DIR/tmp"';
  return String.raw`CNF=$1; DATA=$2; SOCK=$3; ADMIN=$4; BACKUP=$5; DIR=$(dirname "$0")
IFS= read -r token || exit 1
[ "$token" = "$(cat "$DIR/token")" ] || { echo "twinstack-refused wrong token"; exit 1; }
rm -rf "$DIR/tmp"; mkdir -p "$DIR/tmp"
printf 'twinstack-backup %s\n' "$(du -sb "$DATA" | cut -f 1)"
exec "$BACKUP" --defaults-file="$CNF" --backup --stream=xbstream --datadir="$DATA" --socket="$SOCK" --user="$ADMIN" ` + tmp + ` 2>>"$DIR/backup.log"
`;
}

export interface MysqlScripts {
  readonly preparePrimary: string;
  readonly restoreReplica: string;
  readonly startReplication: string;
  readonly status: string;
  readonly fence: string;
  readonly promote: string;
  readonly setSynchronousReplicas: string;
  readonly demote: string;
  readonly undoDemote: string;
  readonly rejoin: string;
}

function buildScripts(dialect: MysqlDialect): MysqlScripts {
  const d = TEXT[dialect];
  const P = preamble(dialect);
  const fence = d.fenceOptions.map(shLiteral).join(' ');
  const replicaOptions = d.replicaOptions.map(shLiteral).join(' ');
  const fenceKeys = d.fenceOptions.map((kv) => shLiteral(kv.split('=')[0]!)).join(' ');
  const replicaKeys = d.replicaOptions.map((kv) => shLiteral(kv.split('=')[0]!)).join(' ');
  const semiKeys = d.semiSourceKeys.map(shLiteral).join(' ');
  const semiOnLines =
    dialect === 'mariadb'
      ? `ts_set rpl_semi_sync_master_enabled ON; ts_set rpl_semi_sync_master_wait_point AFTER_SYNC; ts_set rpl_semi_sync_master_timeout "$SEMI_TIMEOUT"`
      : `ts_set plugin_load_add semisync_source.so; ts_set rpl_semi_sync_source_enabled ON; ts_set rpl_semi_sync_source_wait_point AFTER_SYNC; ts_set rpl_semi_sync_source_timeout "$SEMI_TIMEOUT"`;
  const semiOnSql = shLiteral(d.semiSourceOn);
  const semiOffSql = shLiteral(d.semiSourceOff);
  // MySQL: the source plugin may be installed already; INSTALL PLUGIN then fails, the SETs are what matter.
  const semiApply =
    dialect === 'mariadb'
      ? String.raw`printf "$SEMI_ON_SQL\n" "$SEMI_TIMEOUT" | sql`
      : String.raw`printf "$SEMI_ON_SQL\n" "$SEMI_TIMEOUT" | sed -e 's/^INSTALL PLUGIN[^;]*; //' | { sql -e "INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'" >/dev/null 2>&1 || true; sql; }`;

  const semiSync = String.raw`SEMI_ON_SQL=${semiOnSql}; SEMI_OFF_SQL=${semiOffSql}
set_semi_sync() {
  case "$SEMI_TIMEOUT" in ''|*[!0-9]*) echo "semi-sync timeout must be digits" >&2; exit 2 ;; esac
  if [ "$1" = on ]; then
    ${semiApply}
    ${semiOnLines}
    echo "semi-synchronous replication on (AFTER_SYNC, timeout $SEMI_TIMEOUT ms)"
  else
    sql -e "$SEMI_OFF_SQL" 2>/dev/null || true
    for k in ${semiKeys}; do ts_unset "$k"; done
    echo "semi-synchronous replication off (asynchronous)"
  fi
}
`;

  const checkFacts = String.raw`check_primary_facts() {
  # $1 version, $2 log_bin, $3 GTID ready, $4 server_id: refuse before anything changes.
  [ "$2" = 1 ] || { echo "binary logging is off on the primary: set log_bin=mysql-bin and binlog_format=ROW in $CNF and restart it" >&2; exit 3; }
  [ "$3" = 1 ] || { echo "GTIDs are not enforced on the primary: ${d.gtidFix}" >&2; exit 3; }
  [ "$4" != 0 ] || { echo "server_id is 0 on the primary: set server_id in $CNF" >&2; exit 3; }
}
`;

  const preparePrimary =
    P +
    semiSync +
    checkFacts +
    `SERVE_SCRIPT=${shLiteral(serveScript(dialect))}; USER_MATCHES_SQL=${shLiteral(d.userMatches)}
` +
    String.raw`REPL_USER=$1; APP_USER=$2; DB=$3; REPLICA_ADDR=$4; BPORT=$5; SEMI=$6; SEMI_TIMEOUT=$7
: "${'$'}{TWINSTACK_REPLICATION_PASSWORD:?replication password missing}"
: "${'$'}{TWINSTACK_APP_PASSWORD:?app password missing}"
REPL_PW=$TWINSTACK_REPLICATION_PASSWORD; APP_PW=$TWINSTACK_APP_PASSWORD; unset TWINSTACK_REPLICATION_PASSWORD TWINSTACK_APP_PASSWORD
is_running || { echo "the server is not running in $DATA" >&2; exit 3; }
FACTS=$(sql -e ${shLiteral(d.facts)}) || { echo "cannot query the server as $ADMIN over $SOCK" >&2; exit 3; }
check_primary_facts $FACTS
BT=$(printf '\140'); QDB="$BT$DB$BT"
# Users: statements reach the server on stdin only; the general log is off for this session.
# Nothing is written when all is in place already: with semi-sync on and no replica
# attached, every binlogged statement would wait the semi-sync timeout.
user_matches() { printf "$USER_MATCHES_SQL\n" "$(sql_quote "$1")" "$(sql_quote "$2")" "$(sql_quote "$3")" | sql; }
IN_PLACE=$(( $(user_matches "$REPL_USER" "$REPLICA_ADDR" "$REPL_PW") + $(user_matches "$APP_USER" '%' "$APP_PW") ))
[ "$(printf 'SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s\n' "$(sql_quote "$DB")" | sql)" = 1 ] && IN_PLACE=$((IN_PLACE + 1))
if [ "$IN_PLACE" = 3 ]; then echo "users $REPL_USER@$REPLICA_ADDR and $APP_USER, database $DB already in place"; else
{
  printf 'SET SESSION sql_log_off = 1;\n'
  printf 'CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s;\n' "$(sql_quote "$REPL_USER")" "$(sql_quote "$REPLICA_ADDR")" "$(sql_quote "$REPL_PW")"
  printf 'ALTER USER %s@%s IDENTIFIED BY %s;\n' "$(sql_quote "$REPL_USER")" "$(sql_quote "$REPLICA_ADDR")" "$(sql_quote "$REPL_PW")"
  printf 'GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO %s@%s;\n' "$(sql_quote "$REPL_USER")" "$(sql_quote "$REPLICA_ADDR")"
  printf 'CREATE DATABASE IF NOT EXISTS %s;\n' "$QDB"
  printf "CREATE USER IF NOT EXISTS %s@'%%' IDENTIFIED BY %s;\n" "$(sql_quote "$APP_USER")" "$(sql_quote "$APP_PW")"
  printf "ALTER USER %s@'%%' IDENTIFIED BY %s;\n" "$(sql_quote "$APP_USER")" "$(sql_quote "$APP_PW")"
  printf "GRANT ALL PRIVILEGES ON %s.* TO %s@'%%';\n" "$QDB" "$(sql_quote "$APP_USER")"
} | sql
echo "users $REPL_USER@$REPLICA_ADDR and $APP_USER, database $DB ensured"
fi
set_semi_sync "$SEMI"
# The one-shot backup listener the twin's restore pulls from (only from the twin's address, token first).
mkdir -p "$BACKUP_DIR"; chmod 700 "$BACKUP_DIR"
(umask 077; backup_token "$REPL_PW" > "$BACKUP_DIR/token.tmp"; mv -f "$BACKUP_DIR/token.tmp" "$BACKUP_DIR/token")
REPL_PW=; APP_PW=
printf '%s' "$SERVE_SCRIPT" > "$BACKUP_DIR/serve.sh"
LISTENING=false
if [ -f "$BACKUP_DIR/listener.pid" ]; then
  lp=$(cat "$BACKUP_DIR/listener.pid")
  case "$lp" in ''|*[!0-9]*) lp= ;; esac
  if [ -n "$lp" ] && tr '\0' ' ' < "/proc/$lp/cmdline" 2>/dev/null | grep -qF "$BACKUP_DIR/serve.sh"; then
    if [ "$(cat "$BACKUP_DIR/listener.for" 2>/dev/null)" = "$REPLICA_ADDR:$BPORT" ]; then LISTENING=true; else kill "$lp" 2>/dev/null || true; sleep 0.2; fi
  fi
fi
if [ "$LISTENING" = true ]; then
  echo "backup listener already waits for $REPLICA_ADDR on port $BPORT"
else
  env -i PATH="$SAFE_PATH" LANG=C.UTF-8 HOME=/ setsid socat -d -t 86400 -T 600 "TCP-LISTEN:$BPORT,bind=$LISTEN,reuseaddr,range=$REPLICA_ADDR/32,accept-timeout=900" "EXEC:/bin/sh $BACKUP_DIR/serve.sh $CNF $DATA $SOCK $ADMIN $BACKUP" >>"$BACKUP_DIR/listener.log" 2>&1 </dev/null &
  echo $! > "$BACKUP_DIR/listener.pid"
  printf '%s' "$REPLICA_ADDR:$BPORT" > "$BACKUP_DIR/listener.for"
  sleep 0.3
  kill -0 "$(cat "$BACKUP_DIR/listener.pid")" 2>/dev/null || { echo "the backup listener did not start on port $BPORT:" >&2; tail -n 3 "$BACKUP_DIR/listener.log" >&2; rm -f "$BACKUP_DIR/listener.pid"; exit 4; }
  echo "backup listener waits (900 s) for one connection from $REPLICA_ADDR on port $BPORT"
fi
`;

  const restoreReplica =
    P +
    `CHANGE_SOURCE_SQL=${shLiteral(d.changeSource)}
` +
    String.raw`PRIMARY_ADDR=$1; REPL_USER=$2; REPORT_HOST=$3; REPORT_PORT=$4; SERVER_ID=$5; BPORT=$6
: "${'$'}{TWINSTACK_REPLICATION_PASSWORD:?replication password missing}"
REPL_PW=$TWINSTACK_REPLICATION_PASSWORD; unset TWINSTACK_REPLICATION_PASSWORD
case "$DATA" in /?*/?*) ;; *) echo "refusing to empty data directory $DATA" >&2; exit 2 ;; esac
case "$SERVER_ID" in ''|*[!0-9]*) echo "server id must be digits" >&2; exit 2 ;; esac
client_option_file "$REPL_PW"
# 1. Refuse before anything changes: the primary answers as the replication user, same dialect and series.
FACTS=$(remote_sql -e ${shLiteral(d.facts)}) || { echo "cannot log in to the primary $PRIMARY_ADDR:$PORT as $REPL_USER: run preparePrimary first and check the twin may reach it" >&2; exit 3; }
set -- $FACTS
PRIMARY_VERSION=$1
[ "$2" = 1 ] || { echo "binary logging is off on the primary: set log_bin=mysql-bin in its option file and restart it" >&2; exit 3; }
[ "$3" = 1 ] || { echo "GTIDs are not enforced on the primary: ${d.gtidFix}" >&2; exit 3; }
[ "$4" != "$SERVER_ID" ] || { echo "the primary's server_id is $4, the twin's would be the same: give the hosts distinct addresses" >&2; exit 3; }
LOCAL_VERSION=$("$SERVER" --version 2>/dev/null | sed -n 's/.* Ver \([^ ]*\).*/\1/p')
dialect_of() { case "$1" in *MariaDB*) echo mariadb ;; *) echo mysql ;; esac; }
series_of() { printf '%s' "$1" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p'; }
[ "$(dialect_of "$PRIMARY_VERSION")" = "$DIALECT" ] || { echo "the primary runs $PRIMARY_VERSION, not $DIALECT: set the database's engine to $(dialect_of "$PRIMARY_VERSION")" >&2; exit 3; }
[ -n "$LOCAL_VERSION" ] || { echo "cannot tell the version of $SERVER on the twin" >&2; exit 3; }
[ "$(dialect_of "$LOCAL_VERSION")" = "$DIALECT" ] || { echo "the twin's $SERVER is $LOCAL_VERSION, not $DIALECT: install the primary's server on the twin" >&2; exit 3; }
[ "$(series_of "$PRIMARY_VERSION")" = "$(series_of "$LOCAL_VERSION")" ] || { echo "the primary runs $PRIMARY_VERSION and the twin $LOCAL_VERSION: a physical backup needs the same release series (install $(series_of "$PRIMARY_VERSION") on the twin)" >&2; exit 3; }
TOKEN=$(backup_token "$REPL_PW")
# 2. Stop and empty.
if is_running; then stop_node; echo "stopped the running server" >&2; fi
mkdir -p "$DATA"
find "$DATA" -mindepth 1 -delete
# 3. Pull the primary's physical backup stream (socat: connect retries 60 s, 600 s inactivity limit).
receive() {
  IFS= read -r header || { echo "the primary's backup listener sent nothing (is it listening? run preparePrimary again)" >&2; exit 5; }
  case "$header" in "twinstack-backup "*) ;; *) echo "the primary's backup listener refused: $header" >&2; exit 5 ;; esac
  printf '%s' "${'$'}{header#twinstack-backup }" > "$OPT_DIR/total"
  exec "$XSTREAM" -x -C "$DATA"
}
( while :; do sleep 2; printf 'twinstack-progress %s %s\n' "$(du -sb "$DATA" 2>/dev/null | cut -f 1)" "$(cat "$OPT_DIR/total" 2>/dev/null || echo 0)"; done ) &
PROGRESS_PID=$!
printf '%s\n' "$TOKEN" | socat -t 86400 -T 600 - "TCP:$PRIMARY_ADDR:$BPORT,connect-timeout=10,retry=30,interval=2" | receive
kill "$PROGRESS_PID" 2>/dev/null || true; PROGRESS_PID=
[ -f "$DATA/xtrabackup_checkpoints" ] || { echo "the backup stream from $PRIMARY_ADDR:$BPORT was incomplete (no xtrabackup_checkpoints)" >&2; exit 5; }
TOTAL=$(du -sb "$DATA" | cut -f 1)
printf 'twinstack-progress %s %s\n' "$TOTAL" "$TOTAL"
# 4. Prepare (crash recovery of the copy) and read the GTID position it ends at.
timeout -k 10 3600 "$BACKUP" --prepare --target-dir="$DATA" >>"$LOG" 2>&1 || { echo "$BACKUP --prepare failed (log $LOG)" >&2; tail -n 20 "$LOG" >&2; exit 5; }
INFO="$DATA/xtrabackup_binlog_info"; [ -f "$DATA/mariadb_backup_binlog_info" ] && INFO="$DATA/mariadb_backup_binlog_info"
[ -f "$INFO" ] || { echo "the backup has no binlog position ($INFO)" >&2; exit 5; }
GTID=$(awk -F '	' '{ print $3 }' "$INFO" | tr -d ' \n')
rm -f "$DATA/twinstack.fenced" "$DATA/twinstack.promoted" "$DATA/twinstack.demoted" "$PIDF"
# 5. This copy's durable replica settings, then start it and point it at the primary.
for k in ${fenceKeys} ${semiKeys}; do ts_unset "$k"; done
ts_set server_id "$SERVER_ID"; ts_set report_host "$REPORT_HOST"; ts_set report_port "$REPORT_PORT"
ts_lines ${replicaOptions}
start_node
printf "$CHANGE_SOURCE_SQL" "$(sql_quote "$GTID")" "$(sql_quote "$PRIMARY_ADDR")" "$PORT" "$(sql_quote "$REPL_USER")" "$(sql_quote "$REPL_PW")" | sql
REPL_PW=
echo "restored from $PRIMARY_ADDR ($PRIMARY_VERSION) at GTID $GTID; replicating"
`;

  const startReplication =
    P +
    String.raw`PRIMARY_ADDR=$1; REPL_USER=$2; WAIT=$3
case "$WAIT" in ''|*[!0-9]*) echo "wait seconds must be digits" >&2; exit 2 ;; esac
: "${'$'}{TWINSTACK_REPLICATION_PASSWORD:?replication password missing}"
client_option_file "$TWINSTACK_REPLICATION_PASSWORD"; unset TWINSTACK_REPLICATION_PASSWORD
if ! is_running; then
  [ ! -f "$DATA/twinstack.fenced" ] || { echo "fenced (twinstack.fenced in $DATA): rebuild it with a restore, not a start" >&2; exit 3; }
  start_node
  echo "started the server" >&2
fi
RS=$(sql_table -e "$REPLICA_STATUS_SQL") || { echo "cannot read the replica status" >&2; exit 4; }
[ -n "$RS" ] || { echo "not a replica (no replication configured): restore it first" >&2; exit 3; }
IO=$(printf '%s\n' "$RS" | field_of ${shLiteral(d.ioRunningField)}); SQLT=$(printf '%s\n' "$RS" | field_of ${shLiteral(d.sqlRunningField)})
STARTED=false
if [ "$IO" != Yes ] || [ "$SQLT" != Yes ]; then sql -e ${shLiteral(d.startReplica)}; STARTED=true; fi
# The exact caught-up check: wait until everything the primary has committed now is applied here.
CAUGHT=false; TARGET=
if TARGET=$(remote_sql -e ${shLiteral(d.primaryPosition)}); then
  TARGET=$(printf '%s\n' "$TARGET" | position_of)
  R=$(printf ${shLiteral(d.waitFor)} "$(sql_quote "$TARGET")" "$WAIT" | sql_within $((WAIT + 10))) || R=
  [ "$R" = 0 ] && CAUGHT=true
else
  echo "cannot read the primary's position at $PRIMARY_ADDR:$PORT: caught-up unknown" >&2
fi
printf '{"replicating":true,"started":%s,"caughtUp":%s,"primaryPosition":%s}\n' "$STARTED" "$CAUGHT" "$(json_str "$TARGET")"
`;

  const status =
    P +
    `STATUS_VARS_SQL=${shLiteral(d.statusVars)}
` +
    String.raw`set +e
SQL_TIMEOUT=15
FENCED=false; [ -f "$DATA/twinstack.fenced" ] && FENCED=true
PROMOTED=false; [ -f "$DATA/twinstack.promoted" ] && PROMOTED=true
DEMOTED=false; [ -f "$DATA/twinstack.demoted" ] && DEMOTED=true
if ! is_running; then printf '{"running":false,"fenced":%s,"promoted":%s,"demoted":%s}\n' "$FENCED" "$PROMOTED" "$DEMOTED"; exit 0; fi
VARS=$(printf '%s\n' "$STATUS_VARS_SQL" | sql)
if [ $? -ne 0 ] || [ -z "$VARS" ]; then printf '{"running":true,"answered":false,"fenced":%s,"promoted":%s,"demoted":%s}\n' "$FENCED" "$PROMOTED" "$DEMOTED"; exit 0; fi
RS=$(sql_table -e "$REPLICA_STATUS_SQL")
HOSTS=$(sql_table -e "$REPLICA_HOSTS_SQL")
BYTES=$(du -sb "$DATA" 2>/dev/null | cut -f 1); case "$BYTES" in ''|*[!0-9]*) BYTES=null ;; esac
printf '{"running":true,"answered":true,"fenced":%s,"promoted":%s,"demoted":%s,"dataBytes":%s,"vars":%s,"replicaStatus":%s,"replicaHosts":%s}\n' "$FENCED" "$PROMOTED" "$DEMOTED" "$BYTES" "$VARS" "$(json_str "$RS")" "$(json_str "$HOSTS")"
exit 0
`;

  const fenceScript =
    P +
    String.raw`[ -d "$DATA" ] || { echo "no data directory $DATA: nothing can start" >&2; printf '{"fenced":true,"wasRunning":false,"killed":0}\n'; exit 0; }
SQL_TIMEOUT=10
WAS=false; KILLED=0
# Durable first: a crash or restart from here on comes back fenced.
ts_lines ${fence}
touch "$DATA/twinstack.fenced"
if is_running; then
  WAS=true
  sql -e ${shLiteral(d.readOnlyOn)} >/dev/null 2>&1 || true
  # Every other session goes, privileged ones and replication threads included.
  KILLED=$(kill_sessions all)
  sql -e ${shLiteral(d.readOnlyOn)} >/dev/null 2>&1 || true
  stop_node || exit 4
fi
printf '{"fenced":true,"wasRunning":%s,"killed":%s}\n' "$WAS" "$KILLED"
`;

  const promote =
    P +
    semiSync +
    `UNPERSIST_SQL=${shLiteral(d.unpersistReadOnly)}
` +
    String.raw`SQL_TIMEOUT=10; SEMI_TIMEOUT=0
is_running || { echo "the server is not running in $DATA: cannot promote" >&2; exit 3; }
RS=$(sql_table -e "$REPLICA_STATUS_SQL") || { echo "cannot read the replica status" >&2; exit 4; }
PROMOTED=false; ALREADY=false
if [ -n "$RS" ]; then
  touch "$DATA/twinstack.promoted"
  sql -e ${shLiteral(d.stopIoThread)}
  RS=$(sql_table -e "$REPLICA_STATUS_SQL")
  RECEIVED=$(printf '%s\n' "$RS" | field_of ${shLiteral(d.receivedField)})
  if [ -n "$RECEIVED" ]; then
    # Apply everything received before cutting the link (bounded: 30 s).
    R=$(printf ${shLiteral(d.waitFor)} "$(sql_quote "$RECEIVED")" 30 | sql_within 40) || R=
    if [ "$R" != 0 ]; then
      ERR=$(printf '%s\n' "$RS" | field_of ${shLiteral(d.lastSqlErrorField)})
      echo "the relay log was not applied within 30 s (received $RECEIVED; last apply error: $ERR): not promoting" >&2; exit 4
    fi
  fi
  sql -e ${shLiteral(d.stopReplica)}
  sql -e ${shLiteral(d.resetReplicaAll)}
  PROMOTED=true
else
  [ -f "$DATA/twinstack.promoted" ] || { echo "already a primary that twinstack did not promote (no twinstack.promoted in $DATA): refusing to adopt it" >&2; exit 5; }
  # A switchover's demoted primary gets writes back only through undoDemote (which checks nothing was promoted).
  [ ! -f "$DATA/twinstack.demoted" ] || { echo "a primary demoted by a switchover (twinstack.demoted in $DATA): undo the demotion (undoDemote) instead of promoting it" >&2; exit 5; }
  ALREADY=true
fi
for k in ${fenceKeys} ${replicaKeys}; do ts_unset "$k"; done
set_semi_sync off >/dev/null
sql -e ${shLiteral(d.semiReplicaOff)} >/dev/null 2>&1 || true
rm -f "$DATA/twinstack.fenced"
if [ "$(sql -e 'SELECT @@innodb_read_only')" = 1 ]; then stop_node; start_node; echo "restarted without innodb_read_only" >&2; fi
# MySQL: a demotion's SET PERSIST (kept through a rejoin) would bring super_read_only back at the next start.
[ -z "$UNPERSIST_SQL" ] || sql -e "$UNPERSIST_SQL"
sql -e ${shLiteral(d.readOnlyOff)}
deadline=$(($(date +%s) + 15))
until [ "$(sql -e "$WRITABLE_SQL")" = 1 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "not writable within 15 s after promotion" >&2; exit 4; }
  sleep 0.2
done
printf '{"promoted":%s,"alreadyPrimary":%s}\n' "$PROMOTED" "$ALREADY"
`;

  const setSynchronousReplicas =
    P +
    semiSync +
    String.raw`SEMI=$1; SEMI_TIMEOUT=$2
is_running || { echo "the server is not running in $DATA" >&2; exit 3; }
set_semi_sync "$SEMI"
`;

  const demoteOptions = d.demoteOptions.map(shLiteral).join(' ');
  const demoteKeys = d.demoteOptions.map((kv) => shLiteral(kv.split('=')[0]!)).join(' ');
  const waitWritable = String.raw`wait_writable() {
  deadline=$(($(date +%s) + 15))
  until [ "$(sql -e "$WRITABLE_SQL")" = 1 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "not writable within 15 s" >&2; exit 4; }
    sleep 0.2
  done
}
`;

  // Switchover, on the active primary. Durable first (option file, marker, MySQL SET PERSIST),
  // then the runtime refusal, then every client session goes (an open transaction cannot commit
  // after the token; replication threads stay so the replica still receives everything), and
  // only then is the final position read. Users with READ ONLY ADMIN / SUPER can still write
  // through read_only, as on any replica: apps must use non-privileged users.
  const demote =
    P +
    `READ_ONLY_ON_SQL=${shLiteral(d.readOnlyOn)}; PERSIST_SQL=${shLiteral(d.persistReadOnly)}; POSITION_SQL=${shLiteral(d.primaryPosition)}
` +
    String.raw`SQL_TIMEOUT=10
is_running || { echo "the server is not running in $DATA: nothing to demote (fence it to keep it from coming back)" >&2; exit 3; }
[ ! -f "$DATA/twinstack.fenced" ] || { echo "fenced (twinstack.fenced in $DATA): a fenced server is not a switchover's primary" >&2; exit 3; }
RS=$(sql_table -e "$REPLICA_STATUS_SQL") || { echo "cannot read the replica status" >&2; exit 4; }
[ -z "$RS" ] || { echo "a replica, not a primary: nothing to demote" >&2; exit 3; }
WAS=false; [ "$(sql -e "$WRITABLE_SQL")" = 1 ] && WAS=true
ts_lines ${demoteOptions}
touch "$DATA/twinstack.demoted"
[ -z "$PERSIST_SQL" ] || sql -e "$PERSIST_SQL"
# May wait for commits in flight: bounded, then their sessions are killed and it is set again.
sql -e "$READ_ONLY_ON_SQL" >/dev/null 2>&1 || true
KILLED=$(kill_sessions keep-replicas)
SQL_TIMEOUT=30
sql -e "$READ_ONLY_ON_SQL"
[ "$(sql -e "$WRITABLE_SQL")" = 0 ] || { echo "still writable after ${'$'}{READ_ONLY_ON_SQL}" >&2; exit 4; }
POSITION=$(sql -e "$POSITION_SQL" | position_of)
printf '{"demoted":true,"wasWritable":%s,"killed":%s,"position":%s}\n' "$WAS" "$KILLED" "$(json_str "$POSITION")"
`;

  // Switchover abort. Only a primary carrying our demotion marker gets writes back; an
  // already writable primary without it is a no-op (a repeated undo); anything else is refused.
  const undoDemote =
    P +
    waitWritable +
    `UNPERSIST_SQL=${shLiteral(d.unpersistReadOnly)}; READ_ONLY_OFF_SQL=${shLiteral(d.readOnlyOff)}
` +
    String.raw`SQL_TIMEOUT=10
is_running || { echo "the server is not running in $DATA: cannot give writes back" >&2; exit 3; }
[ ! -f "$DATA/twinstack.fenced" ] || { echo "fenced (twinstack.fenced in $DATA): refusing to make it writable" >&2; exit 5; }
RS=$(sql_table -e "$REPLICA_STATUS_SQL") || { echo "cannot read the replica status" >&2; exit 4; }
[ -z "$RS" ] || { echo "a replica (it rejoined): refusing to make it writable" >&2; exit 5; }
if [ ! -f "$DATA/twinstack.demoted" ]; then
  [ "$(sql -e "$WRITABLE_SQL")" = 1 ] || { echo "read-only but not demoted by twinstack (no twinstack.demoted in $DATA): refusing to make it writable" >&2; exit 5; }
  printf '{"undone":false,"writable":true}\n'
  exit 0
fi
for k in ${demoteKeys}; do ts_unset "$k"; done
[ -z "$UNPERSIST_SQL" ] || sql -e "$UNPERSIST_SQL"
sql -e "$READ_ONLY_OFF_SQL"
wait_writable
# Last: a retry after a failure above still finds the marker.
rm -f "$DATA/twinstack.demoted"
printf '{"undone":true,"writable":true}\n'
`;

  // An old primary (demoted by a switchover, or fenced after a failover) becomes a replica of
  // the new primary, never a primary. Order keeps every retry safe: the divergence check comes
  // before anything changes; the markers go last, once replication runs.
  const isolated = d.isolatedStartOptions.map(shLiteral).join(' ');
  const rejoin =
    P +
    d.errantFunctions +
    `REPOINT_SQL=${shLiteral(d.repointSource)}; STATE_SQL=${shLiteral(d.executedState)}; START_REPLICA_SQL=${shLiteral(d.startReplica)}; POSITION_SQL=${shLiteral(d.primaryPosition)}
SEMI_SOURCE_OFF_SQL=${shLiteral(d.semiSourceOff)}; SEMI_PLUGIN_SQL=${shLiteral(d.semiReplicaPlugin)}; SEMI_REPLICA_ON_SQL=${shLiteral(d.semiReplicaOn)}; READ_ONLY_ON_SQL=${shLiteral(d.readOnlyOn)}
HOST_FIELD=${shLiteral(d.sourceHostField)}; PORT_FIELD=${shLiteral(d.sourcePortField)}; IO_FIELD=${shLiteral(d.ioRunningField)}; SQL_FIELD=${shLiteral(d.sqlRunningField)}
` +
    String.raw`PRIMARY_ADDR=$1; REPL_USER=$2; REPORT_HOST=$3; REPORT_PORT=$4
case "$REPORT_PORT" in ''|*[!0-9]*) echo "report port must be digits" >&2; exit 2 ;; esac
: "${'$'}{TWINSTACK_REPLICATION_PASSWORD:?replication password missing}"
REPL_PW=$TWINSTACK_REPLICATION_PASSWORD; unset TWINSTACK_REPLICATION_PASSWORD
client_option_file "$REPL_PW"
SQL_TIMEOUT=20
FENCED=false; [ -f "$DATA/twinstack.fenced" ] && FENCED=true
DEMOTED=false; [ -f "$DATA/twinstack.demoted" ] && DEMOTED=true
# 1. Refuse a server that could still take writes as a primary.
if ! is_running; then
  [ "$FENCED" = true ] || { echo "stopped and not fenced by twinstack (no twinstack.fenced in $DATA): started, it could come back as a writable primary. Fence it first, then rejoin" >&2; exit 5; }
  # Its persisted fence (innodb_read_only) forbids the crash recovery a killed server needs:
  # this one start overrides it, unreachable over TCP and read-only, so nothing but this
  # script can write. Any later plain start is fenced again by the option file.
  start_node ${isolated}
  echo "started the fenced server isolated (socket only, read-only, crash recovery allowed) to compare its history" >&2
fi
RS=$(sql_table -e "$REPLICA_STATUS_SQL") || { echo "cannot read the replica status" >&2; exit 4; }
if [ "$FENCED" = false ] && [ "$DEMOTED" = false ] && [ -z "$RS" ]; then
  W=$(sql -e "$WRITABLE_SQL" 2>/dev/null) || W=unknown
  echo "a primary twinstack neither fenced nor demoted (writable: $W): refusing to rejoin it. Fence it (failover) or demote it (switchover) first" >&2; exit 5
fi
METHOD=repointed
if [ "$FENCED" = false ] && [ -n "$RS" ] && [ "$(printf '%s\n' "$RS" | field_of "$HOST_FIELD")" = "$PRIMARY_ADDR" ] && [ "$(printf '%s\n' "$RS" | field_of "$PORT_FIELD")" = "$PORT" ]; then
  METHOD=already-replica
fi
if [ "$METHOD" = repointed ]; then
  # 2. Divergence: transactions it holds that the new primary does not (compared before anything changes).
  NEW_STATE=$(remote_sql -e "$STATE_SQL") || { echo "cannot read the new primary's GTIDs at $PRIMARY_ADDR:$PORT as $REPL_USER: prepare it as primary for this host's address first" >&2; exit 3; }
  NEW_STATE=$(printf '%s' "$NEW_STATE" | tr -d ' \n')
  ERRANT=$(errant_list)
  if [ -n "$ERRANT" ]; then
    ERRANT_SET=$(printf '%s\n' "$ERRANT" | paste -sd ',' -)
    # Saved once per divergence: a repeated rejoin finds the same set in an earlier directory.
    SAVED=
    for dir in "$DATA".twinstack-divergent-*; do
      if [ -f "$dir/errant-gtids.txt" ] && [ "$(cat "$dir/errant-gtids.txt")" = "$ERRANT_SET" ]; then SAVED=$dir; fi
    done
    if [ -z "$SAVED" ]; then
      SAVED="$DATA.twinstack-divergent-$(date -u +%Y%m%dT%H%M%SZ)"
      (umask 077; mkdir -p "$SAVED.tmp"
        for f in $(binlog_files); do
          errant_events "$f" > "$SAVED.tmp/events.part"
          if [ -s "$SAVED.tmp/events.part" ]; then
            printf -- '-- from %s\n' "$(basename "$f")" >> "$SAVED.tmp/errant-events.sql"
            cat "$SAVED.tmp/events.part" >> "$SAVED.tmp/errant-events.sql"
            cp "$f" "$SAVED.tmp/"
          fi
        done
        rm -f "$SAVED.tmp/events.part"
        # Nothing decoded (the binlog tool failed): nothing is reported saved, so no restore wipes unsaved data.
        [ -s "$SAVED.tmp/errant-events.sql" ] || { echo "could not read the errant transactions ($ERRANT_SET) out of the binary logs: nothing saved, nothing changed; it stays fenced. Save $DATA by hand, then restore it from the new primary (restoreReplica)" >&2; exit 6; }
        printf '%s' "$ERRANT_SET" > "$SAVED.tmp/errant-gtids.txt"
        printf '%s' "$NEW_STATE" > "$SAVED.tmp/new-primary-gtids.txt") || exit 6
      mv "$SAVED.tmp" "$SAVED"
    fi
    # It must never serve again as it is: fenced for good until a restore from the new primary replaces its data.
    ts_lines ${fence}
    touch "$DATA/twinstack.fenced"
    sql -e "$READ_ONLY_ON_SQL" >/dev/null 2>&1 || true
    kill_sessions all >/dev/null
    stop_node || exit 4
    printf '{"method":"needs-restore","errant":%s,"savedTo":%s}\n' "$(json_str "$ERRANT_SET")" "$(json_str "$SAVED")"
    exit 0
  fi
  # 3. No divergence: a replica's durable settings (read-only, named, semi-sync acknowledging), then re-point it.
  for k in ${fenceKeys} ${semiKeys}; do ts_unset "$k"; done
  ts_set report_host "$REPORT_HOST"; ts_set report_port "$REPORT_PORT"
  ts_lines ${replicaOptions}
  sql -e "$READ_ONLY_ON_SQL"
  # innodb_read_only (a fence), skip_networking (the isolated start) and report_host/report_port apply only at start.
  if [ "$(sql -e 'SELECT @@innodb_read_only OR @@skip_networking')" = 1 ] || [ "$(sql -e "SELECT CONCAT(IFNULL(@@report_host, ''), ':', IFNULL(@@report_port, ''))")" != "$REPORT_HOST:$REPORT_PORT" ]; then
    stop_node; start_node; echo "restarted with the replica settings" >&2
  fi
  # Runtime semi-sync roles (the option file above holds them across restarts); START below applies the replica side.
  sql -e "$SEMI_SOURCE_OFF_SQL" >/dev/null 2>&1 || true
  [ -z "$SEMI_PLUGIN_SQL" ] || sql -e "$SEMI_PLUGIN_SQL" >/dev/null 2>&1 || true
  sql -e "$SEMI_REPLICA_ON_SQL" >/dev/null 2>&1 || true
  # MariaDB resumes from everything it holds (position_of: its binlog, or, restored and never
  # written since, its slave position); an empty value would ask for the primary's whole history.
  OWN_POSITION=$(sql -e "$POSITION_SQL" | position_of)
  { printf 'SET @twinstack_own_position = %s;\n' "$(sql_quote "$OWN_POSITION")"
    printf "$REPOINT_SQL" "$(sql_quote "$PRIMARY_ADDR")" "$PORT" "$(sql_quote "$REPL_USER")" "$(sql_quote "$REPL_PW")"; } | sql
else
  RS=$(sql_table -e "$REPLICA_STATUS_SQL")
  if [ "$(printf '%s\n' "$RS" | field_of "$IO_FIELD")" != Yes ] || [ "$(printf '%s\n' "$RS" | field_of "$SQL_FIELD")" != Yes ]; then sql -e "$START_REPLICA_SQL"; fi
fi
REPL_PW=
# 4. Replication must run (bounded: 30 s), then it is a replica of ours and nothing else.
deadline=$(($(date +%s) + 30))
while :; do
  RS=$(sql_table -e "$REPLICA_STATUS_SQL")
  [ "$(printf '%s\n' "$RS" | field_of "$IO_FIELD")" = Yes ] && [ "$(printf '%s\n' "$RS" | field_of "$SQL_FIELD")" = Yes ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "replication from $PRIMARY_ADDR:$PORT did not run within 30 s: $(printf '%s\n' "$RS" | field_of Last_IO_Error) $(printf '%s\n' "$RS" | field_of Last_SQL_Error)" >&2; exit 4
  fi
  sleep 0.5
done
rm -f "$DATA/twinstack.demoted" "$DATA/twinstack.fenced" "$DATA/twinstack.promoted"
printf '{"method":"%s","errant":"","savedTo":""}\n' "$METHOD"
`;

  return { preparePrimary, restoreReplica, startReplication, status, fence: fenceScript, promote, setSynchronousReplicas, demote, undoDemote, rejoin };
}

/** The rejoin's divergence functions of a dialect (`errant_list`, `errant_events`), for tests that run them alone. */
export function divergenceFunctions(dialect: MysqlDialect): string {
  return TEXT[dialect].errantFunctions;
}

/** The `position_of` shell function of a dialect, for tests that run it alone. */
export function positionFunction(dialect: MysqlDialect): string {
  return TEXT[dialect].positionOf;
}

/** The scripts of each dialect, built once (constant text). */
export const MYSQL_SCRIPTS: Readonly<Record<MysqlDialect, MysqlScripts>> = { mariadb: buildScripts('mariadb'), mysql: buildScripts('mysql') };
