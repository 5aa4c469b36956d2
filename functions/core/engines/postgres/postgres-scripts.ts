/**
 * The fixed POSIX sh scripts the PostgreSQL engine runs on a database host, as
 * the SSH user that owns the data directory (PostgreSQL refuses root).
 *
 * Invariants:
 * - scripts are constant text: every value arrives as a positional parameter
 *   (`sh -c '<script>' sh <args…>`) or a psql variable set from one, and psql
 *   quotes it with `:'var'` / `:"var"`; nothing is interpolated into SQL or shell;
 * - secrets arrive only in the environment (RemoteCommand.secretEnv) and are read
 *   inside psql with `\getenv` (psql 15) or by pg_basebackup from PGPASSWORD;
 * - the node convention of model.ts holds: per-node settings on the pg_ctl command
 *   line, log at `<dataDir>.log`;
 * - our own sessions commit with synchronous_commit=local (PGOPTIONS), so role
 *   changes never wait for a synchronous replica that is not attached yet;
 * - pg_ctl and other chatter goes to stderr, so stdout carries only the result
 *   (one JSON line for status, fence and promote);
 * - secrets never reach the server's environment: pg_ctl starts it through
 *   `env -u` without them, and PGPASSWORD is set on the pg_basebackup line only;
 * - nothing waits unbounded: psql runs under `timeout` (SQL_TIMEOUT seconds, per
 *   script), pg_ctl with `-t`, pg_basebackup under `timeout`, loops against a
 *   deadline, so a script outlives its command's timeout by little if at all;
 * - `<dataDir>/twinstack.promoted` marks a server twinstack promoted (status reports
 *   it as promotedByTwinstack); a restore removes the copy a base backup brings.
 *
 * Written for PostgreSQL 15 on Debian (`/usr/lib/postgresql/15/bin`), run by dash.
 */

/** `$1`…`$6` as in `nodeArguments`; shell functions every script uses. */
const PREAMBLE = String.raw`set -eu
BIN=$1; DATA=$2; SOCK=$3; PORT=$4; SUPER=$5; LISTEN=$6; shift 6
export PGCONNECT_TIMEOUT=10
export PGOPTIONS='-c synchronous_commit=local'
SQL_TIMEOUT=30
sql_within() { t=$1; shift; timeout -k 5 "$t" "$BIN/psql" -h "$SOCK" -p "$PORT" -U "$SUPER" -d postgres -XAtq -v ON_ERROR_STOP=1 "$@"; }
sql() { sql_within "$SQL_TIMEOUT" "$@"; }
is_running() { "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }
node_options() { printf '%s' "-c port=$PORT -c listen_addresses='$LISTEN' -c unix_socket_directories='$SOCK'"; }
start_node() { mkdir -p "$SOCK"; env -u TWINSTACK_REPLICATION_PASSWORD -u TWINSTACK_APP_PASSWORD -u PGPASSWORD "$BIN/pg_ctl" -D "$DATA" -l "$DATA.log" -w -t 60 -o "$(node_options)" start >&2; }
restart_node() { mkdir -p "$SOCK"; env -u TWINSTACK_REPLICATION_PASSWORD -u TWINSTACK_APP_PASSWORD -u PGPASSWORD "$BIN/pg_ctl" -D "$DATA" -l "$DATA.log" -w -t 60 -m fast -o "$(node_options)" restart >&2; }
wait_ready() {
  deadline=$(($(date +%s) + 60))
  until env -u TWINSTACK_REPLICATION_PASSWORD -u TWINSTACK_APP_PASSWORD -u PGPASSWORD "$BIN/pg_isready" -q -h "$SOCK" -p "$PORT" -t 5; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "server did not accept connections within 60 s" >&2; return 1; }
    sleep 1
  done
}
`;

/**
 * Primary. Args after the node ones: replicationUser, appUser, database,
 * synchronous_standby_names value, replica address (IPv4).
 * Env: TWINSTACK_REPLICATION_PASSWORD, TWINSTACK_APP_PASSWORD. The session turns
 * statement logging off so the server log never records the passwords sent in
 * ALTER ROLE (the server stores only their SCRAM verifiers).
 *
 * It also readies this server to be the SOURCE of a rejoin (REJOIN_SCRIPT on the other
 * node): the replication user gets pg_rewind's function grants and pg_checkpoint, and
 * may connect from the replica's address to the `postgres` database; `wal_log_hints = on`
 * (a restart, once) lets THIS server be rewound later (data checksums do too). The same
 * script runs with roles reversed on a promoted twin (roles and grants arrived by
 * replication; only its access rules for the other address are new), and a second run
 * changes nothing.
 */
export const PREPARE_PRIMARY_SCRIPT = PREAMBLE + String.raw`REPL_USER=$1; APP_USER=$2; DB=$3; SYNC_NAMES=$4; REPLICA_ADDR=$5
: "${'$'}{TWINSTACK_REPLICATION_PASSWORD:?replication password missing}"
: "${'$'}{TWINSTACK_APP_PASSWORD:?app password missing}"
is_running || { echo "PostgreSQL is not running in $DATA" >&2; exit 3; }
sql -v repl_user="$REPL_USER" -v app_user="$APP_USER" -v db="$DB" -v sync_names="$SYNC_NAMES" <<'SQL'
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET log_min_error_statement = 'panic';
\getenv repl_pw TWINSTACK_REPLICATION_PASSWORD
\getenv app_pw TWINSTACK_APP_PASSWORD
SELECT format('CREATE ROLE %I', :'repl_user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'repl_user') \gexec
ALTER ROLE :"repl_user" WITH REPLICATION LOGIN PASSWORD :'repl_pw';
SELECT format('CREATE ROLE %I', :'app_user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') \gexec
ALTER ROLE :"app_user" WITH LOGIN NOSUPERUSER NOREPLICATION PASSWORD :'app_pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'app_user') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
GRANT EXECUTE ON FUNCTION pg_catalog.pg_ls_dir(text, boolean, boolean) TO :"repl_user";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_stat_file(text, boolean) TO :"repl_user";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text) TO :"repl_user";
GRANT EXECUTE ON FUNCTION pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean) TO :"repl_user";
GRANT pg_checkpoint TO :"repl_user";
ALTER SYSTEM SET wal_level = 'replica';
ALTER SYSTEM SET max_wal_senders = 10;
ALTER SYSTEM SET wal_keep_size = '1GB';
ALTER SYSTEM SET wal_log_hints = on;
ALTER SYSTEM SET hot_standby = on;
ALTER SYSTEM SET synchronous_standby_names = :'sync_names';
SQL
echo "roles, database and replication settings ensured"
HBA=$(sql -c 'SHOW hba_file')
for LINE in "host replication $REPL_USER $REPLICA_ADDR/32 scram-sha-256" "host postgres $REPL_USER $REPLICA_ADDR/32 scram-sha-256" "host $DB $APP_USER all scram-sha-256"; do
  if grep -qxF "$LINE" "$HBA"; then echo "pg_hba.conf already has: $LINE"; else printf '%s\n' "$LINE" >> "$HBA"; echo "pg_hba.conf added: $LINE"; fi
done
sql -c 'SELECT pg_reload_conf()' >/dev/null
PENDING=$(sql -c "SELECT current_setting('wal_level') <> 'replica' OR current_setting('max_wal_senders')::int <> 10 OR current_setting('wal_log_hints') <> 'on' OR current_setting('hot_standby') <> 'on' OR EXISTS (SELECT 1 FROM pg_settings WHERE pending_restart)")
if [ "$PENDING" = t ]; then restart_node; wait_ready; echo "restarted for settings that need a restart"; else echo "reloaded; no restart needed"; fi
`;

/**
 * Twin. Args after the node ones: primary address, replicationUser, replica name
 * (application_name). Env: PGPASSWORD (the replication password, for pg_basebackup;
 * `-R` stores it in primary_conninfo inside the 0700 data directory). It is moved
 * into an unexported variable at once and given to pg_basebackup alone.
 *
 * Runs as a detached job (functions/core/jobs): pg_basebackup may take up to 12 h, and
 * every 2 s a background loop (bounded, stopped when pg_basebackup ends or the script
 * dies) prints `twinstack-progress <bytes in DATA> <pg_basebackup's estimate of the
 * total, 0 until known>` from `du -sb` and pg_basebackup's `-P` report (kept in a
 * temporary file; its other lines go to stderr after it ends).
 */
export const RESTORE_REPLICA_SCRIPT = PREAMBLE + String.raw`PRIMARY_ADDR=$1; REPL_USER=$2; REPLICA_NAME=$3
: "${'$'}{PGPASSWORD:?replication password missing}"
REPL_PW=$PGPASSWORD; unset PGPASSWORD
case "$DATA" in /?*/?*) ;; *) echo "refusing to empty data directory $DATA" >&2; exit 2 ;; esac
if is_running; then "$BIN/pg_ctl" -D "$DATA" stop -m fast -w -t 60 >&2; echo "stopped the running server"; fi
mkdir -p "$DATA"
find "$DATA" -mindepth 1 -delete
echo "emptied $DATA"
PROGRESS=$(mktemp)
report_progress() {
  DONE=$(du -sb "$DATA" 2>/dev/null | cut -f1) || true
  [ -n "$DONE" ] || DONE=0
  TOTAL_KB=$(tr '\r' '\n' < "$PROGRESS" 2>/dev/null | sed -n 's|^ *[0-9][0-9]*/\([0-9][0-9]*\) kB.*|\1|p' | tail -n 1) || true
  [ -n "$TOTAL_KB" ] || TOTAL_KB=0
  echo "twinstack-progress $DONE $((TOTAL_KB * 1024))"
}
( i=0; while [ "$i" -lt 21630 ] && kill -0 $$ 2>/dev/null; do sleep 2 </dev/null >/dev/null 2>&1; report_progress; i=$((i + 1)); done ) &
TICKER=$!
trap 'kill "$TICKER" 2>/dev/null || true; rm -f "$PROGRESS"' EXIT
set +e
PGPASSWORD="$REPL_PW" timeout -k 10 43200 "$BIN/pg_basebackup" -D "$DATA" -d "host=$PRIMARY_ADDR port=$PORT user=$REPL_USER application_name=$REPLICA_NAME connect_timeout=10" -R -X stream -c fast -w -P 2>"$PROGRESS"
RC=$?
set -e
REPL_PW=
kill "$TICKER" 2>/dev/null || true
wait "$TICKER" 2>/dev/null || true
tr '\r' '\n' < "$PROGRESS" | grep -v '^ *[0-9][0-9]*/[0-9][0-9]* kB' >&2 || true
[ "$RC" -eq 0 ] || { echo "pg_basebackup failed with exit code $RC" >&2; exit "$RC"; }
report_progress
chmod 700 "$DATA"
sed -i '/^[[:space:]]*synchronous_standby_names[[:space:]]*=/d' "$DATA/postgresql.auto.conf"
rm -f "$DATA/twinstack.fenced" "$DATA/twinstack.promoted" "$DATA/twinstack.demoted"
echo "base backup restored from $PRIMARY_ADDR:$PORT"
start_node
wait_ready
echo "replica started"
`;

/** Twin. Args after the node ones: none. Starts a stopped replica; a running replica is left alone. */
export const START_REPLICATION_SCRIPT = PREAMBLE + String.raw`if is_running; then
  if [ "$(sql -c 'SELECT pg_is_in_recovery()')" = t ]; then echo "already running as a replica: nothing to do"; exit 0; fi
  echo "running as a primary, not a replica: refusing to touch it" >&2; exit 3
fi
[ -f "$DATA/standby.signal" ] || { echo "no standby.signal in $DATA: not a replica (restore it first)" >&2; exit 3; }
start_node
wait_ready
echo "started the replica"
`;

/**
 * Any node. Args after the node ones: none. Always exits 0 and prints one JSON line.
 *
 * `demoted` is the twinstack.demoted marker (DEMOTE_SCRIPT). `forkPosition`, on a
 * primary, is where its timeline left its parent's: the switch point on the last line
 * (`<parent TLI> <switch LSN> <reason>`) of its newest timeline history file
 * `pg_wal/<TLI>.history`, read as a plain file (the SSH user owns the data directory; no
 * superuser file functions). A promotion always takes a timeline above every history
 * file it knows, so the newest file is the current timeline's; the SQL reports the
 * fork only when that file's TLI is the one the server writes now (`pg_walfile_name`),
 * and a server that never left timeline 1 has none.
 */
export const STATUS_SCRIPT = PREAMBLE + String.raw`set +e
SQL_TIMEOUT=15
FENCED=false; [ -f "$DATA/twinstack.fenced" ] && FENCED=true
PROMOTED=false; [ -f "$DATA/twinstack.promoted" ] && PROMOTED=true
DEMOTED=false; [ -f "$DATA/twinstack.demoted" ] && DEMOTED=true
if ! is_running; then printf '{"role":"stopped","writable":false,"fenced":%s,"promotedByTwinstack":%s,"demoted":%s}\n' "$FENCED" "$PROMOTED" "$DEMOTED"; exit 0; fi
HISTORY=$(ls "$DATA/pg_wal" 2>/dev/null | grep -E '^[0-9A-F]{8}[.]history$' | sort | tail -n 1)
HISTORY_TLI=; FORK=
if [ -n "$HISTORY" ]; then
  HISTORY_TLI=$(printf '%s' "$HISTORY" | cut -c1-8)
  FORK=$(grep -E '^[0-9]+[[:space:]]+[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}([[:space:]]|$)' "$DATA/pg_wal/$HISTORY" | tail -n 1 | awk '{ print $2 }')
fi
OUT=$(sql -v fenced="$FENCED" -v promoted="$PROMOTED" -v demoted="$DEMOTED" -v history_tli="$HISTORY_TLI" -v fork="$FORK" <<'SQL'
SELECT json_build_object(
  'role', CASE WHEN pg_is_in_recovery() THEN 'replica' ELSE 'primary' END,
  'writable', NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off',
  'position', (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
  'receivedPosition', (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() END)::text,
  'upstream', (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver LIMIT 1),
  'streaming', CASE WHEN pg_is_in_recovery() THEN coalesce((SELECT status = 'streaming' FROM pg_stat_wal_receiver LIMIT 1), false) END,
  'replicas', CASE WHEN pg_is_in_recovery() THEN NULL ELSE (
    SELECT coalesce(json_agg(json_build_object(
      'name', application_name, 'state', state, 'syncState', sync_state,
      'replayLagBytes', pg_wal_lsn_diff(pg_current_wal_lsn(), coalesce(replay_lsn, flush_lsn, write_lsn, sent_lsn, '0/0'))::bigint
    ) ORDER BY application_name), '[]'::json) FROM pg_stat_replication) END,
  'version', current_setting('server_version'),
  'dataBytes', (SELECT sum(pg_database_size(oid))::bigint FROM pg_database),
  'fenced', :'fenced'::boolean,
  'promotedByTwinstack', :'promoted'::boolean,
  'demoted', :'demoted'::boolean,
  'forkPosition', CASE WHEN pg_is_in_recovery() OR :'fork' = '' THEN NULL WHEN substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) = :'history_tli' THEN :'fork' END
);
SQL
)
if [ $? -eq 0 ] && [ -n "$OUT" ]; then printf '%s\n' "$OUT"; exit 0; fi
printf '{"role":"unknown","writable":false,"fenced":%s,"promotedByTwinstack":%s,"demoted":%s,"detail":"server is running but did not answer"}\n' "$FENCED" "$PROMOTED" "$DEMOTED"
exit 0
`;

/**
 * Any node. Args after the node ones: none. Stops the server (fast, else immediate)
 * and leaves standby.signal + twinstack.fenced so it can only come back read-only.
 */
export const FENCE_SCRIPT = PREAMBLE + String.raw`[ -d "$DATA" ] || { echo "no data directory $DATA: nothing can start" >&2; printf '{"fenced":true,"wasRunning":false}\n'; exit 0; }
WAS=false
if is_running; then
  WAS=true
  "$BIN/pg_ctl" -D "$DATA" stop -m fast -w -t 30 >&2 || "$BIN/pg_ctl" -D "$DATA" stop -m immediate -w -t 30 >&2 || true
  if is_running; then echo "PostgreSQL in $DATA is still running after fast and immediate stop" >&2; exit 4; fi
fi
touch "$DATA/standby.signal" "$DATA/twinstack.fenced"
printf '{"fenced":true,"wasRunning":%s}\n' "$WAS"
`;

/**
 * Twin. Args after the node ones: none. Promotes a replica, clears
 * synchronous_standby_names (a lone promoted node would block every commit),
 * removes the fenced marker and verifies the server accepts writes.
 *
 * The promoted marker is written just before pg_promote: a promotion whose signal
 * was sent but whose script was cut off still carries it. A server that is already
 * primary WITHOUT the marker was not promoted by twinstack (a standalone clone):
 * it is refused (exit 5), never adopted. Worst case ≈ 10 + 50 + 10 + 26 s < 100 s.
 */
export const PROMOTE_SCRIPT = PREAMBLE + String.raw`SQL_TIMEOUT=10
is_running || { echo "PostgreSQL is not running in $DATA: cannot promote" >&2; exit 3; }
PROMOTED=false; ALREADY=false
IN_RECOVERY=$(sql -c 'SELECT pg_is_in_recovery()')
case "$IN_RECOVERY" in
  t)
    touch "$DATA/twinstack.promoted"
    [ "$(sql_within 50 -c 'SELECT pg_promote(true, 45)')" = t ] || { echo "pg_promote did not finish within 45 s" >&2; exit 4; }
    PROMOTED=true
    sql -c 'ALTER SYSTEM RESET synchronous_standby_names' -c 'SELECT pg_reload_conf()' >/dev/null
    ;;
  f)
    [ -f "$DATA/twinstack.promoted" ] || { echo "already a primary that twinstack did not promote (no twinstack.promoted in $DATA): refusing to adopt it" >&2; exit 5; }
    ALREADY=true
    BLOCKED=$(sql -c "SELECT current_setting('synchronous_standby_names') <> '' AND NOT EXISTS (SELECT 1 FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum'))")
    if [ "$BLOCKED" = t ]; then sql -c 'ALTER SYSTEM RESET synchronous_standby_names' -c 'SELECT pg_reload_conf()' >/dev/null; echo "cleared synchronous_standby_names: no synchronous replica attached" >&2; fi
    ;;
  *) echo "pg_is_in_recovery() answered $IN_RECOVERY" >&2; exit 4 ;;
esac
rm -f "$DATA/twinstack.fenced"
deadline=$(($(date +%s) + 15))
until [ "$(sql -c "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'")" = t ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "not writable within 15 s after promotion" >&2; exit 4; }
  sleep 1
done
printf '{"promoted":%s,"alreadyPrimary":%s}\n' "$PROMOTED" "$ALREADY"
`;

/** Primary. Args after the node ones: the synchronous_standby_names value (may be empty). */
export const SET_SYNCHRONOUS_REPLICAS_SCRIPT = PREAMBLE + String.raw`is_running || { echo "PostgreSQL is not running in $DATA" >&2; exit 3; }
sql -v sync_names="$1" <<'SQL'
ALTER SYSTEM SET synchronous_standby_names = :'sync_names';
SELECT pg_reload_conf() \g /dev/null
SQL
echo "synchronous_standby_names set to: $1"
`;

/**
 * Shell functions of the scripts that read a STOPPED server's end of WAL (demote, rejoin).
 *
 * `read_controldata` reads pg_control (pg_controldata; LC_ALL=C gives its English labels).
 * `wal_end` prints the server's end of WAL: the end of its latest checkpoint record (a
 * clean shutdown writes that record last), or its minimum recovery point when that is
 * later (a standby stopped mid-stream), as pg_rewind reckons it. The end of a record is
 * xlogreader's EndRecPtr, the position a replica that replayed the record reports as
 * `pg_last_wal_replay_lsn()` (and, the sender having nothing more, as its receive LSN):
 * the record's total length (pg_waldump's `len (rec/tot)`) rounded up to 8 bytes
 * (MAXALIGN) when it fits on its page; otherwise the rest continues on the next pages,
 * each after its header (24 bytes, 40 on a segment's first page), and the end is the
 * last page's header + the remainder rounded up to 8. Arithmetic is dash's 64-bit.
 */
const WAL_POSITIONS = String.raw`lsn_int() {
  case "$1" in [0-9A-Fa-f]*/[0-9A-Fa-f]*) ;; *) echo "not an LSN: $1" >&2; return 1 ;; esac
  case "$1" in *[!0-9A-Fa-f/]*|*/*/*) echo "not an LSN: $1" >&2; return 1 ;; esac
  hi=$(printf '%s' "$1" | cut -d/ -f1); lo=$(printf '%s' "$1" | cut -d/ -f2)
  echo $(( (0x$hi << 32) + 0x$lo ))
}
int_lsn() { printf '%X/%X\n' $(($1 >> 32)) $(($1 & 0xFFFFFFFF)); }
control() { printf '%s\n' "$CONTROL" | sed -n "s/^$1: *//p" | head -n 1; }
read_controldata() {
  CONTROL=$("$BIN/pg_controldata" -D "$DATA") || { echo "pg_controldata failed on $DATA" >&2; return 1; }
  CLUSTER_STATE=$(control 'Database cluster state')
  CHECKPOINT=$(control 'Latest checkpoint location')
  TIMELINE=$(control "Latest checkpoint's TimeLineID")
  MIN_RECOVERY=$(control 'Minimum recovery ending location')
  SEG_BYTES=$(control 'Bytes per WAL segment')
  BLOCK_BYTES=$(control 'WAL block size')
  for n in "$TIMELINE" "$SEG_BYTES" "$BLOCK_BYTES"; do case "$n" in ''|*[!0-9]*) echo "pg_controldata output not understood" >&2; return 1 ;; esac; done
}
record_end() {
  start=$1; len=$2; off=$((start % BLOCK_BYTES))
  if [ $((off + len)) -le "$BLOCK_BYTES" ]; then echo $((start + (len + 7) / 8 * 8)); return 0; fi
  rest=$((len - (BLOCK_BYTES - off))); page=$((start - off + BLOCK_BYTES)); i=0
  while [ "$i" -lt 200000 ]; do
    hdr=24; if [ $((page % SEG_BYTES)) -eq 0 ]; then hdr=40; fi
    if [ "$rest" -le $((BLOCK_BYTES - hdr)) ]; then echo $((page + hdr + (rest + 7) / 8 * 8)); return 0; fi
    rest=$((rest - (BLOCK_BYTES - hdr))); page=$((page + BLOCK_BYTES)); i=$((i + 1))
  done
  return 1
}
wal_end() {
  LEN=$("$BIN/pg_waldump" -p "$DATA/pg_wal" -t "$TIMELINE" -s "$CHECKPOINT" -n 1 2>/dev/null | sed -n 's|^rmgr: .*len (rec/tot): *[0-9]*/ *\([0-9]*\),.*|\1|p' | head -n 1) || true
  case "$LEN" in ''|*[!0-9]*) echo "pg_waldump could not read the checkpoint record at $CHECKPOINT on timeline $TIMELINE" >&2; return 1 ;; esac
  end=$(record_end "$(lsn_int "$CHECKPOINT")" "$LEN") || return 1
  if [ -n "$MIN_RECOVERY" ] && [ "$(lsn_int "$MIN_RECOVERY")" -gt "$end" ]; then end=$(lsn_int "$MIN_RECOVERY"); fi
  int_lsn "$end"
}
`;

/**
 * Active primary, switchover. Args after the node ones: none. Makes the server refuse
 * every write for good and prints `{"demoted":true,"wasWritable":…,"position":"X/Y",…}`.
 *
 * The safe demotion of PostgreSQL is a clean shutdown (`pg_ctl stop -m fast`): its
 * walsenders ship all WAL, the shutdown checkpoint included, to the connected standbys
 * before the server exits. `standby.signal` and `twinstack.demoted` are written BEFORE
 * the stop, so a restart (even of a cut-off run) only brings it back read-only.
 * `position` is the end of the shutdown checkpoint record (`wal_end`): exactly the
 * replay (and receive) LSN of a standby that has everything, so `positionDiff(position,
 * replica) <= 0` means it has every record, the checkpoint included; its promotion then
 * forks right there and this server rejoins without a rewind. (The checkpoint's START,
 * pg_controldata's "Latest checkpoint location", would also be passed by a standby that
 * lacks the checkpoint record, and this server would then hold WAL past the fork.)
 * A demoted server that is stopped (a repeated demote) reports the same position from
 * pg_control; a server that is not running and not demoted, or a replica, is refused
 * (exit 5); an unclean state (a crash after the marker) cannot name its end (exit 6).
 */
export const DEMOTE_SCRIPT = PREAMBLE + WAL_POSITIONS + String.raw`WAS=false
if is_running; then
  IN_RECOVERY=$(sql -c 'SELECT pg_is_in_recovery()')
  case "$IN_RECOVERY" in
    f) if [ "$(sql -c "SELECT current_setting('default_transaction_read_only') = 'off'")" = t ]; then WAS=true; fi ;;
    t) [ -f "$DATA/twinstack.demoted" ] || { echo "a replica, not a primary: nothing to demote" >&2; exit 5; } ;;
    *) echo "pg_is_in_recovery() answered $IN_RECOVERY" >&2; exit 4 ;;
  esac
  touch "$DATA/standby.signal" "$DATA/twinstack.demoted"
  "$BIN/pg_ctl" -D "$DATA" stop -m fast -w -t 60 >&2 || { echo "PostgreSQL in $DATA did not shut down cleanly within 60 s (it stays marked demoted)" >&2; exit 4; }
  echo "shut down cleanly: the walsenders shipped every record to the connected standbys" >&2
elif [ ! -f "$DATA/twinstack.demoted" ]; then
  echo "PostgreSQL is not running in $DATA and twinstack did not demote it (no twinstack.demoted): refusing" >&2; exit 5
fi
read_controldata || exit 6
case "$CLUSTER_STATE" in
  "shut down"|"shut down in recovery") ;;
  *) echo "the demoted server's state is \"$CLUSTER_STATE\", not shut down: its final position is unknown" >&2; exit 6 ;;
esac
END=$(wal_end) || exit 6
printf '{"demoted":true,"wasWritable":%s,"position":"%s","checkpoint":"%s","timeline":%s}\n' "$WAS" "$END" "$CHECKPOINT" "$TIMELINE"
`;

/**
 * Demoted primary, switchover abort. Args after the node ones: none. Only a server
 * carrying twinstack.demoted (and not fenced since) is given writes back: standby.signal
 * removed, started, verified writable, and the marker removed LAST (a cut-off run is
 * re-run whole). A writable primary without the marker is a repeated undo: a no-op
 * (`{"undone":false,…}`); anything else is refused (exit 5), never made writable.
 */
export const UNDO_DEMOTE_SCRIPT = PREAMBLE + String.raw`SQL_TIMEOUT=10
writable() { [ "$(sql -c "SELECT NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off'")" = t ]; }
if [ ! -f "$DATA/twinstack.demoted" ]; then
  if is_running && [ ! -f "$DATA/twinstack.fenced" ] && writable; then echo "not demoted and writable: nothing to undo" >&2; printf '{"undone":false,"writable":true}\n'; exit 0; fi
  echo "twinstack did not demote PostgreSQL in $DATA (no twinstack.demoted): refusing to make it writable" >&2; exit 5
fi
[ ! -f "$DATA/twinstack.fenced" ] || { echo "PostgreSQL in $DATA was fenced after its demotion: refusing to make it writable" >&2; exit 5; }
if is_running && [ "$(sql -c 'SELECT pg_is_in_recovery()')" = t ]; then "$BIN/pg_ctl" -D "$DATA" stop -m fast -w -t 30 >&2; fi
rm -f "$DATA/standby.signal"
is_running || start_node
wait_ready
deadline=$(($(date +%s) + 15))
until writable; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "not writable within 15 s after the restart" >&2; exit 4; }
  sleep 1
done
rm -f "$DATA/twinstack.demoted"
printf '{"undone":true,"writable":true}\n'
`;

/**
 * Old primary (after a switchover or a failover). Args after the node ones: new primary
 * address, replicationUser, replica name (application_name), the new primary's
 * forkPosition (`X/Y`, or empty when it reports none). Env: TWINSTACK_REPLICATION_PASSWORD,
 * given as PGPASSWORD to the psql and pg_rewind lines that connect to the new primary
 * alone, and to the server only inside primary_conninfo (set with ALTER SYSTEM, like
 * pg_basebackup -R stores it, in the 0700 data directory).
 *
 * Steps, each safe to repeat (a re-run after a cut finishes the job):
 * 1. a running primary that is neither fenced nor demoted is refused (exit 5), untouched;
 *    a standby streaming from the new primary is `already-replica` (stale markers removed);
 * 2. the new primary must answer as a primary to the replication user with pg_rewind's
 *    grants (preparePrimary gives them), else exit 7, nothing changed; it is checkpointed
 *    (pg_checkpoint), because pg_rewind 15 reads the source's timeline from its control
 *    file, which names the new timeline only after the first checkpoint since promotion;
 * 3. standby.signal + twinstack.fenced, then it is stopped (fast, else immediate); a server
 *    that did not shut down cleanly (kill -9, immediate stop) finishes crash recovery in
 *    single-user mode first (which refuses standby.signal: set aside for that run only);
 * 4. `pg_rewind --dry-run` (changes nothing) reads both timeline histories: "no rewind
 *    required" (its WAL ends at or before the fork: a switchover's old primary) →
 *    `repointed`; "servers diverged at X/Y" with WAL past it → the WAL segments from the
 *    fork's on and a `pg_waldump` listing of the divergent records (fork → end of WAL) are
 *    copied to `<dataDir>.divergent-<UTC time>/` (with divergence.txt), then `pg_rewind`
 *    → `rewound`; pg_rewind impossible (no checksums/wal_log_hints, WAL missing, no common
 *    ancestor) or failed → saved aside the same way, left stopped + fenced, `needs-restore`;
 * 5. repointed/rewound: primary_conninfo (+ no slot: restore uses none) to the new primary,
 *    synchronous_standby_names dropped (pg_rewind copies the source's), started as a
 *    standby; once it streams (within 20 s, else exit 8, still fenced) the twinstack
 *    markers are removed, so status reports a plain replica that a later switchover may
 *    promote (PROMOTE_SCRIPT promotes any replica).
 * Divergent bytes = end of its WAL (`wal_end`) − fork. Prints one JSON line.
 * A rewind's result is recorded in `<dataDir>.twinstack-rejoin` (0600, beside the data
 * directory: pg_rewind deletes files inside it that the source lacks) BEFORE pg_rewind
 * runs, keyed by the new primary and its forkPosition: a retry after a cut (nothing left
 * to rewind, or already streaming) reports that divergence and directory again, never 0.
 *
 * Bounds: checks 2 × 15 s, stop 45 s, crash recovery 60 s, dry run 30 s, rewind 150 s,
 * start ≤ 120 s, streaming 20 s; typically seconds. A rewind that needs longer (a large
 * divergence) is cut, counts as failed and ends `needs-restore`: the full restore, a
 * detached job, has no step's time limit.
 */
export const REJOIN_SCRIPT = PREAMBLE + WAL_POSITIONS + String.raw`PRIMARY_ADDR=$1; REPL_USER=$2; REPLICA_NAME=$3; KNOWN_FORK=$4
: "${'$'}{TWINSTACK_REPLICATION_PASSWORD:?replication password missing}"
SOURCE="host=$PRIMARY_ADDR port=$PORT user=$REPL_USER dbname=postgres connect_timeout=10"
source_sql() { t=15; PGPASSWORD="$TWINSTACK_REPLICATION_PASSWORD" timeout -k 5 "$t" "$BIN/psql" -d "$SOURCE" -XAtq -v ON_ERROR_STOP=1 "$@"; }
json_text() { printf '%s' "$1" | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }
result() {
  printf '{"method":"%s","divergentBytes":%s,"savedTo":"%s","fork":"%s","end":"%s","timeline":"%s","reason":"%s"}\n' "$1" "$2" "$3" "$4" "$5" "$6" "$(json_text "$7")"
}
clear_markers() { rm -f "$DATA/twinstack.fenced" "$DATA/twinstack.promoted" "$DATA/twinstack.demoted"; }
# What a rewind did, beside the data directory (pg_rewind would delete a file inside it):
# line 1 the new primary and its fork (this rejoin's identity), line 2 the result line.
RECORD="$DATA.twinstack-rejoin"
RECORD_KEY="$PRIMARY_ADDR $KNOWN_FORK"
REWOUND_BEFORE=false
# The result line of an earlier run of this same rejoin (a retry after a cut), if any.
recorded_result() { [ -n "$KNOWN_FORK" ] && [ -r "$RECORD" ] && [ "$(sed -n 1p "$RECORD")" = "$RECORD_KEY" ] && sed -n 2p "$RECORD"; }
streams_from_new_primary() {
  [ "$(sql -v addr="$PRIMARY_ADDR" -v port="$PORT" <<'SQL'
SELECT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_host = :'addr' AND sender_port = :'port'::int);
SQL
)" = t ]
}

if is_running; then
  IN_RECOVERY=$(sql -c 'SELECT pg_is_in_recovery()') || { echo "PostgreSQL in $DATA runs but does not answer: cannot tell whether it is a primary; nothing changed" >&2; exit 4; }
  case "$IN_RECOVERY" in t|f) ;; *) echo "pg_is_in_recovery() answered $IN_RECOVERY: nothing changed" >&2; exit 4 ;; esac
  if [ "$IN_RECOVERY" = f ] && [ ! -f "$DATA/twinstack.fenced" ] && [ ! -f "$DATA/twinstack.demoted" ]; then
    echo "refusing: PostgreSQL in $DATA is a running primary, neither fenced nor demoted by twinstack (it may still take writes): fence or demote it first; nothing changed" >&2
    exit 5
  fi
  if [ "$IN_RECOVERY" = t ] && streams_from_new_primary; then
    clear_markers
    # A repeated rejoin reports what the first one found and saved (it is still there).
    if PREVIOUS=$(recorded_result); then printf '%s\n' "$PREVIOUS" | sed 's/"method":"rewound"/"method":"already-replica"/'; exit 0; fi
    result already-replica 0 "" "" "" "" "already streams from $PRIMARY_ADDR:$PORT"
    exit 0
  fi
fi

CHECK=$(source_sql <<'SQL'
SELECT NOT pg_is_in_recovery()
  AND has_function_privilege('pg_catalog.pg_ls_dir(text, boolean, boolean)', 'execute')
  AND has_function_privilege('pg_catalog.pg_stat_file(text, boolean)', 'execute')
  AND has_function_privilege('pg_catalog.pg_read_binary_file(text)', 'execute')
  AND has_function_privilege('pg_catalog.pg_read_binary_file(text, bigint, bigint, boolean)', 'execute')
  AND pg_has_role('pg_checkpoint', 'MEMBER');
SQL
) || { echo "cannot query the new primary at $PRIMARY_ADDR:$PORT as $REPL_USER (database postgres): nothing changed" >&2; exit 7; }
[ "$CHECK" = t ] || { echo "$PRIMARY_ADDR:$PORT is not a primary, or $REPL_USER lacks pg_rewind's grants or pg_checkpoint there: run preparePrimary on it first; nothing changed" >&2; exit 7; }
source_sql -c 'CHECKPOINT' >/dev/null || { echo "CHECKPOINT on the new primary failed: nothing changed" >&2; exit 7; }

touch "$DATA/standby.signal" "$DATA/twinstack.fenced"
if is_running; then
  "$BIN/pg_ctl" -D "$DATA" stop -m fast -w -t 30 >&2 || "$BIN/pg_ctl" -D "$DATA" stop -m immediate -w -t 15 >&2 || true
  if is_running; then echo "PostgreSQL in $DATA is still running after fast and immediate stop" >&2; exit 4; fi
fi
read_controldata || exit 6
case "$CLUSTER_STATE" in
  "shut down"|"shut down in recovery") ;;
  *)
    echo "state \"$CLUSTER_STATE\": finishing crash recovery in single-user mode" >&2
    rm -f "$DATA/standby.signal"
    set +e
    env -u TWINSTACK_REPLICATION_PASSWORD -u TWINSTACK_APP_PASSWORD -u PGPASSWORD timeout -k 5 60 "$BIN/postgres" --single -F -D "$DATA" template1 </dev/null >&2
    RC=$?
    set -e
    touch "$DATA/standby.signal"
    [ "$RC" -eq 0 ] || { echo "crash recovery in single-user mode failed (exit $RC): see above" >&2; exit 4; }
    read_controldata || exit 6
    ;;
esac
END=$(wal_end) || exit 6

set +e
DRY=$(PGPASSWORD="$TWINSTACK_REPLICATION_PASSWORD" timeout -k 5 30 "$BIN/pg_rewind" --dry-run -D "$DATA" --source-server="$SOURCE" --no-ensure-shutdown 2>&1)
RC=$?
set -e
printf '%s\n' "$DRY" >&2
FORK=$(printf '%s\n' "$DRY" | sed -n 's|.*servers diverged at WAL location \([0-9A-F]*/[0-9A-F]*\) on timeline.*|\1|p' | tail -n 1)
REASON=$(printf '%s\n' "$DRY" | grep -E 'error|fatal' | tail -n 1) || true
case "$REASON" in *"could not connect"*|*"connection to server"*) echo "pg_rewind could not reach the new primary: nothing discarded" >&2; exit 7 ;; esac
if [ "$RC" -eq 0 ] && printf '%s\n' "$DRY" | grep -q 'no rewind required'; then
  METHOD=repointed
  # A retry after a rewind that was cut before the end: nothing left to rewind, but the
  # divergence that rewind discarded is reported again, not as 0.
  if PREVIOUS=$(recorded_result); then
    METHOD=rewound
    DIVERGENT=$(printf '%s\n' "$PREVIOUS" | sed -n 's/.*"divergentBytes":\([0-9]*\).*/\1/p')
    SAVED=$(printf '%s\n' "$PREVIOUS" | sed -n 's/.*"savedTo":"\([^"]*\)".*/\1/p')
    FORK=$(printf '%s\n' "$PREVIOUS" | sed -n 's/.*"fork":"\([^"]*\)".*/\1/p')
    REWOUND_BEFORE=true
  fi
elif [ "$RC" -eq 0 ] && [ -n "$FORK" ]; then
  METHOD=rewound
else
  METHOD=needs-restore
  [ -n "$REASON" ] || REASON="pg_rewind --dry-run exited $RC"
fi
[ -n "$FORK" ] || FORK=$KNOWN_FORK

if [ "$REWOUND_BEFORE" = true ]; then
  echo "rewound by an earlier run of this rejoin (see $RECORD): not saved or rewound again" >&2
else
DIVERGENT=0; SAVED=
if [ "$METHOD" != repointed ]; then
  [ -n "$FORK" ] || { echo "cannot tell where the histories forked ($REASON; the new primary reports no forkPosition): left stopped and fenced, nothing discarded" >&2; exit 6; }
  DIVERGENT=$(( $(lsn_int "$END") - $(lsn_int "$FORK") ))
  [ "$DIVERGENT" -gt 0 ] || DIVERGENT=0
  SAVED="$DATA.divergent-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$SAVED"
  chmod 700 "$SAVED"
  TLI_HEX=$(printf '%08X' "$TIMELINE")
  PER_ID=$((0x100000000 / SEG_BYTES))
  FORK_SEGMENT=$(( $(lsn_int "$FORK") / SEG_BYTES ))
  COPIED=0
  for f in "$DATA/pg_wal/$TLI_HEX"????????????????; do
    [ -f "$f" ] || continue
    NAME=$(basename "$f")
    case "$NAME" in *[!0-9A-F]*) continue ;; esac
    SEGMENT=$(( 0x$(printf '%s' "$NAME" | cut -c9-16) * PER_ID + 0x$(printf '%s' "$NAME" | cut -c17-24) ))
    [ "$SEGMENT" -ge "$FORK_SEGMENT" ] || continue
    cp -p "$f" "$SAVED/"
    COPIED=$((COPIED + 1))
  done
  "$BIN/pg_waldump" -p "$SAVED" -t "$TIMELINE" -s "$FORK" -e "$END" > "$SAVED/pg_waldump.txt" 2>&1 || echo "pg_waldump of the divergent WAL reported an error: see $SAVED/pg_waldump.txt" >&2
  printf 'timeline %s\nfork %s\nend of WAL %s\ndivergent bytes %s\nWAL segments copied %s\nnew primary %s:%s\nmethod %s\n%s\n' \
    "$TIMELINE" "$FORK" "$END" "$DIVERGENT" "$COPIED" "$PRIMARY_ADDR" "$PORT" "$METHOD" "$REASON" > "$SAVED/divergence.txt"
  echo "saved $COPIED WAL segments past $FORK and their listing to $SAVED" >&2
fi

if [ "$METHOD" = rewound ]; then
  # Recorded before pg_rewind discards anything: a retry reports this, not 0.
  (umask 077; { printf '%s\n' "$RECORD_KEY"; result rewound "$DIVERGENT" "$SAVED" "$FORK" "$END" "$TIMELINE" ""; } > "$RECORD.tmp")
  mv "$RECORD.tmp" "$RECORD"
  set +e
  OUT=$(PGPASSWORD="$TWINSTACK_REPLICATION_PASSWORD" timeout -k 5 150 "$BIN/pg_rewind" -D "$DATA" --source-server="$SOURCE" --no-ensure-shutdown 2>&1)
  RC=$?
  set -e
  printf '%s\n' "$OUT" >&2
  touch "$DATA/standby.signal" "$DATA/twinstack.fenced"
  if [ "$RC" -ne 0 ]; then
    METHOD=needs-restore
    REASON=$(printf '%s\n' "$OUT" | grep -E 'error|fatal' | tail -n 1) || true
    [ -n "$REASON" ] || REASON="pg_rewind exited $RC"
    rm -f "$RECORD"
  fi
fi
fi
if [ "$METHOD" = needs-restore ]; then
  echo "cannot follow in place: $REASON; left stopped and fenced for a full restore" >&2
  result needs-restore "$DIVERGENT" "$SAVED" "$FORK" "$END" "$TIMELINE" "$REASON"
  exit 0
fi

touch "$DATA/standby.signal"
rm -f "$DATA/twinstack.promoted"
if [ -f "$DATA/postgresql.auto.conf" ]; then sed -i -E '/^[[:space:]]*(primary_conninfo|primary_slot_name|synchronous_standby_names)[[:space:]]*=/d' "$DATA/postgresql.auto.conf"; fi
start_node
wait_ready
sql -v addr="$PRIMARY_ADDR" -v port="$PORT" -v repl_user="$REPL_USER" -v app_name="$REPLICA_NAME" <<'SQL'
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET log_min_error_statement = 'panic';
\getenv repl_pw TWINSTACK_REPLICATION_PASSWORD
SELECT format('host=%s port=%s user=%s application_name=%s connect_timeout=10 password=%s', :'addr', :'port', :'repl_user', :'app_name', '''' || replace(replace(:'repl_pw', '\', '\\'), '''', '\''') || '''') AS conninfo \gset
ALTER SYSTEM SET primary_conninfo = :'conninfo';
SELECT pg_reload_conf() \g /dev/null
SQL
deadline=$(($(date +%s) + 20))
until streams_from_new_primary; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "started as a standby but not streaming from $PRIMARY_ADDR:$PORT within 20 s (see $DATA.log): left fenced" >&2; exit 8; }
  sleep 1
done
clear_markers
if [ "$REWOUND_BEFORE" = true ]; then printf '%s\n' "$PREVIOUS"; else result "$METHOD" "$DIVERGENT" "$SAVED" "$FORK" "$END" "$TIMELINE" ""; fi
`;
