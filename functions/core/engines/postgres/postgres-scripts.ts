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
ALTER SYSTEM SET wal_level = 'replica';
ALTER SYSTEM SET max_wal_senders = 10;
ALTER SYSTEM SET wal_keep_size = '1GB';
ALTER SYSTEM SET wal_log_hints = on;
ALTER SYSTEM SET hot_standby = on;
ALTER SYSTEM SET synchronous_standby_names = :'sync_names';
SQL
echo "roles, database and replication settings ensured"
HBA=$(sql -c 'SHOW hba_file')
for LINE in "host replication $REPL_USER $REPLICA_ADDR/32 scram-sha-256" "host $DB $APP_USER all scram-sha-256"; do
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
rm -f "$DATA/twinstack.fenced" "$DATA/twinstack.promoted"
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

/** Any node. Args after the node ones: none. Always exits 0 and prints one JSON line. */
export const STATUS_SCRIPT = PREAMBLE + String.raw`set +e
SQL_TIMEOUT=15
FENCED=false; [ -f "$DATA/twinstack.fenced" ] && FENCED=true
PROMOTED=false; [ -f "$DATA/twinstack.promoted" ] && PROMOTED=true
if ! is_running; then printf '{"role":"stopped","writable":false,"fenced":%s,"promotedByTwinstack":%s}\n' "$FENCED" "$PROMOTED"; exit 0; fi
OUT=$(sql -v fenced="$FENCED" -v promoted="$PROMOTED" <<'SQL'
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
  'promotedByTwinstack', :'promoted'::boolean
);
SQL
)
if [ $? -eq 0 ] && [ -n "$OUT" ]; then printf '%s\n' "$OUT"; exit 0; fi
printf '{"role":"unknown","writable":false,"fenced":%s,"promotedByTwinstack":%s,"detail":"server is running but did not answer"}\n' "$FENCED" "$PROMOTED"
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
