/**
 * The fixed POSIX sh scripts (with constant mongosh JavaScript inside) the MongoDB
 * engine runs on a database host, as the SSH user that owns dbPath.
 *
 * NOT YET RUN AGAINST A LIVE SERVER: written against MongoDB 6/7's documented
 * commands and mongosh's documented behaviour (README.md beside this file).
 *
 * Invariants:
 * - scripts and their JavaScript are constant text: every value arrives as a
 *   positional parameter, the sh part exports it as a non-secret TWINSTACK_* variable
 *   and the JavaScript reads it from `process.env`; nothing is interpolated;
 * - secrets arrive only in the environment (RemoteCommand.secretEnv) and are read
 *   from `process.env` inside mongosh, or from `<dbPath>/twinstack.admin-auth` (0600)
 *   with `fs.readFileSync`; never `-p`, never a password in a URI on a command line;
 *   mongod is started through `env -u` without them;
 * - mongosh always runs `--quiet --json=canonical --norc` under `timeout`; every loop
 *   runs against a deadline below its command's timeout;
 * - a script refuses by printing the reason with its fix and exiting non-zero (3: a
 *   precondition the user must fix, 4: the action did not take, 5: a primary we did
 *   not promote, 6: the old primary still answers); stdout of status, fence and
 *   promote ends with one JSON line.
 */

/**
 * `$1` mongosh, `$2` mongod, `$3` dbPath, `$4` address scripts connect to, `$5` port,
 * `$6` replica set name, `$7` keyFile, `$8` admin user, `$9` bind (`all` or the host
 * address).
 */
const PREAMBLE = String.raw`set -eu
MONGOSH=$1; MONGOD=$2; DBPATH=$3; ADDR=$4; PORT=$5; SET_NAME=$6; KEYFILE=$7; ADMIN_USER=$8; BIND=$9; shift 9
AUTH_FILE="$DBPATH/twinstack.admin-auth"
export TWINSTACK_SET_NAME="$SET_NAME" TWINSTACK_ADMIN_USER="$ADMIN_USER" TWINSTACK_AUTH_FILE="$AUTH_FILE" TWINSTACK_DBPATH="$DBPATH" TWINSTACK_KEYFILE="$KEYFILE"
export TWINSTACK_FENCED="$DBPATH/twinstack.fenced" TWINSTACK_PROMOTED="$DBPATH/twinstack.promoted" TWINSTACK_DEMOTED="$DBPATH/twinstack.demoted"
URI_OPTS='directConnection=true&serverSelectionTimeoutMS=5000&connectTimeoutMS=5000'
mongo_at() { t=$1; host=$2; js=$3; timeout -k 5 "$t" "$MONGOSH" --quiet --json=canonical --norc "mongodb://$host/admin?$URI_OPTS" --eval "$js"; }
mongo_js() { mongo_at "$1" "$ADDR:$PORT" "$2"; }
is_running() { [ -s "$DBPATH/mongod.lock" ] && kill -0 "$(cat "$DBPATH/mongod.lock")" 2>/dev/null; }
start_node() {
  case "$BIND" in all) set -- --bind_ip_all ;; *) set -- --bind_ip "$BIND" ;; esac
  env -u TWINSTACK_KEYFILE_CONTENT -u TWINSTACK_ADMIN_PASSWORD -u TWINSTACK_APP_PASSWORD timeout -k 5 120 "$MONGOD" --replSet "$SET_NAME" --keyFile "$KEYFILE" \
    --dbpath "$DBPATH" --port "$PORT" "$@" --fork --logpath "$DBPATH/twinstack-mongod.log" --logappend >&2
}
stop_node() {
  is_running || return 0
  timeout -k 5 70 "$MONGOD" --dbpath "$DBPATH" --shutdown >&2 || true
  deadline=$(($(date +%s) + 60))
  while is_running; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "mongod in $DBPATH did not stop within 60 s" >&2; return 1; }
    sleep 1
  done
}
run_js() { OUT=$(mongo_js "$1" "$2"); RC=$?; }
# Runs $JS for at most $1 s: its output on stdout when it exits 0, else on stderr with its exit code.
js_result() { run_js "$1" "$JS" || true; [ "$RC" -eq 0 ] || { printf '%s\n' "$OUT" >&2; exit "$RC"; }; printf '%s\n' "$OUT"; }
`;

/** JavaScript every mongosh script starts with: command replies as data, admin authentication from the 0600 file or the environment. */
const JS_PRELUDE = String.raw`const fs = require('fs');
const env = process.env;
function reply(cmd, on) {
  try { return (on || db.getSiblingDB('admin')).runCommand(cmd); }
  catch (e) { return { ok: 0, errmsg: String(e.message), code: e.code, codeName: e.codeName }; }
}
function refuse(code, message) { print(message); quit(code); }
function ts(t) { return t ? t.t + '.' + t.i : null; }
function adminPassword() {
  if (env.TWINSTACK_ADMIN_PASSWORD) return env.TWINSTACK_ADMIN_PASSWORD;
  return fs.existsSync(env.TWINSTACK_AUTH_FILE) ? fs.readFileSync(env.TWINSTACK_AUTH_FILE, 'utf8').trim() : undefined;
}
function authenticate(on) {
  const pw = adminPassword();
  if (pw === undefined) return false;
  try { (on || db.getSiblingDB('admin')).auth(env.TWINSTACK_ADMIN_USER, pw); return true; } catch (e) { return false; }
}
function reconfig(conf, force, on) {
  conf.version = conf.version + 1;
  const r = reply({ replSetReconfig: conf, force: force, maxTimeMS: 60000 }, on);
  if (r.ok !== 1) { print(JSON.stringify({ reconfigError: { ok: 0, code: r.code, codeName: r.codeName, errmsg: r.errmsg }, force: force })); quit(4); }
  return r;
}
`;

/**
 * `stepDownPassive()`: every member of the config gets priority 0 (a normal reconfig
 * while this member is a primary with its majority; else, after stepping down, a
 * forced one on itself: a config the other members see on return, so none of them can
 * be elected), then `replSetStepDown` for an hour (`force: true`: no wait for a
 * secondary) and `replSetFreeze`. The config is persisted: a restart comes back as an
 * unelectable secondary. The fence and the demote share it.
 */
const STEP_DOWN_PASSIVE_JS = String.raw`function allPassive(c) { return c.members.every(function (m) { return m.priority === 0; }); }
function passive(c) { c.members.forEach(function (m) { m.priority = 0; }); return c; }
function stepDownPassive() {
  let conf = reply({ replSetGetConfig: 1 }).config;
  let normal = false;
  if (!allPassive(conf) && reply({ hello: 1 }).isWritablePrimary) {
    conf.version = conf.version + 1;
    normal = reply({ replSetReconfig: passive(conf), maxTimeMS: 20000 }).ok === 1;
  }
  let steppedDown = false;
  if (reply({ hello: 1 }).isWritablePrimary) { reply({ replSetStepDown: 3600, secondaryCatchUpPeriodSecs: 0, force: true }); steppedDown = true; }
  reply({ replSetFreeze: 3600 });
  conf = reply({ replSetGetConfig: 1 }).config;
  let forced = false;
  if (!allPassive(conf)) { reconfig(passive(conf), true); forced = true; }
  return { steppedDown: steppedDown, reconfig: forced ? 'forced' : normal ? 'majority' : 'none' };
}
`;

/** `<name>=$(cat <<'TWINSTACK_JS' … TWINSTACK_JS)`: constant JavaScript in a shell variable (a quoted here-document expands nothing). */
function withJs(js: string, name = 'JS'): string {
  return `${name}=$(cat <<'TWINSTACK_JS'\n${JS_PRELUDE}${js}TWINSTACK_JS\n)\n`;
}

/** Fails (exit 3) with the fix when the twin's configured set name or keyFile disagrees with what this mongod runs. */
const CHECK_SET_JS = String.raw`function checkSet(h) {
  if (!h.setName) refuse(3, 'refused: mongod at ' + env.TWINSTACK_ADDRESS + ' is a standalone server, not a replica-set member: restart it with replication.replSetName: ' + env.TWINSTACK_SET_NAME + ' and security.keyFile: ' + env.TWINSTACK_KEYFILE + ', run rs.initiate(), then re-run');
  if (h.setName !== env.TWINSTACK_SET_NAME) refuse(3, 'refused: replica set name mismatch: the server runs set "' + h.setName + '" but twinstack.yaml says mongodb.replicaSetName "' + env.TWINSTACK_SET_NAME + '": set mongodb.replicaSetName: ' + h.setName);
}
`;

/**
 * Primary. Args after the node ones: appUser, database, twin member (`host:port`),
 * mode (`sync`/`async`). Env: TWINSTACK_ADMIN_PASSWORD, TWINSTACK_APP_PASSWORD,
 * TWINSTACK_KEYFILE_CONTENT.
 *
 * Checks the server is the writable primary of the configured set and runs with the
 * configured keyFile whose content is the group's; ensures the admin user (created
 * under the localhost exception on a set without users) and the app user; in `sync`
 * mode sets the cluster-wide default write concern `w: "majority"`; adds the twin's
 * member as PASSIVE (priority 0, votes 0, tag `twinstack: twin`) unless it is already
 * a member (an existing entry is left as it is: startReplication owns its votes).
 */
export const PREPARE_PRIMARY_SCRIPT =
  PREAMBLE +
  String.raw`export TWINSTACK_APP_USER=$1 TWINSTACK_DATABASE=$2 TWINSTACK_MEMBER=$3 TWINSTACK_MODE=$4 TWINSTACK_ADDRESS="$ADDR:$PORT"
: "${'$'}{TWINSTACK_ADMIN_PASSWORD:?admin password missing}"
: "${'$'}{TWINSTACK_APP_PASSWORD:?app password missing}"
: "${'$'}{TWINSTACK_KEYFILE_CONTENT:?keyFile content missing}"
is_running || { echo "mongod is not running in $DBPATH" >&2; exit 3; }
if [ -f "$KEYFILE" ]; then
  [ "$(tr -d ' \t\r\n' < "$KEYFILE")" = "$TWINSTACK_KEYFILE_CONTENT" ] || { echo "refused: the keyFile $KEYFILE is not the one derived from the group's replication secret: replace its content on every member with the derived key (see the MongoDB engine README) and restart them one at a time" >&2; exit 3; }
else
  ( umask 377; printf '%s\n' "$TWINSTACK_KEYFILE_CONTENT" > "$KEYFILE" )
  echo "refused: wrote the keyFile $KEYFILE (0400); restart mongod with security.keyFile: $KEYFILE, then re-run" >&2; exit 3
fi
( umask 077; printf '%s\n' "$TWINSTACK_ADMIN_PASSWORD" > "$AUTH_FILE.tmp" ); mv -f "$AUTH_FILE.tmp" "$AUTH_FILE"
` +
  withJs(
    CHECK_SET_JS +
      String.raw`const h = reply({ hello: 1 });
checkSet(h);
if (!h.isWritablePrimary) refuse(3, 'refused: ' + env.TWINSTACK_ADDRESS + ' is not the writable primary of ' + h.setName + ' (primary: ' + (h.primary || 'none') + '): run it against the primary');
if (!authenticate()) {
  const created = reply({ createUser: env.TWINSTACK_ADMIN_USER, pwd: env.TWINSTACK_ADMIN_PASSWORD, roles: ['root'] });
  if (created.ok !== 1 || !authenticate()) refuse(3, 'refused: cannot authenticate as ' + env.TWINSTACK_ADMIN_USER + ' (' + created.errmsg + '): create it on the primary with roles ["root"] and the group\'s replication secret as password');
  print('created admin user ' + env.TWINSTACK_ADMIN_USER);
}
const opts = reply({ getCmdLineOpts: 1 });
const security = (opts.parsed && opts.parsed.security) || {};
if (security.keyFile !== env.TWINSTACK_KEYFILE) refuse(3, 'refused: mongod runs with keyFile ' + security.keyFile + ', not ' + env.TWINSTACK_KEYFILE + ': set mongodb.keyFile to the path it uses, or restart it with security.keyFile: ' + env.TWINSTACK_KEYFILE);
const appDb = db.getSiblingDB(env.TWINSTACK_DATABASE);
const roles = [{ role: 'readWrite', db: env.TWINSTACK_DATABASE }];
const existing = reply({ usersInfo: env.TWINSTACK_APP_USER }, appDb);
const user = existing.users && existing.users.length > 0
  ? reply({ updateUser: env.TWINSTACK_APP_USER, pwd: env.TWINSTACK_APP_PASSWORD, roles: roles }, appDb)
  : reply({ createUser: env.TWINSTACK_APP_USER, pwd: env.TWINSTACK_APP_PASSWORD, roles: roles }, appDb);
if (user.ok !== 1) refuse(4, 'could not ensure app user ' + env.TWINSTACK_APP_USER + ': ' + user.errmsg);
print('app user ' + env.TWINSTACK_APP_USER + ' ensured (readWrite on ' + env.TWINSTACK_DATABASE + ')');
if (env.TWINSTACK_MODE === 'sync') {
  const wc = reply({ setDefaultRWConcern: 1, defaultWriteConcern: { w: 'majority' } });
  if (wc.ok !== 1) refuse(4, 'could not set the default write concern w: majority: ' + wc.errmsg);
  print('default write concern: w: majority');
}
const conf = reply({ replSetGetConfig: 1 }).config;
if (conf.members.some(function (m) { return m.host === env.TWINSTACK_MEMBER; })) {
  print('twin member ' + env.TWINSTACK_MEMBER + ' is already in the set: left as it is');
} else {
  const id = conf.members.reduce(function (max, m) { return Math.max(max, m._id); }, -1) + 1;
  conf.members.push({ _id: id, host: env.TWINSTACK_MEMBER, priority: 0, votes: 0, tags: { twinstack: 'twin' } });
  reconfig(conf, false);
  print('added twin member ' + env.TWINSTACK_MEMBER + ' as passive (priority 0, votes 0)');
}
null
`,
  ) +
  String.raw`run_js 120 "$JS" || true
printf '%s\n' "$OUT" | grep -v '^null$' | { [ "$RC" -eq 0 ] && cat || cat >&2; }
exit "$RC"
`;

/** JavaScript printing this member's state as one word (hello answers without authentication). */
const STATE_JS = withJs(String.raw`const h = reply({ hello: 1 });
h.ok !== 1 ? 'NOANSWER' : h.isWritablePrimary ? 'PRIMARY' : h.secondary ? 'SECONDARY' : h.arbiterOnly ? 'ARBITER' : h.setName ? 'OTHER' : h.isreplicaset ? 'NOCONFIG' : 'STANDALONE'
`, 'STATE_JS');

const STATE_SH = String.raw`member_state() { mongo_js 10 "$STATE_JS" 2>/dev/null | tr -d '"\r\n ' || true; }
`;

/**
 * Twin. Args after the node ones: primary member (`host:port`), wait bound in seconds. Env:
 * TWINSTACK_KEYFILE_CONTENT, TWINSTACK_ADMIN_PASSWORD. A detached job: reads no
 * stdin, bounds every wait (RESTORE_WAIT seconds), prints
 * `twinstack-progress <bytes in dbPath> <primary's listDatabases totalSize, 0 when unknown>`.
 *
 * Seeding is MongoDB's own initial sync: mongod starts with an empty dbPath as a
 * member of the set (preparePrimary added it) and copies every database from a sync
 * source, then applies the oplog; it is done when the member reports SECONDARY.
 */
export const RESTORE_REPLICA_SCRIPT =
  PREAMBLE +
  STATE_JS +
  STATE_SH +
  String.raw`PRIMARY_MEMBER=$1; RESTORE_WAIT=$2
: "${'$'}{TWINSTACK_KEYFILE_CONTENT:?keyFile content missing}"
: "${'$'}{TWINSTACK_ADMIN_PASSWORD:?admin password missing}"
case "$DBPATH" in /?*/?*) ;; *) echo "refusing to empty dbPath $DBPATH" >&2; exit 2 ;; esac
stop_node
mkdir -p "$DBPATH"
find "$DBPATH" -mindepth 1 -delete
echo "emptied $DBPATH"
mkdir -p "$(dirname "$KEYFILE")"
[ ! -f "$KEYFILE" ] || chmod 600 "$KEYFILE"
( umask 377; printf '%s\n' "$TWINSTACK_KEYFILE_CONTENT" > "$KEYFILE.tmp" ); mv -f "$KEYFILE.tmp" "$KEYFILE"; chmod 400 "$KEYFILE"
( umask 077; printf '%s\n' "$TWINSTACK_ADMIN_PASSWORD" > "$AUTH_FILE" )
` +
  withJs(
    String.raw`authenticate() ? String(Math.round(db.adminCommand({ listDatabases: 1, nameOnly: false }).totalSize)) : '0'
`,
    'TOTAL_JS',
  ) +
  String.raw`TOTAL=$(mongo_at 20 "$PRIMARY_MEMBER" "$TOTAL_JS" 2>/dev/null | sed -n 's/[^0-9]*\([0-9][0-9]*\).*/\1/p' | head -n 1) || true
[ -n "$TOTAL" ] || TOTAL=0
start_node
echo "mongod started as a member of $SET_NAME; waiting for initial sync from the set"
deadline=$(($(date +%s) + RESTORE_WAIT))
while :; do
  DONE=$(du -sb "$DBPATH" 2>/dev/null | cut -f1) || true
  echo "twinstack-progress ${'$'}{DONE:-0} $TOTAL"
  STATE=$(member_state)
  case "$STATE" in
    SECONDARY) echo "member is SECONDARY: initial sync done"; exit 0 ;;
    PRIMARY) echo "member became PRIMARY during restore: refusing (it must join as a passive member)" >&2; exit 4 ;;
    STANDALONE) echo "mongod is not running as a replica-set member" >&2; exit 4 ;;
  esac
  is_running || { echo "mongod stopped during initial sync; its log ends:" >&2; tail -n 20 "$DBPATH/twinstack-mongod.log" >&2 || true; exit 4; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "member still $STATE after $RESTORE_WAIT s (NOCONFIG: not in the set's config, run preparePrimary on the primary)" >&2; exit 4; }
  sleep 5
done
`;

/**
 * Twin. Args after the node ones: primary member (`host:port`), twin member
 * (`host:port`), votes (0/1). Env: TWINSTACK_ADMIN_PASSWORD (the primary's admin user).
 * Starts a stopped member (not a fenced one), waits (≤ 60 s) for SECONDARY, then on
 * the primary sets the twin member's votes (priority stays 0) when they differ.
 */
export const START_REPLICATION_SCRIPT =
  PREAMBLE +
  STATE_JS +
  STATE_SH +
  String.raw`export TWINSTACK_PRIMARY=$1 TWINSTACK_MEMBER=$2 TWINSTACK_VOTES=$3
: "${'$'}{TWINSTACK_ADMIN_PASSWORD:?admin password missing}"
[ ! -f "$TWINSTACK_FENCED" ] || { echo "refused: $DBPATH carries twinstack.fenced: restore it before replicating again" >&2; exit 3; }
if ! is_running; then
  [ -f "$KEYFILE" ] && [ -f "$AUTH_FILE" ] || { echo "refused: no keyFile or admin credential on this host: restore the replica first" >&2; exit 3; }
  start_node; echo "started mongod"
fi
deadline=$(($(date +%s) + 60))
until [ "$(member_state)" = SECONDARY ]; do
  STATE=$(member_state)
  [ "$STATE" != PRIMARY ] || { echo "refused: running as a primary, not a replica" >&2; exit 3; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "member is $STATE, not SECONDARY, after 60 s" >&2; exit 4; }
  sleep 2
done
` +
  withJs(String.raw`const admin = new Mongo('mongodb://' + env.TWINSTACK_PRIMARY + '/admin?directConnection=true&serverSelectionTimeoutMS=5000').getDB('admin');
if (!authenticate(admin)) refuse(3, 'refused: cannot authenticate as ' + env.TWINSTACK_ADMIN_USER + ' on the primary ' + env.TWINSTACK_PRIMARY);
const conf = reply({ replSetGetConfig: 1 }, admin).config;
const member = conf.members.find(function (m) { return m.host === env.TWINSTACK_MEMBER; });
if (!member) refuse(3, 'refused: ' + env.TWINSTACK_MEMBER + ' is not a member of ' + conf._id + ': run preparePrimary on the primary');
const votes = Number(env.TWINSTACK_VOTES);
if (member.votes === votes && member.priority === 0) { print('twin member already has votes ' + votes + ', priority 0'); }
else { member.votes = votes; member.priority = 0; reconfig(conf, false, admin); print('twin member set to votes ' + votes + ', priority 0'); }
null
`) +
  String.raw`run_js 90 "$JS" || true
printf '%s\n' "$OUT" | grep -v '^null$' | { [ "$RC" -eq 0 ] && cat || cat >&2; }
exit "$RC"
`;

/**
 * Any node. Args after the node ones: none. Always exits 0 and prints one JSON line:
 * `{"twinstack":{running,fenced,promoted,demoted,promotedFrom,authenticated}, "hello", "replSetGetStatus",
 * "replSetGetConfig", "getDefaultRWConcern", "buildInfo", "listDatabases"}`, each the
 * server's reply (or its error reply) in canonical Extended JSON.
 */
export const STATUS_SCRIPT =
  PREAMBLE +
  withJs(String.raw`const out = { twinstack: { running: true, fenced: fs.existsSync(env.TWINSTACK_FENCED), promoted: fs.existsSync(env.TWINSTACK_PROMOTED), demoted: fs.existsSync(env.TWINSTACK_DEMOTED), authenticated: false } };
if (out.twinstack.promoted) out.twinstack.promotedFrom = fs.readFileSync(env.TWINSTACK_PROMOTED, 'utf8').trim();
out.hello = reply({ hello: 1 });
out.twinstack.authenticated = authenticate();
out.replSetGetStatus = reply({ replSetGetStatus: 1 });
out.replSetGetConfig = reply({ replSetGetConfig: 1 });
out.getDefaultRWConcern = reply({ getDefaultRWConcern: 1 });
const build = reply({ buildInfo: 1 });
out.buildInfo = { ok: build.ok, version: build.version };
const dbs = reply({ listDatabases: 1, nameOnly: false });
out.listDatabases = { ok: dbs.ok, totalSize: dbs.totalSize };
out
`) +
  String.raw`set +e
FENCED=false; [ -f "$TWINSTACK_FENCED" ] && FENCED=true
PROMOTED=false; [ -f "$TWINSTACK_PROMOTED" ] && PROMOTED=true
if ! is_running; then printf '{"twinstack":{"running":false,"fenced":%s,"promoted":%s}}\n' "$FENCED" "$PROMOTED"; exit 0; fi
OUT=$(mongo_js 15 "$JS" 2>/dev/null)
if [ $? -eq 0 ] && [ -n "$OUT" ]; then printf '%s' "$OUT" | tr -d '\n'; echo; exit 0; fi
printf '{"twinstack":{"running":true,"fenced":%s,"promoted":%s,"detail":"mongod is running but did not answer"}}\n' "$FENCED" "$PROMOTED"
exit 0
`;

/**
 * Any node (the old primary). Args after the node ones: none.
 *
 * Running: writes twinstack.fenced, gives EVERY member of its config priority 0 (a
 * normal reconfig while it is a primary with a majority; else, after stepping down,
 * a forced one on itself: a config the old members see on return, so none of them
 * can be elected), steps down for an hour (`force: true`: no wait for a secondary),
 * kills all sessions, and checks it is no longer a writable primary. A secondary
 * rejects every write, privileged users included.
 * Stopped: writes twinstack.fenced and moves the keyFile aside
 * (`<keyFile>.twinstack-fenced`), so mongod cannot start with internal auth until a
 * rejoin puts it back.
 */
export const FENCE_SCRIPT =
  PREAMBLE +
  withJs(
    STEP_DOWN_PASSIVE_JS +
      String.raw`if (!authenticate()) refuse(4, 'cannot authenticate as ' + env.TWINSTACK_ADMIN_USER + ' with ' + env.TWINSTACK_AUTH_FILE);
const down = stepDownPassive();
reply({ killAllSessions: [] });
const h = reply({ hello: 1 });
if (h.isWritablePrimary) refuse(4, 'still a writable primary after step-down');
({ fenced: true, wasRunning: true, steppedDown: down.steppedDown, priorityZero: true, reconfig: down.reconfig })
`,
  ) +
  String.raw`mkdir -p "$DBPATH"
touch "$TWINSTACK_FENCED"
if ! is_running; then
  MOVED=false
  if [ -f "$KEYFILE" ]; then mv -f "$KEYFILE" "$KEYFILE.twinstack-fenced" && MOVED=true || echo "could not move $KEYFILE aside: a restart of mongod would bring the old config back" >&2; fi
  [ -f "$KEYFILE.twinstack-fenced" ] && MOVED=true
  printf '{"fenced":true,"wasRunning":false,"keyFileMovedAside":%s}\n' "$MOVED"; exit 0
fi
run_js 80 "$JS" || true
[ "$RC" -eq 0 ] || { printf '%s\n' "$OUT" >&2; exit "$RC"; }
printf '%s' "$OUT" | tr -d '\n'; echo
`;

/**
 * Twin. Args after the node ones: none. Promote when the primary region is gone.
 *
 * Refuses (exit 5) a primary without twinstack.promoted; refuses (exit 3) a member
 * that is not SECONDARY (ROLLBACK, RECOVERING, STARTUP2: not a complete copy);
 * refuses (exit 6) while any data-bearing member it would drop still answers, by the
 * twin's own heartbeats (replSetGetStatus health 1) or a direct `hello` within 3 s.
 * Then writes twinstack.promoted (`forced reconfiguration from <its last applied
 * optime>`: status reports it as the fork position) and runs `replSetReconfig` with
 * `force: true` keeping only itself and the healthy twin-tagged secondaries, each
 * priority 1, votes 1, plus the caught-up followers (a switchover: while no primary
 * exists, an answering member that is an unelectable SECONDARY at or behind this
 * member's last applied optime stays, priority 0, and follows this member); waits (≤ 45 s, `replSetStepUp` after 5 s) to be a writable primary.
 * Idempotent: a config that already is the kept one is not forced again; our own
 * primary is a no-op. The JSON line says force was used and from which optime on
 * writes of the old set are lost (and roll back on its members if they rejoin).
 */
export const PROMOTE_SCRIPT =
  PREAMBLE +
  withJs(String.raw`if (!authenticate()) refuse(4, 'cannot authenticate as ' + env.TWINSTACK_ADMIN_USER + ' with ' + env.TWINSTACK_AUTH_FILE);
const h = reply({ hello: 1 });
const promotedBefore = fs.existsSync(env.TWINSTACK_PROMOTED);
if (h.isWritablePrimary) {
  if (!promotedBefore) refuse(5, 'refused: already a primary that twinstack did not promote (no twinstack.promoted in ' + env.TWINSTACK_DBPATH + '): refusing to adopt it');
  fs.rmSync(env.TWINSTACK_FENCED, { force: true });
  print(JSON.stringify({ promoted: false, alreadyPrimary: true, forced: false, removedMembers: [] }));
  quit(0);
}
const st = reply({ replSetGetStatus: 1 });
if (st.ok !== 1) refuse(3, 'refused: replSetGetStatus failed: ' + st.codeName + ': ' + st.errmsg);
const me = st.members.find(function (m) { return m.self; });
if (me.stateStr !== 'SECONDARY') refuse(3, 'refused: this member is ' + me.stateStr + ', not SECONDARY: it does not hold a complete, consistent copy');
const conf = reply({ replSetGetConfig: 1 }).config;
function healthyTwin(m) {
  return m.tags && m.tags.twinstack === 'twin' && st.members.some(function (s) { return s.name === m.host && s.health === 1 && s.stateStr === 'SECONDARY'; });
}
const lastAppliedTs = st.optimes.lastAppliedOpTime.ts;
const noPrimary = !st.members.some(function (s) { return s.stateStr === 'PRIMARY'; });
// A switchover's demoted (or a fenced) old member: it answers, but it is an unelectable SECONDARY
// holding nothing this member lacks, and no primary exists. It is kept as a follower (priority 0,
// its votes unchanged): it continues from this member with nothing to roll back.
function caughtUpFollower(m) {
  const s = st.members.find(function (x) { return x.name === m.host; });
  if (!noPrimary || m.arbiterOnly || m.priority !== 0 || !s || s.health !== 1 || s.stateStr !== 'SECONDARY' || !s.optime) return false;
  return s.optime.ts.t < lastAppliedTs.t || (s.optime.ts.t === lastAppliedTs.t && s.optime.ts.i <= lastAppliedTs.i);
}
const kept = conf.members.filter(function (m) { return m.host === me.name || healthyTwin(m); });
const followers = conf.members.filter(function (m) { return kept.indexOf(m) < 0 && caughtUpFollower(m); });
const dropped = conf.members.filter(function (m) { return kept.indexOf(m) < 0 && followers.indexOf(m) < 0; });
dropped.forEach(function (m) {
  if (m.arbiterOnly) return;
  const seen = st.members.find(function (s) { return s.name === m.host; });
  if (seen && seen.health === 1) refuse(6, 'refused: member ' + m.host + ' still answers heartbeats (state ' + seen.stateStr + '): the old primary region is not gone; fence it or fail over without force');
  let answered = false;
  try { answered = new Mongo('mongodb://' + m.host + '/admin?directConnection=true&serverSelectionTimeoutMS=3000&connectTimeoutMS=3000').getDB('admin').runCommand({ hello: 1 }).ok === 1; } catch (e) { answered = false; }
  if (answered) refuse(6, 'refused: member ' + m.host + ' answers hello from this host: the old primary region is not gone; fence it or fail over without force');
});
const lastApplied = ts(st.optimes.lastAppliedOpTime.ts);
const lastCommitted = ts(st.optimes.lastCommittedOpTime && st.optimes.lastCommittedOpTime.ts);
const done = dropped.length === 0 && kept.every(function (m) { return m.votes === 1 && m.priority >= 1; });
fs.writeFileSync(env.TWINSTACK_PROMOTED, 'forced reconfiguration from ' + lastApplied + '\n');
if (!done) {
  conf.members = kept.map(function (m) { m.priority = 1; m.votes = 1; m.hidden = false; return m; }).concat(followers);
  reconfig(conf, true);
}
const deadline = new Date().getTime() + 45000;
let stepUp = new Date().getTime() + 5000;
while (!reply({ hello: 1 }).isWritablePrimary) {
  if (new Date().getTime() > deadline) refuse(4, 'not a writable primary 45 s after the forced reconfiguration');
  if (new Date().getTime() > stepUp) { reply({ replSetStepUp: 1 }); stepUp = deadline; }
  sleep(1000);
}
fs.rmSync(env.TWINSTACK_FENCED, { force: true });
print(JSON.stringify({
  promoted: true, alreadyPrimary: false, forced: !done,
  removedMembers: dropped.map(function (m) { return m.host; }), keptMembers: kept.map(function (m) { return m.host; }),
  followers: followers.map(function (m) { return m.host; }),
  twinLastApplied: lastApplied, twinLastCommitted: lastCommitted,
}));
quit(0);
`) +
  String.raw`is_running || { echo "mongod is not running in $DBPATH: cannot promote" >&2; exit 3; }
js_result 90
`;

/**
 * Primary. Args after the node ones: votes of the other twin members (0/1), then the
 * synchronous twin members (`host:port`, may be none). Sets votes 1 on the named
 * twin-tagged members and the given votes on the other twin-tagged ones, one voting
 * change per reconfig (MongoDB's rule); with any named member it sets the default
 * write concern `w: "majority"`. Unknown names are refused (exit 3).
 */
export const SET_SYNCHRONOUS_REPLICAS_SCRIPT =
  PREAMBLE +
  String.raw`export TWINSTACK_OTHER_VOTES=$1; shift
TWINSTACK_SYNC_MEMBERS=$(printf '%s,' "$@"); export TWINSTACK_SYNC_MEMBERS
` +
  withJs(String.raw`if (!authenticate()) refuse(4, 'cannot authenticate as ' + env.TWINSTACK_ADMIN_USER + ' with ' + env.TWINSTACK_AUTH_FILE);
const names = env.TWINSTACK_SYNC_MEMBERS.split(',').filter(function (n) { return n !== ''; });
let conf = reply({ replSetGetConfig: 1 }).config;
names.forEach(function (n) {
  if (!conf.members.some(function (m) { return m.host === n && m.tags && m.tags.twinstack === 'twin'; })) refuse(3, 'refused: ' + n + ' is not a twin member of ' + conf._id);
});
if (names.length > 0) {
  const wc = reply({ setDefaultRWConcern: 1, defaultWriteConcern: { w: 'majority' } });
  if (wc.ok !== 1) refuse(4, 'could not set the default write concern w: majority: ' + wc.errmsg);
}
conf.members.filter(function (m) { return m.tags && m.tags.twinstack === 'twin'; }).forEach(function (m) {
  const votes = names.indexOf(m.host) >= 0 ? 1 : Number(env.TWINSTACK_OTHER_VOTES);
  conf = reply({ replSetGetConfig: 1 }).config;
  const current = conf.members.find(function (c) { return c.host === m.host; });
  if (current.votes !== votes) { current.votes = votes; current.priority = 0; reconfig(conf, false); }
  print(m.host + ': votes ' + votes + ', priority 0');
});
null
`) +
  String.raw`run_js 90 "$JS" || true
printf '%s\n' "$OUT" | grep -v '^null$' | { [ "$RC" -eq 0 ] && cat || cat >&2; }
exit "$RC"
`;

/**
 * Active primary, switchover. Args after the node ones: none.
 *
 * The documented equivalent of a durable `replSetStepDown`: `stepDownPassive()` (every
 * member priority 0, step down, freeze; see STEP_DOWN_PASSIVE_JS), so no member of the
 * set can be elected and no write is accepted anywhere, also after a restart, while
 * the twin keeps syncing from this member (a secondary is a sync source). Unlike the
 * fence it keeps sessions (apps get NotWritablePrimary) and writes `twinstack.demoted`
 * (0600): the priorities before (for undoDemote), then the final position, this
 * member's last applied optime once it is no longer primary. A repeated demote
 * reports the same position.
 */
export const DEMOTE_SCRIPT =
  PREAMBLE +
  withJs(
    STEP_DOWN_PASSIVE_JS +
      String.raw`if (!authenticate()) refuse(4, 'cannot authenticate as ' + env.TWINSTACK_ADMIN_USER + ' with ' + env.TWINSTACK_AUTH_FILE);
if (fs.existsSync(env.TWINSTACK_FENCED)) refuse(3, 'refused: this member is fenced (twinstack.fenced): a fenced member is not the primary of a switchover');
const h = reply({ hello: 1 });
let saved = fs.existsSync(env.TWINSTACK_DEMOTED) ? JSON.parse(fs.readFileSync(env.TWINSTACK_DEMOTED, 'utf8')) : undefined;
if (!h.isWritablePrimary && saved !== undefined && saved.position) { print(JSON.stringify({ position: saved.position, wasWritable: false })); quit(0); }
if (!h.isWritablePrimary && saved === undefined) refuse(3, 'refused: not the writable primary (the primary is ' + (h.primary || 'none') + '): nothing to demote');
if (saved === undefined) {
  saved = { priorities: reply({ replSetGetConfig: 1 }).config.members.map(function (m) { return { host: m.host, priority: m.priority }; }) };
  fs.writeFileSync(env.TWINSTACK_DEMOTED, JSON.stringify(saved), { mode: 384 });
}
const down = stepDownPassive();
const deadline = new Date().getTime() + 30000;
while (reply({ hello: 1 }).isWritablePrimary) {
  if (new Date().getTime() > deadline) refuse(4, 'still a writable primary 30 s after stepping down');
  sleep(500);
}
const st = reply({ replSetGetStatus: 1 });
if (st.ok !== 1) refuse(4, 'replSetGetStatus failed: ' + st.errmsg);
saved.position = ts(st.optimes.lastAppliedOpTime.ts);
fs.writeFileSync(env.TWINSTACK_DEMOTED, JSON.stringify(saved), { mode: 384 });
print(JSON.stringify({ position: saved.position, wasWritable: h.isWritablePrimary === true, reconfig: down.reconfig }));
quit(0);
`,
  ) +
  String.raw`is_running || { echo "mongod is not running in $DBPATH: nothing to demote" >&2; exit 3; }
js_result 80
`;

/**
 * Demoted old primary, switchover abort. Args after the node ones: none.
 * Refused (exit 3), never made writable: a fenced member, a member twinstack did not
 * demote (no `twinstack.demoted`) unless it already is the writable primary (a repeated
 * undo), and any member while another one is PRIMARY (the switchover went on: giving
 * writes back would make two primaries). Otherwise the remembered priorities come back
 * by a forced reconfiguration (no primary exists to run a majority one), the freeze is
 * lifted and the member steps up; it waits (≤ 45 s) to be the writable primary.
 */
export const UNDO_DEMOTE_SCRIPT =
  PREAMBLE +
  withJs(String.raw`if (!authenticate()) refuse(4, 'cannot authenticate as ' + env.TWINSTACK_ADMIN_USER + ' with ' + env.TWINSTACK_AUTH_FILE);
if (fs.existsSync(env.TWINSTACK_FENCED)) refuse(3, 'refused: this member is fenced (twinstack.fenced): refusing to give writes back');
if (!fs.existsSync(env.TWINSTACK_DEMOTED)) {
  if (reply({ hello: 1 }).isWritablePrimary) { print(JSON.stringify({ undone: false, writable: true })); quit(0); }
  refuse(3, 'refused: this member was not demoted by twinstack (no twinstack.demoted in ' + env.TWINSTACK_DBPATH + '): refusing to make it writable');
}
const saved = JSON.parse(fs.readFileSync(env.TWINSTACK_DEMOTED, 'utf8'));
const st = reply({ replSetGetStatus: 1 });
if (st.ok !== 1) refuse(4, 'replSetGetStatus failed: ' + st.errmsg);
const other = st.members.find(function (m) { return m.stateStr === 'PRIMARY' && m.self !== true; });
if (other) refuse(3, 'refused: ' + other.name + ' is the primary now (the switchover promoted it): giving writes back here would make two primaries; rejoin this member instead');
const conf = reply({ replSetGetConfig: 1 }).config;
conf.members.forEach(function (m) {
  const before = saved.priorities.find(function (p) { return p.host === m.host; });
  if (before) m.priority = before.priority;
});
reconfig(conf, true);
reply({ replSetFreeze: 0 });
const deadline = new Date().getTime() + 45000;
let stepUp = new Date().getTime() + 5000;
while (!reply({ hello: 1 }).isWritablePrimary) {
  if (new Date().getTime() > deadline) refuse(4, 'not a writable primary 45 s after the priorities came back');
  if (new Date().getTime() > stepUp) { reply({ replSetStepUp: 1 }); stepUp = deadline; }
  sleep(1000);
}
fs.rmSync(env.TWINSTACK_DEMOTED, { force: true });
print(JSON.stringify({ undone: true, writable: true }));
quit(0);
`) +
  String.raw`is_running || { echo "mongod is not running in $DBPATH: nothing to undo" >&2; exit 3; }
js_result 80
`;

/**
 * Old primary → member of the new primary's set. Args after the node ones: the new
 * primary member (`host:port`), this member's name in the set (`host:port`), the new
 * primary's fork position (`<t>.<i>`), wait bound in seconds. Env:
 * TWINSTACK_ADMIN_PASSWORD (the admin user on the new primary).
 *
 * Refused before anything changes (exit 3): a writable primary that is neither fenced
 * nor demoted; a stopped mongod (started without care, a member of the old config
 * could be elected again: start it yourself once it cannot reach its old members, or
 * restore it); a new primary that is not the writable primary.
 *
 * A failover's old member was removed from the set by the forced reconfiguration:
 * the new primary adds it back as a passive twin member (priority 0, votes 0, tag
 * `twinstack: twin`). A switchover's old member was kept and already follows. MongoDB
 * itself then undoes divergent history: the member goes through ROLLBACK and writes
 * the documents it undid to `<dbPath>/rollback/` (MongoDB's own saved-aside data,
 * counted here) before it is SECONDARY. A member MongoDB cannot roll back (too stale,
 * rollback limits) stays RECOVERING: `needs-restore`. It prints this member's last
 * applied optime (before) and the fork; the divergence is computed by the engine.
 */
export const REJOIN_SCRIPT =
  PREAMBLE +
  String.raw`export TWINSTACK_NEW_PRIMARY=$1 TWINSTACK_MEMBER=$2 TWINSTACK_FORK=$3 TWINSTACK_WAIT=$4
: "${'$'}{TWINSTACK_ADMIN_PASSWORD:?admin password missing}"
` +
  withJs(String.raw`if (!authenticate()) refuse(4, 'cannot authenticate as ' + env.TWINSTACK_ADMIN_USER + ' with ' + env.TWINSTACK_AUTH_FILE);
const started = new Date().getTime();
const h = reply({ hello: 1 });
const fenced = fs.existsSync(env.TWINSTACK_FENCED);
const demoted = fs.existsSync(env.TWINSTACK_DEMOTED);
if (h.isWritablePrimary && !fenced && !demoted) refuse(3, 'refused: this member is a writable primary, neither fenced nor demoted: it may be taking writes. Fix: fence it (failover) or demote it (switchover) first; nothing was changed');
if (h.isWritablePrimary) refuse(3, 'refused: this member is marked ' + (fenced ? 'fenced' : 'demoted') + ' but is a writable primary again: fence it again first; nothing was changed');
const mine = reply({ replSetGetStatus: 1 });
const position = mine.ok === 1 && mine.optimes && mine.optimes.lastAppliedOpTime ? ts(mine.optimes.lastAppliedOpTime.ts) : h.lastWrite ? ts(h.lastWrite.opTime.ts) : null;
const admin = new Mongo('mongodb://' + env.TWINSTACK_NEW_PRIMARY + '/admin?directConnection=true&serverSelectionTimeoutMS=5000').getDB('admin');
if (!authenticate(admin)) refuse(3, 'refused: cannot authenticate as ' + env.TWINSTACK_ADMIN_USER + ' on the new primary ' + env.TWINSTACK_NEW_PRIMARY + '; nothing was changed');
if (!reply({ hello: 1 }, admin).isWritablePrimary) refuse(3, 'refused: ' + env.TWINSTACK_NEW_PRIMARY + ' is not the writable primary; nothing was changed');
const conf = reply({ replSetGetConfig: 1 }, admin).config;
const wasMember = conf.members.some(function (m) { return m.host === env.TWINSTACK_MEMBER; });
if (!wasMember) {
  const id = conf.members.reduce(function (max, m) { return Math.max(max, m._id); }, -1) + 1;
  conf.members.push({ _id: id, host: env.TWINSTACK_MEMBER, priority: 0, votes: 0, tags: { twinstack: 'twin' } });
  reconfig(conf, false, admin);
}
const deadline = started + Number(env.TWINSTACK_WAIT) * 1000;
let state = 'UNKNOWN', rolledBack = false, why = '';
while (true) {
  const s = reply({ replSetGetStatus: 1 });
  const me = s.ok === 1 ? s.members.find(function (m) { return m.self; }) : undefined;
  state = me ? me.stateStr : (s.codeName || 'UNKNOWN');
  if (state === 'ROLLBACK') rolledBack = true;
  if (state === 'SECONDARY' && s.syncSourceHost) break;
  why = (me && (me.infoMessage || me.lastHeartbeatMessage)) || s.errmsg || '';
  if (state === 'RECOVERING' && /too stale|resync|rollback.*(fail|limit)|cannot rollback/i.test(why)) break;
  if (new Date().getTime() > deadline) refuse(4, 'this member is ' + state + ' (' + why + '), not SECONDARY, ' + env.TWINSTACK_WAIT + ' s after rejoining; run the rejoin again to keep waiting');
  sleep(2000);
}
function bsonFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap(function (name) {
    const path = dir + '/' + name;
    return fs.statSync(path).isDirectory() ? bsonFiles(path) : /\.bson$/.test(name) ? [path] : [];
  });
}
const rollbackDir = env.TWINSTACK_DBPATH + '/rollback';
// Only what this rejoin's rollback wrote (files of an earlier rollback were counted then).
const files = bsonFiles(rollbackDir).filter(function (f) { return fs.statSync(f).mtimeMs >= started - 1000; });
const method = state !== 'SECONDARY' ? 'needs-restore' : rolledBack || files.length > 0 ? 'rewound' : !wasMember || demoted || fenced ? 'repointed' : 'already-replica';
if (state === 'SECONDARY') { fs.rmSync(env.TWINSTACK_FENCED, { force: true }); fs.rmSync(env.TWINSTACK_DEMOTED, { force: true }); fs.rmSync(env.TWINSTACK_PROMOTED, { force: true }); }
print(JSON.stringify({ method: method, position: position, fork: env.TWINSTACK_FORK, state: state, why: why, rollbackDir: rollbackDir, rollbackFiles: files.length }));
quit(0);
`) +
  String.raw`is_running || { echo "refused: mongod is not running in $DBPATH: started as it is, a member of its old config could be elected again. Fix: start it where it cannot reach its old members, or restore it from the new primary; nothing was changed" >&2; exit 3; }
js_result "$((TWINSTACK_WAIT + 60))"
`;
