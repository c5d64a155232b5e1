#!/usr/bin/env bash
# Exercises every client in contrib/ against a real scriptexecd, and checks the systemd unit.
#
#   bash contrib/test-contrib.sh
#
# Builds the daemon (dotnet build src/ScriptExec.Daemon), starts it on a temporary data dir, socket and free
# port, creates a script and an instance with the shell client and runs it, then runs the Python client, the
# Node client (after `npm ci` in contrib/node), the shell demo, and the management page the daemon serves, in
# headless Chromium (plus a page of another origin, served by `python3 -m http.server`, that must be refused).
# Installs socat, jq, chromium (and nodejs/npm) with apt-get when missing.
# Prints PASS/FAIL per check and "N passed, N failed" at the end; exits 1 if anything failed.
#
# Environment: SCRIPTEXECD="command to run the daemon" skips the build (e.g. "/usr/lib/scriptexec/scriptexecd");
# KEEP=1 keeps the temporary directory (daemon log, DOM dumps).

set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONTRIB=$ROOT/contrib
WORK=$(mktemp -d "${TMPDIR:-/tmp}/scriptexec-contrib.XXXXXX")
PASSED=0 FAILED=0 SKIPPED=0
DAEMON_PID='' HTTP_PID=''
START=$SECONDS

log() { printf "== [%3ds] %s\n" "$((SECONDS - START))" "$*"; }

pass() { PASSED=$((PASSED + 1)); printf 'PASS: %s\n' "$1"; }

fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL: %s\n' "$1"
    if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/    | /' "$2" | tail -n 40; fi
}

skip() { SKIPPED=$((SKIPPED + 1)); printf 'SKIP: %s\n' "$1"; }

# check NAME OUTPUT-FILE COMMAND...: runs COMMAND (stdout+stderr to OUTPUT-FILE); PASS if it exits 0.
check() {
    local name=$1 out=$2
    shift 2
    if "$@" >"$out" 2>&1; then pass "$name"; else fail "$name (exit $?)" "$out"; fi
}

# expect NAME FILE TEXT...: PASS if FILE contains every TEXT (fixed strings).
expect() {
    local name=$1 file=$2 text
    shift 2
    for text in "$@"; do
        if ! grep -qF -- "$text" "$file"; then
            fail "$name: expected \"$text\"" "$file"
            return 1
        fi
    done
    pass "$name"
}

abort() {
    printf 'FAIL: %s\n' "$1"
    [ -n "${2:-}" ] && [ -s "$2" ] && sed 's/^/    | /' "$2" | tail -n 40
    FAILED=$((FAILED + 1))
    exit 1
}

cleanup() {
    local status=$?
    if [ -n "$HTTP_PID" ]; then kill "$HTTP_PID" 2>/dev/null; wait "$HTTP_PID" 2>/dev/null; fi
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID"
        for _ in $(seq 1 150); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
    fi
    if [ "$FAILED" -gt 0 ] && [ -s "$WORK/daemon.log" ]; then
        echo "-- daemon log (last 30 lines):"
        tail -n 30 "$WORK/daemon.log" | sed 's/^/    | /'
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
    echo "contrib checks took $((SECONDS - START)) s"
    echo "contrib: $PASSED passed, $FAILED failed, $SKIPPED skipped"
    [ "$FAILED" -eq 0 ] && [ "$status" -eq 0 ] || exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- Tools ----
APT_UPDATED=0
apt_install() {
    if [ "$(id -u)" != 0 ]; then abort "missing $* and not root: install it (apt-get install $*)"; fi
    if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >"$WORK/apt.log" 2>&1 || abort "apt-get update" "$WORK/apt.log"; APT_UPDATED=1; fi
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$WORK/apt.log" 2>&1 ||
        abort "apt-get install $*" "$WORK/apt.log"
}
missing=()
for tool in socat jq chromium python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
command -v dotnet >/dev/null || [ -n "${SCRIPTEXECD:-}" ] || abort "dotnet is not installed (or set SCRIPTEXECD)"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- Daemon ----
if [ -n "${SCRIPTEXECD:-}" ]; then
    read -r -a DAEMON <<<"$SCRIPTEXECD"
    APPHOST=${DAEMON[0]}
else
    log "building the daemon"
    dotnet build "$ROOT/src/ScriptExec.Daemon" -nologo -v q >"$WORK/build.log" 2>&1 || abort "dotnet build src/ScriptExec.Daemon" "$WORK/build.log"
    DLL=$(dotnet build "$ROOT/src/ScriptExec.Daemon" -nologo -v q -getProperty:TargetPath 2>/dev/null | tail -n 1)
    [ -f "$DLL" ] || abort "daemon build output not found ($DLL)"
    DAEMON=(dotnet "$DLL")
    APPHOST=$(dirname "$DLL")/scriptexecd
fi

SOCKET=$WORK/sx.sock
DATA=$WORK/data
WS_PORT=$(free_port)
HTTP_PORT=$(free_port)
while [ "$HTTP_PORT" = "$WS_PORT" ]; do HTTP_PORT=$(free_port); done
PAGE_ORIGIN=http://127.0.0.1:$WS_PORT
WS_URL=ws://127.0.0.1:$WS_PORT/rpc
cat >"$WORK/config.json" <<EOF
{ "shutdown_timeout_s": 10 }
EOF

log "starting scriptexecd (socket $SOCKET, $WS_URL)"
"${DAEMON[@]}" --data-dir "$DATA" --socket "$SOCKET" --listen "http://127.0.0.1:$WS_PORT" --config "$WORK/config.json" \
    >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!

export SX_SOCKET=$SOCKET SX_TIMEOUT=20
# shellcheck source=shell/scriptexec.sh
. "$CONTRIB/shell/scriptexec.sh"
for _ in $(seq 1 300); do
    kill -0 "$DAEMON_PID" 2>/dev/null || abort "scriptexecd exited at start" "$WORK/daemon.log"
    [ -S "$SOCKET" ] && sx_call status >/dev/null 2>&1 && break
    sleep 0.1
done
sx_call status >"$WORK/status.json" 2>&1 || abort "scriptexecd did not answer on $SOCKET within 30 s" "$WORK/daemon.log"
TOKEN=$(cat "$DATA/admin.token")
pass "daemon started ($(jq -r .version "$WORK/status.json"), pid $DAEMON_PID)"

# ---- Shell client: create a script and an instance, run it ----
log "shell client (contrib/shell/scriptexec.sh)"
cat >"$WORK/hello.sh" <<'EOF'
#!/bin/sh
echo "hello from contrib: $1"
echo "a line on stderr" >&2
EOF
run_hello() {
    sx_script_set contrib-hello "$WORK/hello.sh" "contrib test script" &&
        sx_instance_set contrib-hello demo "world" &&
        ID=$(sx_start contrib-hello demo) &&
        sx_wait "$ID" 30 >"$WORK/execution.json" &&
        jq -e '.state == "finished" and .exit_code == 0' "$WORK/execution.json" &&
        sx_output "$ID" >"$WORK/output.txt" &&
        grep -qx 'hello from contrib: world' "$WORK/output.txt" &&
        grep -qx 'a line on stderr' "$WORK/output.txt"
}
ID=''
if run_hello >"$WORK/shell-run.log" 2>&1; then
    pass "shell: script_set, script_instance_set, script_start, wait, output (execution $ID)"
else
    { cat "$WORK/execution.json" "$WORK/output.txt"; } >>"$WORK/shell-run.log" 2>/dev/null
    abort "shell: create and run a script" "$WORK/shell-run.log"
fi
if sx_call script_get '{"name": "no-such-script"}' >"$WORK/shell-error.log" 2>&1; then
    fail "shell: an error reply makes sx_call fail" "$WORK/shell-error.log"
else
    expect "shell: error replies are reported with code and reason" "$WORK/shell-error.log" "code 1001" "reason not_found"
fi
check "shell: demo runs" "$WORK/shell-demo.log" bash "$CONTRIB/shell/scriptexec.sh"
expect "shell: demo lists the execution" "$WORK/shell-demo.log" "executions: " "contrib-hello/demo" "finished"
check "shell: one call from the command line" "$WORK/shell-cli.log" bash "$CONTRIB/shell/scriptexec.sh" script_get '{"name": "contrib-hello"}'
expect "shell: command line prints the result" "$WORK/shell-cli.log" '"description": "contrib test script"'

# ---- Python client ----
log "python client (contrib/python/scriptexec_client.py)"
check "python: demo runs" "$WORK/python-demo.log" python3 "$CONTRIB/python/scriptexec_client.py" --socket "$SOCKET"
expect "python: demo shows status and the execution" "$WORK/python-demo.log" "scriptexecd " "executions: " "contrib-hello/demo" "finished"
check "python: used as a module (output, error reason)" "$WORK/python-module.log" python3 - "$CONTRIB/python" "$SOCKET" "$ID" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
from scriptexec_client import ScriptExecClient, ScriptExecError

with ScriptExecClient(sys.argv[2]) as sx:
    page = sx.call("script_execution_output_get", {"filter": {"execution_id": int(sys.argv[3])}, "pagination": {"limit": 100}})
    lines = [line["content"] for line in page["lines"]]
    assert "hello from contrib: world" in lines, lines
    try:
        sx.call("script_start", {"script_name": "no-such-script", "instance_name": "x"})
        raise SystemExit("expected an error")
    except ScriptExecError as e:
        assert e.code == 1001 and e.reason == "not_found", (e.code, e.reason)
print("ok")
EOF

# ---- Node client ----
log "node client (contrib/node)"
if (cd "$CONTRIB/node" && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1; then
    pass "node: npm ci"
    export SCRIPTEXEC_URL=$WS_URL SCRIPTEXEC_TOKEN_FILE=$DATA/admin.token
    check "node: demo runs" "$WORK/node-demo.log" node "$CONTRIB/node/client.mjs"
    expect "node: demo shows status and the execution" "$WORK/node-demo.log" "scriptexecd " "executions: " "contrib-hello/demo" "finished"
    check "node: one call from the command line" "$WORK/node-cli.log" node "$CONTRIB/node/client.mjs" script_execution_get \
        "{\"pagination\": {\"limit\": 1, \"id_exclusive\": $((ID - 1))}}"
    expect "node: command line prints the result" "$WORK/node-cli.log" "\"id\": $ID" '"exit_code": 0'
    if SCRIPTEXEC_TOKEN=not-the-right-token node "$CONTRIB/node/client.mjs" >"$WORK/node-401.log" 2>&1; then
        fail "node: a wrong token is refused" "$WORK/node-401.log"
    else
        expect "node: a wrong token is refused with 401" "$WORK/node-401.log" "HTTP 401"
    fi
    # Live notifications, where the daemon has execution_subscribe.
    if python3 "$CONTRIB/python/scriptexec_client.py" --socket "$SOCKET" execution_subscribe '{}' >"$WORK/subscribe.log" 2>&1; then
        node "$CONTRIB/node/client.mjs" --watch 5 >"$WORK/node-watch.log" 2>&1 &
        WATCH_PID=$!
        for _ in $(seq 1 50); do grep -q '^subscribed' "$WORK/node-watch.log" && break; sleep 0.1; done
        ID2=$(sx_start contrib-hello demo) && sx_wait "$ID2" 30 >/dev/null
        wait "$WATCH_PID"
        expect "node: --watch prints execution_changed and execution_output notifications" "$WORK/node-watch.log" \
            "execution $ID2 contrib-hello/demo: finished (exit 0)" "execution $ID2 stdout: hello from contrib: world"
    else
        skip "node: --watch (this daemon has no execution_subscribe: $(head -c 200 "$WORK/subscribe.log"))"
    fi
else
    fail "node: npm ci" "$WORK/npm.log"
fi

# ---- Management page (served by the daemon itself; contrib/browser only points at it) ----
log "management page (served at $PAGE_ORIGIN/) in headless Chromium"
if [ ! -d "$CONTRIB/node/node_modules/ws" ]; then
    fail "browser: needs contrib/node's ws package (npm ci failed)"
else
    # Logs in as a user would (the token typed into the form, never in the address), then opens the execution.
    LOGIN="document.getElementById('login-token') && !document.getElementById('login').hidden && (document.getElementById('login-token').value = '$TOKEN', document.getElementById('login-form').requestSubmit(), true)"
    CONDITION="document.getElementById('output') && document.getElementById('output').textContent.includes('hello from contrib: world') && document.getElementById('execution-state').textContent === 'finished'"
    if ACTION=$LOGIN node "$CONTRIB/test/headless-dom.mjs" "$PAGE_ORIGIN/#/execution/$ID" "$CONDITION" 30000 >"$WORK/page.html" 2>"$WORK/page.err"; then
        expect "browser: the served page logs in and shows execution $ID with its output" "$WORK/page.html" \
            "Execution #$ID" "contrib-hello/demo" "hello from contrib: world" "a line on stderr" "admin (admin)"
    else
        cat "$WORK/page.err" >>"$WORK/page.html"
        fail "browser: the served page did not show execution $ID with its output within 30 s" "$WORK/page.html"
    fi
    # A page of another origin (python's http.server) may not open the daemon's WebSocket: the upgrade is refused.
    mkdir -p "$WORK/foreign"
    echo '<!doctype html><title>foreign</title><p id="result">not tried</p>' >"$WORK/foreign/index.html"
    python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$WORK/foreign" >"$WORK/http.log" 2>&1 &
    HTTP_PID=$!
    for _ in $(seq 1 50); do python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$HTTP_PORT/index.html')" 2>/dev/null && break; sleep 0.1; done
    TRY="document.getElementById('result') && (window.tried || (window.tried = true, (() => { const ws = new WebSocket('$WS_URL'); const r = document.getElementById('result'); ws.onopen = () => { r.textContent = 'opened'; }; ws.onclose = (e) => { r.textContent = 'closed ' + e.code; }; })(), true))"
    ACTION=$TRY node "$CONTRIB/test/headless-dom.mjs" "http://127.0.0.1:$HTTP_PORT/index.html" \
        "document.getElementById('result').textContent !== 'not tried'" 15000 >"$WORK/page-refused.html" 2>&1
    expect "browser: a page from a foreign origin cannot open the daemon's WebSocket" "$WORK/page-refused.html" '<p id="result">closed 1006</p>'
fi

# ---- systemd unit ----
log "systemd unit (systemd/scriptexecd.service)"
if command -v systemd-analyze >/dev/null; then
    # verify needs ExecStart to exist: check a copy pointing at the apphost just built.
    mkdir -p "$WORK/unit"
    sed "s#/usr/lib/scriptexec/scriptexecd#$APPHOST#" "$ROOT/systemd/scriptexecd.service" >"$WORK/unit/scriptexecd.service"
    if (cd "$WORK/unit" && systemd-analyze verify ./scriptexecd.service) >"$WORK/verify.log" 2>&1 && [ ! -s "$WORK/verify.log" ]; then
        pass "systemd: systemd-analyze verify scriptexecd.service"
    else
        fail "systemd: systemd-analyze verify scriptexecd.service" "$WORK/verify.log"
    fi
else
    skip "systemd: systemd-analyze is not installed"
fi
