/**
 * The fixed POSIX sh scripts the Redis engine runs on a database host, as the SSH
 * user that owns the server's `dir` and config file.
 *
 * Invariants:
 * - scripts are constant text: every value arrives as a positional parameter
 *   (`sh -c '<script>' sh <args…>`); values sent to Redis travel as redis-cli
 *   arguments or, for anything secret, on redis-cli's stdin (`-x` or a command line
 *   piped from the `printf` builtin), never on any process's command line;
 * - passwords are never sent to Redis in clear for ACLs: users get the SHA-256 of
 *   their password (`#<hex>`), computed by `sha256sum` reading stdin;
 * - redis-cli authenticates through REDISCLI_AUTH in its own environment, never
 *   `-a`. Twinstack's admin user has a random password generated ON the host and
 *   kept in `<dir>/twinstack.admin-auth` (0600): status, fence and promote need no
 *   secret from the control plane (like PostgreSQL's local socket). A fresh server
 *   whose `default` user has no password bootstraps that user; any other server
 *   without it is refused with the fix;
 * - redis-cli exits 0 on error replies: every reply that matters is compared with
 *   the expected one (`OK`, a user name), never trusted from the exit status;
 * - everything changed at run time is persisted (CONFIG REWRITE, and ACL SAVE when an
 *   aclfile is used) so a restart keeps it; CONFIG REWRITE recreates the config file
 *   0644, and it holds `masterauth` in clear, so every rewrite is followed by chmod 600;
 * - nothing waits unbounded: redis-cli runs under `timeout`, loops against a deadline;
 * - stdout carries only results (one JSON line for status, fence and promote;
 *   `twinstack-progress <done> <total>` lines during a full sync); chatter goes to stderr;
 * - markers in `<dir>`: `twinstack.fenced` (the fence), `twinstack.promoted` (twinstack
 *   promoted this server; status reports promotedByTwinstack), `twinstack.demoted` (what
 *   a switchover's demote changed), `twinstack.rejoined` (what a rejoin saved aside).
 *
 * Written for Redis 7.0 (`redis-cli` 7.0) and dash.
 */
import { DEMOTE_MIN_REPLICAS, FENCE_MIN_REPLICAS } from './redis-settings.ts';

/**
 * `repl-ping-replica-period` of a demoted primary (Redis's maximum, INT_MAX seconds):
 * it sends no more replication PINGs. A PING is 14 bytes of the replication stream
 * (every 10 s by default); one sent after the final position was read could reach the
 * old primary's stream but not the twin once promoted, and the rejoin would then count
 * it as divergence and do a full resync. A replica that hears nothing for `repl-timeout`
 * (60 s) reconnects with a partial resync, which adds nothing to the stream.
 * undoDemote, rejoin and promote give the remembered period back.
 */
export const SILENT_PING_PERIOD_SECONDS = 2147483647;
/** Redis's default `repl-ping-replica-period`: what is given back when the remembered one is lost. */
const DEFAULT_PING_PERIOD_SECONDS = 10;

/** `$1`…`$6` as in `nodeArguments`; shell functions every script uses. */
const PREAMBLE = String.raw`set -eu
BIN=$1; ADDR=$2; PORT=$3; DATA=$4; CONF=$5; ADMIN=$6; shift 6
AUTH_FILE="$DATA/twinstack.admin-auth"
FENCE_MIN_REPLICAS=${FENCE_MIN_REPLICAS}
DEMOTED_MIN_REPLICAS=${DEMOTE_MIN_REPLICAS}
SILENT_PING_PERIOD=${SILENT_PING_PERIOD_SECONDS}
# A demote's memory (0600): line 1 the previous min-replicas-to-write, line 2 the final
# position, line 3 the previous repl-ping-replica-period.
DEMOTED_STATE="$DATA/twinstack.demoted"
CLI_TIMEOUT=15
ADMIN_PW=
[ -r "$AUTH_FILE" ] && ADMIN_PW=$(cat "$AUTH_FILE")
# As the admin user (password from the host-local file, in redis-cli's environment only).
cli() {
  if [ -n "$ADMIN_PW" ]; then REDISCLI_AUTH=$ADMIN_PW timeout -k 2 "$CLI_TIMEOUT" "$BIN/redis-cli" --no-auth-warning -h "$ADDR" -p "$PORT" --user "$ADMIN" "$@"
  else env -u REDISCLI_AUTH timeout -k 2 "$CLI_TIMEOUT" "$BIN/redis-cli" -h "$ADDR" -p "$PORT" "$@"; fi
}
# As the default user without a password (a fresh server only).
cli_default() { env -u REDISCLI_AUTH timeout -k 2 "$CLI_TIMEOUT" "$BIN/redis-cli" -h "$ADDR" -p "$PORT" "$@"; }
# A command whose reply must be OK.
cli_ok() { out=$(cli "$@" 2>&1) || true; [ "$out" = OK ] || { echo "redis $1 $2 failed: $out" >&2; exit 4; }; }
one_line() { tr -d '\r' | sed -n 2p; }
config_get() { cli CONFIG GET "$1" | tr -d '\r' | sed -n 2p; }
info_field() { cli INFO "$1" | tr -d '\r' | sed -n "s/^$2://p"; }
is_running() { out=$(cli PING 2>&1) || return 1; case "$out" in *'Could not connect'*|*'Connection refused'*) return 1 ;; esac; return 0; }
require_running() { is_running || { echo "Redis is not running at $ADDR:$PORT (start its redis-server with $CONF)" >&2; exit 3; }; }
require_admin() {
  who=$(cli ACL WHOAMI 2>&1) || true
  [ "$who" = "$ADMIN" ] || { echo "cannot authenticate as ACL user $ADMIN (password in $AUTH_FILE): got '$who'. Run the primary's prepare (or the twin's restore) first, or create user $ADMIN with +@all and write its password to $AUTH_FILE (mode 0600)" >&2; exit 6; }
}
# The server we talk to is the one the settings describe (its dir and config file).
require_own_server() {
  d=$(config_get dir); [ "$d" = "$DATA" ] || { echo "the server at $ADDR:$PORT has dir '$d', the settings say $DATA" >&2; exit 3; }
  c=$(info_field server config_file); [ "$c" = "$CONF" ] || { echo "the server at $ADDR:$PORT runs from config file '$c', the settings say $CONF (CONFIG REWRITE needs it)" >&2; exit 3; }
}
# Make sure the admin user exists and we are it: reuse it, or bootstrap it through a password-less default user.
ensure_admin() {
  if [ -n "$ADMIN_PW" ] && [ "$(cli ACL WHOAMI 2>/dev/null)" = "$ADMIN" ]; then return 0; fi
  who=$(cli_default ACL WHOAMI 2>&1) || true
  [ "$who" = default ] || { echo "cannot authenticate as ACL user $ADMIN ($AUTH_FILE) and the default user needs a password ($who): create user $ADMIN with +@all and write its password to $AUTH_FILE (mode 0600)" >&2; exit 6; }
  if [ -z "$ADMIN_PW" ]; then
    (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$AUTH_FILE.tmp")
    mv "$AUTH_FILE.tmp" "$AUTH_FILE"
    ADMIN_PW=$(cat "$AUTH_FILE")
  fi
  h=$(printf '%s' "$ADMIN_PW" | sha256sum | cut -d' ' -f1)
  out=$(printf 'ACL SETUSER %s on resetpass #%s ~* &* +@all\n' "$ADMIN" "$h" | cli_default 2>&1) || true
  [ "$out" = OK ] || { echo "could not create ACL user $ADMIN: $out" >&2; exit 4; }
  require_admin
  echo "created ACL user $ADMIN (password kept in $AUTH_FILE)" >&2
}
# ACL user $1 with the SHA-256 of the password in env var $2 and rules $3 (fixed words).
set_user() {
  pw=$(printenv "$2") || { echo "$2 missing" >&2; exit 2; }
  h=$(printf '%s' "$pw" | sha256sum | cut -d' ' -f1); pw=
  out=$(printf 'ACL SETUSER %s on resetpass #%s %s\n' "$1" "$h" "$3" | cli 2>&1) || true
  [ "$out" = OK ] || { echo "ACL SETUSER $1 failed: $out" >&2; exit 4; }
}
persist() {
  if [ -n "$(config_get aclfile)" ]; then cli_ok ACL SAVE; fi
  cli_ok CONFIG REWRITE
  chmod 600 "$CONF"
}
# The credentials this server replicates with: user $1, password $2 (a shell value, sent on
# redis-cli's stdin by the printf builtin: it never appears on any command line).
set_master_auth() {
  cli_ok CONFIG SET masteruser "$1"
  out=$(printf '%s' "$2" | cli -x CONFIG SET masterauth 2>&1) || true
  [ "$out" = OK ] || { echo "CONFIG SET masterauth failed: $out" >&2; exit 4; }
}
# Bytes in the server's log file now (where a wait starts reading it); 0 without a readable log.
log_size() { l=$(config_get logfile); if [ -n "$l" ] && [ -r "$l" ]; then wc -c < "$l"; else echo 0; fi; }
# Wait until this replica of $1 has synced and loaded what it received, at most $2 seconds;
# log bytes from $3 on are searched for an authentication error (exit 7 at once). Prints
# "twinstack-progress <done> <total>" lines while it syncs, then the offset it streams at.
await_sync() {
  sync_primary=$1; sync_deadline=$(($(date +%s) + $2)); sync_log=$(config_get logfile); sync_log_from=$3; sync_last=
  while :; do
    R=$(cli INFO replication 2>/dev/null | tr -d '\r') || R=
    if [ "$(field master_link_status)" = up ] && [ "$(field master_sync_in_progress)" = 0 ] && [ "$(info_field persistence loading)" = 0 ]; then
      echo "replica streaming from $sync_primary:$PORT at offset $(field slave_repl_offset)"
      return 0
    fi
    if [ "$(field master_sync_in_progress)" = 1 ]; then
      P="twinstack-progress $(field master_sync_read_bytes) $(field master_sync_total_bytes | sed 's/^-.*/0/')"
    else
      L=$(cli INFO persistence 2>/dev/null | tr -d '\r') || L=
      P=
      if printf '%s\n' "$L" | grep -q '^loading:1'; then P="twinstack-progress $(printf '%s\n' "$L" | sed -n 's/^loading_loaded_bytes://p') $(printf '%s\n' "$L" | sed -n 's/^loading_total_bytes://p')"; fi
    fi
    [ -n "$P" ] && [ "$P" != "$sync_last" ] && { echo "$P"; sync_last=$P; }
    if [ -n "$sync_log" ] && [ -r "$sync_log" ]; then
      ERR=$(tail -c +"$((sync_log_from + 1))" "$sync_log" | grep -E 'Unable to AUTH to MASTER|NOAUTH|WRONGPASS|NOPERM' | tail -n 1 || true)
      [ -z "$ERR" ] || { echo "refused: the primary $sync_primary:$PORT rejected this server's replication credentials: $ERR. Fix: give this database the replication password the primary was prepared with (or re-run the primary's prepare), then run this step again" >&2; exit 7; }
    fi
    [ "$(date +%s)" -lt "$sync_deadline" ] || { echo "the sync from $sync_primary:$PORT did not finish within $2 s (run this step again to keep waiting)" >&2; exit 4; }
    # Half a second: the end of a sync is noticed within 0.5 s (a whole second cost ~5 % of a 10 s sync).
    sleep 0.5
  done
}
# A field of the INFO reply held in $R.
field() { printf '%s\n' "$R" | sed -n "s/^$1://p"; }
# The server at $ADDR:$PORT runs, is ours, and is an unfenced primary; else exit 3, the refusal ending in $1.
require_unfenced_primary() {
  require_running
  require_admin
  require_own_server
  [ "$(info_field replication role)" = master ] || { echo "Redis at $ADDR:$PORT is a replica, not a primary: $1" >&2; exit 3; }
  [ ! -f "$DATA/twinstack.fenced" ] || { echo "Redis at $ADDR:$PORT is fenced (twinstack.fenced): $1" >&2; exit 3; }
}
# Give back the replication PING period a demote silenced (line 3 of its memory; Redis's
# default when that is lost). Any other period is left alone. The caller persists.
restore_ping_period() {
  [ "$(config_get repl-ping-replica-period)" = "$SILENT_PING_PERIOD" ] || return 0
  p=; [ -r "$DEMOTED_STATE" ] && p=$(sed -n 3p "$DEMOTED_STATE")
  case "$p" in ''|*[!0-9]*|"$SILENT_PING_PERIOD") echo "the repl-ping-replica-period the demote remembered is lost ('$p'): giving back Redis's default ${DEFAULT_PING_PERIOD_SECONDS}" >&2; p=${DEFAULT_PING_PERIOD_SECONDS} ;; esac
  cli_ok CONFIG SET repl-ping-replica-period "$p"
}
`;

/** ACL rules of the users twinstack manages (fixed words; the replication user gets only what replication needs). */
export const REPLICATION_USER_RULES = '+psync +replconf +ping';
export const APP_USER_RULES = '~* &* +@all -@admin';

/**
 * Primary. Args after the node ones: replicationUser, appUser, min-replicas-to-write
 * (0 async, 1 sync), min-replicas-max-lag seconds.
 * Env: TWINSTACK_REPLICATION_PASSWORD, TWINSTACK_APP_PASSWORD.
 * `repl-diskless-sync-delay 0`: without it the first full sync waits 5 s for more replicas.
 */
export const PREPARE_PRIMARY_SCRIPT =
  PREAMBLE +
  String.raw`REPL_USER=$1; APP_USER=$2; MIN_REPLICAS=$3; MAX_LAG=$4
: "${'$'}{TWINSTACK_REPLICATION_PASSWORD:?replication password missing}"
: "${'$'}{TWINSTACK_APP_PASSWORD:?app password missing}"
require_running
ensure_admin
require_own_server
[ "$(info_field replication role)" = master ] || { echo "Redis at $ADDR:$PORT is a replica, not a primary: refusing to prepare it" >&2; exit 3; }
[ -f "$DATA/twinstack.fenced" ] && { echo "Redis at $ADDR:$PORT is fenced (twinstack.fenced): refusing to prepare it as a primary" >&2; exit 3; }
set_user "$REPL_USER" TWINSTACK_REPLICATION_PASSWORD "${REPLICATION_USER_RULES}"
set_user "$APP_USER" TWINSTACK_APP_PASSWORD "${APP_USER_RULES}"
echo "ACL users $ADMIN, $REPL_USER, $APP_USER ensured"
cli_ok CONFIG SET repl-diskless-sync-delay 0
cli_ok CONFIG SET min-replicas-max-lag "$MAX_LAG"
cli_ok CONFIG SET min-replicas-to-write "$MIN_REPLICAS"
persist
echo "replication settings ensured (min-replicas-to-write $MIN_REPLICAS, min-replicas-max-lag $MAX_LAG) and persisted"
`;

/**
 * Twin. Args after the node ones: primary address, replicationUser, appUser, the
 * announced ip and port (the replica's identity on the primary), wait bound in seconds.
 * Env: REDISCLI_AUTH (the replication password: redis-cli checks it against the
 * primary before anything changes, and it becomes `masterauth` through stdin),
 * TWINSTACK_APP_PASSWORD (the app user, ready for a promotion).
 *
 * The server must be running (empty is fine): twinstack never starts redis-server.
 * The full sync replaces the twin's data with the primary's RDB; progress lines
 * report bytes received (total 0 while a diskless primary streams an RDB of unknown
 * size), then bytes loaded. Refused before anything changes (exit 7): credentials the
 * primary rejects, a primary that is not a primary, a newer major version. After
 * REPLICAOF, an authentication error in the log ends the wait at once (exit 7).
 */
export const RESTORE_REPLICA_SCRIPT =
  PREAMBLE +
  String.raw`PRIMARY=$1; REPL_USER=$2; APP_USER=$3; ANNOUNCE_IP=$4; ANNOUNCE_PORT=$5; WAIT_SECONDS=$6
: "${'$'}{REDISCLI_AUTH:?replication password missing}"
REPL_PW=$REDISCLI_AUTH; unset REDISCLI_AUTH
require_running
ensure_admin
require_own_server
# The primary, as the replication user (its password in redis-cli's environment only).
on_primary() { REDISCLI_AUTH=$REPL_PW timeout -k 2 "$CLI_TIMEOUT" "$BIN/redis-cli" --no-auth-warning -h "$PRIMARY" -p "$PORT" --user "$REPL_USER" "$@"; }
PONG=$(on_primary PING 2>&1) || true
case "$PONG" in
  PONG) ;;
  *'AUTH failed'*|*WRONGPASS*|*NOAUTH*|*NOPERM*) echo "refused: the primary $PRIMARY:$PORT rejects the replication credentials of ACL user $REPL_USER ($(printf '%s' "$PONG" | tr '\n' ' ')). Fix: give this database the replication password the primary was prepared with (or re-run the primary's prepare), then restore again; the twin was not changed" >&2; exit 7 ;;
  *) echo "refused: cannot reach the primary $PRIMARY:$PORT ($(printf '%s' "$PONG" | tr '\n' ' ')); the twin was not changed" >&2; exit 7 ;;
esac
LOCAL_VERSION=$(info_field server redis_version)
ROLE=$(info_field replication role)
MASTER_HOST=$(info_field replication master_host)
MASTER_PORT=$(info_field replication master_port)
LINK=$(info_field replication master_link_status)
SYNCING=$(info_field replication master_sync_in_progress)
if [ "$ROLE" = slave ] && [ "$MASTER_HOST" = "$PRIMARY" ] && [ "$MASTER_PORT" = "$PORT" ] && [ "$LINK" = up ] && [ "$SYNCING" = 0 ]; then
  echo "already a replica of $PRIMARY:$PORT with its link up: its data is the primary's, nothing to do"
  exit 0
fi
rm -f "$DATA/twinstack.promoted" "$DATA/twinstack.rejoined"
set_user "$APP_USER" TWINSTACK_APP_PASSWORD "${APP_USER_RULES}"
set_master_auth "$REPL_USER" "$REPL_PW"
REPL_PW=
cli_ok CONFIG SET replica-announce-ip "$ANNOUNCE_IP"
cli_ok CONFIG SET replica-announce-port "$ANNOUNCE_PORT"
cli_ok CONFIG SET replica-read-only yes
LOG_FROM=$(log_size)
cli_ok REPLICAOF "$PRIMARY" "$PORT"
# A replica ignores min-replicas-to-write; a fence marker of an old primary goes with its data.
rm -f "$DATA/twinstack.fenced"
persist
echo "replicating from $PRIMARY:$PORT (Redis $LOCAL_VERSION); waiting for the full sync"
await_sync "$PRIMARY" "$WAIT_SECONDS" "$LOG_FROM"
`;

/**
 * Twin. Args after the node ones: primary address. A replica of that primary whose
 * link is up is left alone; a link that stays down is an error (exit 7 when the
 * primary rejects the credentials), never "nothing to do".
 */
export const START_REPLICATION_SCRIPT =
  PREAMBLE +
  String.raw`PRIMARY=$1
require_running
require_admin
ROLE=$(info_field replication role)
[ "$ROLE" = slave ] || { echo "Redis at $ADDR:$PORT is a primary, not a replica: refusing to touch it (restore it first)" >&2; exit 3; }
MASTER_HOST=$(info_field replication master_host); MASTER_PORT=$(info_field replication master_port)
[ "$MASTER_HOST" = "$PRIMARY" ] && [ "$MASTER_PORT" = "$PORT" ] || { echo "Redis at $ADDR:$PORT replicates from $MASTER_HOST:$MASTER_PORT, not $PRIMARY:$PORT: restore it first" >&2; exit 3; }
deadline=$(($(date +%s) + 15))
until [ "$(info_field replication master_link_status)" = up ]; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    LOG=$(config_get logfile); ERR=
    [ -n "$LOG" ] && [ -r "$LOG" ] && ERR=$(tail -n 400 "$LOG" | grep -E 'Unable to AUTH to MASTER|NOAUTH|WRONGPASS|NOPERM|Error condition on socket for SYNC' | tail -n 1 || true)
    case "$ERR" in
      *AUTH*|*WRONGPASS*|*NOPERM*) echo "refused: the primary rejects the twin's replication credentials ($ERR). Fix: give this database the replication password the primary was prepared with, then restore again" >&2; exit 7 ;;
    esac
    echo "replica of $PRIMARY:$PORT, but its link stayed down for 15 s${'$'}{ERR:+ (last error: $ERR)}" >&2; exit 4
  fi
  sleep 1
done
echo "already a replica of $PRIMARY:$PORT with its link up: nothing to do"
`;

/**
 * Any node. Args after the node ones: none. Always exits 0 and prints one JSON line:
 * `state` running/stopped/unknown, the markers, and for a running server its INFO
 * (server, replication, persistence, memory) as a flat object of strings, three
 * config values, and on a replica whose link is down the last replication error of
 * its log (when the log is a readable file).
 */
export const STATUS_SCRIPT =
  PREAMBLE +
  String.raw`set +e
CLI_TIMEOUT=10
FENCED=false; [ -f "$DATA/twinstack.fenced" ] && FENCED=true
PROMOTED=false; [ -f "$DATA/twinstack.promoted" ] && PROMOTED=true
json_string() { { printf '%s' "$1" | tr -d '\r' | tr '\n' ' '; echo; } | awk '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, " "); printf "\"%s\"", $0 }'; }
INFO=$(cli INFO server replication persistence memory 2>&1)
case "$INFO" in
  *'Could not connect'*|*'Connection refused'*)
    printf '{"state":"stopped","fenced":%s,"promotedByTwinstack":%s}\n' "$FENCED" "$PROMOTED"; exit 0 ;;
  *redis_version:*) ;;
  *)
    printf '{"state":"unknown","fenced":%s,"promotedByTwinstack":%s,"detail":%s}\n' "$FENCED" "$PROMOTED" "$(json_string "$(printf '%s' "$INFO" | head -c 300)")"; exit 0 ;;
esac
INFO_JSON=$(printf '%s\n' "$INFO" | tr -d '\r' | awk '
  function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, " ", s); return s }
  BEGIN { printf "{"; n = 0 }
  /^[a-z0-9_]+:/ { i = index($0, ":"); printf "%s\"%s\":\"%s\"", (n++ ? "," : ""), substr($0, 1, i - 1), esc(substr($0, i + 1)) }
  END { printf "}" }')
MRTW=$(config_get min-replicas-to-write); MRML=$(config_get min-replicas-max-lag); RRO=$(config_get replica-read-only)
LINK_ERROR=
if printf '%s\n' "$INFO" | grep -q '^master_link_status:down'; then
  LOG=$(config_get logfile)
  if [ -n "$LOG" ] && [ -r "$LOG" ]; then
    # The last replication event of the log; reported only when it is an error.
    LINK_ERROR=$(tail -n 400 "$LOG" | grep -E 'Unable to AUTH to MASTER|MASTER aborted replication|Error condition on socket for SYNC|Error reply to PING|NOAUTH|NOPERM|WRONGPASS|Finished with success|Successful partial resynchronization' | tail -n 1 | grep -vE 'Finished with success|Successful partial' | sed 's/^[0-9]*:[A-Z] [0-9]* [A-Za-z]* [0-9]* [0-9:.]* [#*.-] //' | head -c 300)
  fi
fi
printf '{"state":"running","fenced":%s,"promotedByTwinstack":%s,"config":{"min-replicas-to-write":%s,"min-replicas-max-lag":%s,"replica-read-only":%s},"linkError":%s,"info":%s}\n' \
  "$FENCED" "$PROMOTED" "$(json_string "$MRTW")" "$(json_string "$MRML")" "$(json_string "$RRO")" "$(json_string "$LINK_ERROR")" "$INFO_JSON"
exit 0
`;

/**
 * Any node. Args after the node ones: none.
 *
 * Why this fence (and not the others): the server keeps running (status can still
 * report its final offset, the loss a failover reports) but refuses every write from
 * every client: `min-replicas-to-write 2147483647` makes Redis answer NOREPLICAS to
 * every write command, MULTI/EXEC and write script, whoever sends it (admin users
 * included), as long as fewer than 2^31-1 replicas are attached: always. It is
 * persisted with CONFIG REWRITE, so a restart comes back refusing writes, and
 * `replica-read-only yes` keeps it read-only if someone turns it into a replica.
 * Rejected: `replicaof` pointing at nothing reachable (if that address ever answers,
 * the old primary's data is flushed by a full sync: the writes a failover must report
 * are gone); renaming/denying commands per ACL user (users added later, or `default`,
 * would still write, and undoing it rewrites every user). Only a user with @admin
 * (twinstack's own admin, whose password never leaves this host, or an operator) can
 * undo it, deliberately, with CONFIG SET: the app user has no @admin.
 * Existing normal and pub/sub connections are killed. A stopped server gets the same
 * setting in its config file, so it starts fenced. The marker is written first: a
 * fence cut off half-way still reports fenced.
 */
export const FENCE_SCRIPT =
  PREAMBLE +
  String.raw`touch "$DATA/twinstack.fenced"
WAS=false
if is_running; then
  WAS=true
  require_admin
  require_own_server
  cli_ok CONFIG SET replica-read-only yes
  cli_ok CONFIG SET min-replicas-to-write "$FENCE_MIN_REPLICAS"
  persist
  cli CLIENT KILL TYPE normal SKIPME yes >/dev/null
  cli CLIENT KILL TYPE pubsub SKIPME yes >/dev/null
  [ "$(config_get min-replicas-to-write)" = "$FENCE_MIN_REPLICAS" ] || { echo "min-replicas-to-write did not stay at $FENCE_MIN_REPLICAS" >&2; exit 4; }
else
  [ -f "$CONF" ] || { echo "Redis is not running and its config file $CONF does not exist" >&2; exit 3; }
  sed -i -e '/^[[:space:]]*min-replicas-to-write[[:space:]]/d' -e '/^[[:space:]]*min-slaves-to-write[[:space:]]/d' -e '/^[[:space:]]*replica-read-only[[:space:]]/d' "$CONF"
  printf 'min-replicas-to-write %s\nreplica-read-only yes\n' "$FENCE_MIN_REPLICAS" >> "$CONF"
  chmod 600 "$CONF"
fi
printf '{"fenced":true,"wasRunning":%s}\n' "$WAS"
`;

/**
 * Twin. Args after the node ones: none. `REPLICAOF NO ONE`, then
 * `min-replicas-to-write 0` (a lone promoted primary in sync mode, or a fenced one,
 * would refuse every write; sync mode returns with setSynchronousReplicas once a new
 * replica is online), CONFIG REWRITE (a restart stays primary: no `replicaof` line),
 * and a check that it is a primary that accepts writes.
 *
 * The promoted marker is written before REPLICAOF NO ONE: a promotion cut off after
 * it still carries it. A primary WITHOUT the marker was not promoted by twinstack
 * (a standalone server, another primary): it is refused (exit 5), never adopted.
 */
export const PROMOTE_SCRIPT =
  PREAMBLE +
  String.raw`require_running
require_admin
require_own_server
PROMOTED=false; ALREADY=false
ROLE=$(info_field replication role)
case "$ROLE" in
  slave)
    touch "$DATA/twinstack.promoted"
    restore_ping_period
    rm -f "$DATA/twinstack.rejoined" "$DATA/twinstack.demoted"
    cli_ok REPLICAOF NO ONE
    PROMOTED=true ;;
  master)
    [ -f "$DATA/twinstack.promoted" ] || { echo "already a primary that twinstack did not promote (no twinstack.promoted in $DATA): refusing to adopt it" >&2; exit 5; }
    ALREADY=true ;;
  *) echo "INFO replication reported role '$ROLE'" >&2; exit 4 ;;
esac
cli_ok CONFIG SET min-replicas-to-write 0
persist
rm -f "$DATA/twinstack.fenced"
deadline=$(($(date +%s) + 15))
until [ "$(info_field replication role)" = master ] && [ "$(config_get min-replicas-to-write)" = 0 ] && [ "$(info_field persistence loading)" = 0 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "not a writable primary within 15 s after promotion" >&2; exit 4; }
  sleep 1
done
printf '{"promoted":%s,"alreadyPrimary":%s}\n' "$PROMOTED" "$ALREADY"
`;

/**
 * Primary. Args after the node ones: min-replicas-to-write (0 or 1), min-replicas-max-lag.
 * Redis cannot name WHICH replica must acknowledge: any one online replica counts.
 * A fenced server is refused (this would lift its fence).
 */
export const SET_SYNCHRONOUS_REPLICAS_SCRIPT =
  PREAMBLE +
  String.raw`require_running
require_admin
require_own_server
[ -f "$DATA/twinstack.fenced" ] && { echo "Redis at $ADDR:$PORT is fenced: refusing to change min-replicas-to-write (it would lift the fence)" >&2; exit 3; }
cli_ok CONFIG SET min-replicas-max-lag "$2"
cli_ok CONFIG SET min-replicas-to-write "$1"
persist
echo "min-replicas-to-write set to $1 (min-replicas-max-lag $2)"
`;

/**
 * Active primary, switchover. Args after the node ones: none.
 *
 * Why this demotion: `min-replicas-to-write` at DEMOTE_MIN_REPLICAS (one below the
 * fence's value, so status tells a demoted primary from a fenced one by reading it back)
 * makes every write command, transaction and write script answer NOREPLICAS, from every
 * user; CONFIG REWRITE keeps it across a restart, and it never expires (a `CLIENT PAUSE
 * WRITE` would: if the workflow died after promoting the twin, the old primary would
 * take writes again). Replication is untouched: the replicas keep receiving the stream.
 * Connections stay open (apps get NOREPLICAS replies, not disconnects).
 *
 * No pause is needed to drain in-flight writes: Redis executes commands one at a time,
 * so every write acknowledged before CONFIG SET returned is already counted in
 * `master_repl_offset`, and every write after it is refused. The replication PINGs are
 * silenced next (SILENT_PING_PERIOD_SECONDS): after that the stream grows only by key
 * expiries (data: a replica at or beyond the position has every acknowledged write, and
 * an expiry after the twin's promotion is real divergence). The offset read after both
 * took effect is the final position.
 *
 * `<dir>/twinstack.demoted` (0600, see DEMOTED_STATE) remembers the previous settings and
 * the final position: a repeated demote reports the same position. It is written before
 * any setting changes, the position last: a demote cut off half-way is completed by the
 * next one.
 */
export const DEMOTE_SCRIPT =
  PREAMBLE +
  String.raw`require_unfenced_primary "only a switchover's active primary is demoted"
MRTW=$(config_get min-replicas-to-write)
PING=$(config_get repl-ping-replica-period)
case "$MRTW" in ''|*[!0-9]*) echo "min-replicas-to-write reads '$MRTW'" >&2; exit 4 ;; esac
case "$PING" in ''|*[!0-9]*) echo "repl-ping-replica-period reads '$PING'" >&2; exit 4 ;; esac
[ "$MRTW" != "$FENCE_MIN_REPLICAS" ] || { echo "Redis at $ADDR:$PORT has the fence's min-replicas-to-write $FENCE_MIN_REPLICAS: it is fenced, not a switchover's primary" >&2; exit 3; }
WAS=false
if [ "$MRTW" != "$DEMOTED_MIN_REPLICAS" ]; then
  (umask 077; printf '%s\n\n%s\n' "$MRTW" "$PING" > "$DEMOTED_STATE.tmp")
  mv "$DEMOTED_STATE.tmp" "$DEMOTED_STATE"
  cli_ok CONFIG SET min-replicas-to-write "$DEMOTED_MIN_REPLICAS"
  WAS=true
elif [ ! -r "$DEMOTED_STATE" ]; then
  echo "demoted, but $DEMOTED_STATE (the previous min-replicas-to-write) is missing: undoDemote will refuse; set min-replicas-to-write yourself to give writes back" >&2
  P=; [ "$PING" = "$SILENT_PING_PERIOD" ] || P=$PING
  (umask 077; printf '\n\n%s\n' "$P" > "$DEMOTED_STATE.tmp")
  mv "$DEMOTED_STATE.tmp" "$DEMOTED_STATE"
fi
[ "$PING" = "$SILENT_PING_PERIOD" ] || cli_ok CONFIG SET repl-ping-replica-period "$SILENT_PING_PERIOD"
# Always: a demote cut off after a CONFIG SET but before the rewrite is persisted by the next one.
persist
[ "$(config_get min-replicas-to-write)" = "$DEMOTED_MIN_REPLICAS" ] || { echo "min-replicas-to-write did not stay at $DEMOTED_MIN_REPLICAS" >&2; exit 4; }
POSITION=$(sed -n 2p "$DEMOTED_STATE")
if [ -z "$POSITION" ]; then
  POSITION=$(info_field replication master_repl_offset)
  case "$POSITION" in ''|*[!0-9]*) echo "master_repl_offset reads '$POSITION'" >&2; exit 4 ;; esac
  (umask 077; { sed -n 1p "$DEMOTED_STATE"; printf '%s\n' "$POSITION"; sed -n 3p "$DEMOTED_STATE"; } > "$DEMOTED_STATE.tmp")
  mv "$DEMOTED_STATE.tmp" "$DEMOTED_STATE"
fi
echo "writes refused (NOREPLICAS) and replication PINGs silenced at offset $POSITION; the replicas keep receiving the stream"
printf '{"position":"%s","wasWritable":%s}\n' "$POSITION" "$WAS"
`;

/**
 * Demoted primary, switchover abort. Args after the node ones: none.
 * Gives back the replication PING period and then the `min-replicas-to-write` the
 * demote remembered (in that order: an undo cut off between them is completed by the
 * next one), persists them, and reports whether the server accepts writes now. Refused
 * (exit 3) before anything changes, never made writable: a replica, a fenced server, a
 * primary with twinstack's demotion value but no remembered setting. A primary that is
 * not demoted (a repeated undo) keeps its writes as they are.
 */
export const UNDO_DEMOTE_SCRIPT =
  PREAMBLE +
  String.raw`require_unfenced_primary "refusing to make it writable (only a demoted primary gets its writes back)"
MRTW=$(config_get min-replicas-to-write)
PREVIOUS=
[ -r "$DEMOTED_STATE" ] && PREVIOUS=$(sed -n 1p "$DEMOTED_STATE")
if [ "$MRTW" = "$DEMOTED_MIN_REPLICAS" ]; then
  case "$PREVIOUS" in
    ''|*[!0-9]*|"$DEMOTED_MIN_REPLICAS"|"$FENCE_MIN_REPLICAS") echo "Redis at $ADDR:$PORT is demoted but $DEMOTED_STATE holds no previous min-replicas-to-write ('$PREVIOUS'): refusing to guess. Fix: CONFIG SET min-replicas-to-write 0 (async) or 1 (sync) as an admin, then CONFIG REWRITE" >&2; exit 3 ;;
  esac
elif [ "$MRTW" = "$FENCE_MIN_REPLICAS" ]; then
  echo "Redis at $ADDR:$PORT has the fence's min-replicas-to-write: refusing to give writes back" >&2; exit 3
fi
restore_ping_period
UNDONE=false
if [ "$MRTW" = "$DEMOTED_MIN_REPLICAS" ]; then
  cli_ok CONFIG SET min-replicas-to-write "$PREVIOUS"
  UNDONE=true
fi
persist
rm -f "$DEMOTED_STATE"
MRTW=$(config_get min-replicas-to-write)
GOOD=$(info_field replication min_slaves_good_slaves); [ -n "$GOOD" ] || GOOD=$(info_field replication connected_slaves)
WRITABLE=false; { [ "$MRTW" = 0 ] || [ "$GOOD" -ge "$MRTW" ]; } && WRITABLE=true
echo "min-replicas-to-write is $MRTW (writable: $WRITABLE), repl-ping-replica-period $(config_get repl-ping-replica-period)"
printf '{"undone":%s,"writable":%s}\n' "$UNDONE" "$WRITABLE"
`;

/**
 * Old primary (after a switchover or a failover) → replica of the new primary. Args
 * after the node ones: new primary address, fork offset, fork replication id (the new
 * primary's `master_replid2`), replicationUser, the announced ip and port, the
 * `min-replicas-to-write` of the database's mode, wait bound in seconds.
 * Env: TWINSTACK_REPLICATION_PASSWORD (becomes `masterauth` through stdin).
 *
 * Refused before anything changes (exit 3): a primary that is neither fenced nor
 * demoted (it may be taking writes), a replica of another server.
 *
 * Divergence: the new primary's history left this server's at the fork offset when
 * this server's `master_replid` is the new primary's `master_replid2`; the bytes this
 * server's stream holds beyond it were never replicated. They are counted in bytes of
 * the replication stream: writes and key expiries, and, after a failover (a fence, no
 * demote), a replication PING the old primary sent while its twin was being promoted:
 * the count can overstate, never understate. A switchover's demote silenced the PINGs
 * before it read the final position, so its old primary counts 0 and resyncs partially. When there are any, its whole dataset is
 * saved aside first (BGSAVE, then the RDB copied to
 * `<dir>/twinstack-diverged-<UTC time>-<replid>-<offset>.rdb`, 0600: beside the RDB,
 * the only directory the SSH user is sure to own), then REPLICAOF makes Redis discard it
 * with a full sync. Without divergence Redis continues by a partial resync.
 * A server of an unrelated history (another replication id) is not re-pointed: its data
 * is saved aside and it stays refusing writes for a full restore (`needs-restore`).
 *
 * Order: REPLICAOF first (a replica refuses client writes: `replica-read-only yes`),
 * only then the demotion/fence setting and markers go, so it is never a writable
 * primary in between. `<dir>/twinstack.rejoined` keeps the result: a repeated rejoin
 * (already a replica of the new primary) waits for the sync and reports the same.
 */
export const REJOIN_SCRIPT =
  PREAMBLE +
  String.raw`NEW_PRIMARY=$1; FORK_OFFSET=$2; FORK_REPLID=$3; REPL_USER=$4; ANNOUNCE_IP=$5; ANNOUNCE_PORT=$6; MIN_REPLICAS=$7; WAIT_SECONDS=$8
: "${'$'}{TWINSTACK_REPLICATION_PASSWORD:?replication password missing}"
REPL_PW=$TWINSTACK_REPLICATION_PASSWORD; unset TWINSTACK_REPLICATION_PASSWORD
RESULT="$DATA/twinstack.rejoined"
require_running
require_admin
require_own_server
ROLE=$(info_field replication role)
if [ "$ROLE" = slave ]; then
  MASTER_HOST=$(info_field replication master_host); MASTER_PORT=$(info_field replication master_port)
  [ "$MASTER_HOST" = "$NEW_PRIMARY" ] && [ "$MASTER_PORT" = "$PORT" ] || { echo "refused: Redis at $ADDR:$PORT replicates from $MASTER_HOST:$MASTER_PORT, not the new primary $NEW_PRIMARY:$PORT; nothing was changed" >&2; exit 3; }
  # A rejoin cut off after REPLICAOF left its cleanup undone: finish it (harmless on any replica).
  restore_ping_period
  cli_ok CONFIG SET min-replicas-to-write "$MIN_REPLICAS"
  persist
  rm -f "$DATA/twinstack.fenced" "$DATA/twinstack.demoted" "$DATA/twinstack.promoted"
  await_sync "$NEW_PRIMARY" "$WAIT_SECONDS" "$(log_size)"
  # The first rejoin's counts, reported again (what it saved aside is still there).
  if [ -r "$RESULT" ]; then sed 's/"method":"repointed"/"method":"already-replica"/' "$RESULT"; else printf '{"method":"already-replica","divergentBytes":0,"savedTo":"","savedKeys":0,"lineage":"same"}\n'; fi
  exit 0
fi
[ "$ROLE" = master ] || { echo "INFO replication reported role '$ROLE'" >&2; exit 4; }
MRTW=$(config_get min-replicas-to-write)
if [ ! -f "$DATA/twinstack.fenced" ] && [ "$MRTW" != "$FENCE_MIN_REPLICAS" ] && [ "$MRTW" != "$DEMOTED_MIN_REPLICAS" ]; then
  echo "refused: Redis at $ADDR:$PORT is a primary that is neither fenced nor demoted (min-replicas-to-write $MRTW): it may be taking writes. Fix: fence it (failover) or demote it (switchover) first; nothing was changed" >&2; exit 3
fi
MY_REPLID=$(info_field replication master_replid)
MY_OFFSET=$(info_field replication master_repl_offset)
case "$MY_OFFSET" in ''|*[!0-9]*) echo "master_repl_offset reads '$MY_OFFSET'" >&2; exit 4 ;; esac
if [ "$MY_REPLID" = "$FORK_REPLID" ]; then
  LINEAGE=same; DIVERGENT=$((MY_OFFSET - FORK_OFFSET)); [ "$DIVERGENT" -gt 0 ] || DIVERGENT=0
else
  # Nothing proves any of its history is on the new primary: all of it counts.
  LINEAGE=unrelated; DIVERGENT=$MY_OFFSET
fi
SAVED=; KEYS=0
if [ "$DIVERGENT" -gt 0 ] || [ "$LINEAGE" = unrelated ]; then
  KEYS=$(cli DBSIZE | tr -d '\r')
  case "$KEYS" in ''|*[!0-9]*) echo "DBSIZE replied '$KEYS'" >&2; exit 4 ;; esac
  SAVED=$(ls "$DATA"/twinstack-diverged-*-"$MY_REPLID-$MY_OFFSET".rdb 2>/dev/null | tail -n 1 || true)
  if [ -z "$SAVED" ]; then
    # A BGSAVE already running may have started before the writes stopped: wait for it, then take our own.
    save_deadline=$(($(date +%s) + WAIT_SECONDS))
    while [ "$(info_field persistence rdb_bgsave_in_progress)" != 0 ]; do
      [ "$(date +%s)" -lt "$save_deadline" ] || { echo "a BGSAVE already running did not end within $WAIT_SECONDS s" >&2; exit 4; }
      sleep 0.5
    done
    SAVES=$(info_field persistence rdb_saves)
    out=$(cli BGSAVE 2>&1) || true
    case "$out" in 'Background saving started'|'Background saving scheduled') ;; *) echo "BGSAVE failed: $out" >&2; exit 4 ;; esac
    until [ "$(info_field persistence rdb_saves)" -gt "$SAVES" ] && [ "$(info_field persistence rdb_bgsave_in_progress)" = 0 ]; do
      [ "$(date +%s)" -lt "$save_deadline" ] || { echo "BGSAVE did not finish within $WAIT_SECONDS s" >&2; exit 4; }
      sleep 0.5
    done
    [ "$(info_field persistence rdb_last_bgsave_status)" = ok ] || { echo "BGSAVE failed (rdb_last_bgsave_status $(info_field persistence rdb_last_bgsave_status)); see the server's log" >&2; exit 4; }
    SAVED="$DATA/twinstack-diverged-$(date -u +%Y%m%dT%H%M%SZ)-$MY_REPLID-$MY_OFFSET.rdb"
    (umask 077; cp "$DATA/$(config_get dbfilename)" "$SAVED.tmp")
    chmod 600 "$SAVED.tmp"
    mv "$SAVED.tmp" "$SAVED"
  fi
  echo "saved its data aside ($KEYS keys, $DIVERGENT divergent bytes) to $SAVED"
fi
if [ "$LINEAGE" = unrelated ]; then
  echo "its replication history ($MY_REPLID) is not the one the new primary forked from ($FORK_REPLID): left refusing writes for a full restore from the new primary" >&2
  printf '{"method":"needs-restore","divergentBytes":%s,"savedTo":"%s","savedKeys":%s,"lineage":"unrelated"}\n' "$DIVERGENT" "$SAVED" "$KEYS"
  exit 0
fi
METHOD=repointed
(umask 077; printf '{"method":"%s","divergentBytes":%s,"savedTo":"%s","savedKeys":%s,"lineage":"same"}\n' "$METHOD" "$DIVERGENT" "$SAVED" "$KEYS" > "$RESULT")
set_master_auth "$REPL_USER" "$REPL_PW"
REPL_PW=
cli_ok CONFIG SET replica-announce-ip "$ANNOUNCE_IP"
cli_ok CONFIG SET replica-announce-port "$ANNOUNCE_PORT"
cli_ok CONFIG SET replica-read-only yes
LOG_FROM=$(log_size)
cli_ok REPLICAOF "$NEW_PRIMARY" "$PORT"
# A replica: the demotion's silent PINGs and the demotion/fence value would only hamper a later promotion.
restore_ping_period
cli_ok CONFIG SET min-replicas-to-write "$MIN_REPLICAS"
persist
rm -f "$DATA/twinstack.fenced" "$DATA/twinstack.demoted" "$DATA/twinstack.promoted"
echo "replicating from $NEW_PRIMARY:$PORT ($DIVERGENT divergent bytes); waiting for the sync"
await_sync "$NEW_PRIMARY" "$WAIT_SECONDS" "$LOG_FROM"
cat "$RESULT"
`;
