#!/usr/bin/env bash
# Runs the README's tour as written: every code block marked <!-- tour ... --> in README.md, verbatim, in order
# and in one shell (so SOCK, TOKEN and the alias carry over), against a daemon started by the block marked
# <!-- tour:daemon --> — the README's own start command — in the background.
#
#   bash contrib/test/readme-tour.sh                  # in this checkout (CI: its checkout is a fresh clone)
#   bash contrib/test/readme-tour.sh --fresh-clone    # in a `git clone` of HEAD in a temporary directory
#
# The tour is written for root (/run/scriptexec, /var/lib/scriptexec, port 8765), so it runs as root in private
# namespaces: a mount namespace with empty tmpfs over those two directories and a network namespace with its own
# loopback. Nothing of an installed or running scriptexecd is touched, and the commands need no rewriting.
# `dotnet restore` runs before, outside (the network namespace has no network); the builds are the README's.
#
# A block passes when every command in it succeeds (bash's ERR trap, with pipefail), its output has no JSON-RPC
# error and no bare `null` (jq's answer when a reply lacks what it picks), is not empty when it pipes to jq, and
# contains each expect="TEXT" of its marker. It waits a second before each block, as a reader would. Prints
# PASS/FAIL per block and, last, "tour: N passed, N failed".
# Installs socat, jq and nodejs with apt-get when missing. KEEP=1 keeps the temporary directory.

set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/scriptexec-tour.XXXXXX")
START=$SECONDS
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

cleanup() {
    [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

summary() { # PASSED FAILED [SKIPPED]
    echo "tour: $1 passed, $2 failed${3:+, $3 skipped}"
}

if [ "$(id -u)" -ne 0 ] || ! unshare --mount --net true 2>/dev/null; then
    echo "SKIP: the tour is written for root and runs in private namespaces; this needs root and unshare(1)"
    summary 0 0 1
    exit 0
fi

for tool in socat jq node; do
    command -v "$tool" >/dev/null 2>&1 && continue
    package=$tool; [ "$tool" = node ] && package=nodejs
    (apt-get install -y -qq "$package" || { apt-get update -qq && apt-get install -y -qq "$package"; }) >/dev/null 2>&1 \
        || echo "warning: could not install $package" >&2
done

DIR=$ROOT
if [ "${1:-}" = --fresh-clone ]; then
    DIR=$WORK/clone
    git clone -q "$ROOT" "$DIR" || { echo "FAIL: git clone"; summary 0 1; exit 1; }
fi

# The blocks: a marker line, then (after blank lines) a fenced block. Marker attributes: expect="TEXT", repeatable.
mkdir -p "$WORK/blocks" "$WORK/out"
awk -v dir="$WORK/blocks" '
    /^<!-- tour(:daemon)?( [^>]*)? -->$/ { n++; name = sprintf("%s/%02d%s", dir, n, ($0 ~ /^<!-- tour:daemon/) ? "-daemon" : "");
                                           marker = $0; pending = 1; next }
    pending && /^```/ && !inside { inside = 1; file = name ".sh"; print marker > (name ".marker"); printf "" > file; next }
    inside && /^```/ { inside = 0; pending = 0; close(file); next }
    inside { print > file }
' "$DIR/README.md"
daemon_block=$(ls "$WORK"/blocks/*-daemon.sh 2>/dev/null | head -n 1)
if [ -z "$daemon_block" ] || [ "$(ls "$WORK"/blocks/*.sh | wc -l)" -lt 2 ]; then
    echo "FAIL: README.md has no <!-- tour:daemon --> block or no <!-- tour --> blocks"
    summary 0 1
    exit 1
fi

(cd "$DIR" && dotnet restore -v q src/ScriptExec.Daemon && dotnet restore -v q src/ScriptExec.Cli) >"$WORK/restore.log" 2>&1 \
    || { echo "FAIL: dotnet restore"; tail -n 20 "$WORK/restore.log"; summary 0 1; exit 1; }

# Mount points for the private tmpfs; made here only if missing, and removed again after.
made=()
for d in /run/scriptexec /var/lib/scriptexec; do
    [ -d "$d" ] || { mkdir -p "$d" && made+=("$d"); }
done

cat >"$WORK/inner.sh" <<'INNER'
# Runs inside the namespaces: PID 1 of its own PID namespace, so everything it started ends with it.
set -u -o pipefail
WORK=$1 DIR=$2 DAEMON_BLOCK=$3 SECONDS=$4
# Builds inside start their own MSBuild nodes and servers, which must not outlive this namespace's PID 1.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
mount -t tmpfs -o mode=0755 tourrun /run/scriptexec && mount -t tmpfs -o mode=0755 tourdata /var/lib/scriptexec \
    || { echo "FAIL: private tmpfs mounts"; echo "tour: 0 passed, 1 failed"; exit 1; }
ip link set lo up
cd "$DIR" || exit 1

passed=0 failed=0
bash "$DAEMON_BLOCK" >"$WORK/daemon.log" 2>&1 &
daemon=$!

# Ready when it logs so (what the README tells the reader to look for); `dotnet run` may build first.
for _ in $(seq 1 600); do
    grep -q "ready: unix socket" "$WORK/daemon.log" && break
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.5
done
if ! grep -q "ready: unix socket" "$WORK/daemon.log"; then
    echo "FAIL: the daemon (README block $(basename "$DAEMON_BLOCK")) did not become ready"
    tail -n 40 "$WORK/daemon.log" | sed 's/^/    | /'
    echo "tour: $passed passed, 1 failed"
    exit 1
fi
passed=$((passed + 1))
echo "PASS: $(basename "$DAEMON_BLOCK" .sh): $(grep -m1 -o 'ready: unix socket [^,]*' "$WORK/daemon.log")"

# Warm-up outside the tour: socat waits only 0.5 s for a reply, and a fresh JIT daemon's first answers can take
# longer on a loaded machine. Read-only calls; the daemon closes after answering, so -t 30 does not wait 30 s.
sock=$(grep -m1 -o 'ready: unix socket [^,]*' "$WORK/daemon.log" | sed 's/^ready: unix socket //')
echo '[{"jsonrpc":"2.0","id":1,"method":"status"},{"jsonrpc":"2.0","id":2,"method":"script_overview_get"},{"jsonrpc":"2.0","id":3,"method":"script_execution_get","params":{"pagination":{"limit":-1}}},{"jsonrpc":"2.0","id":4,"method":"script_execution_filter_options_get"}]' \
    | socat -t 30 - "UNIX-CONNECT:$sock" >/dev/null

shopt -s expand_aliases
for block in "$WORK"/blocks/*.sh; do
    [ "$block" = "$DAEMON_BLOCK" ] && continue
    # A reader takes a moment between blocks (the run started in one is read in the next); so does the tour.
    sleep 1
    name=$(basename "$block" .sh)
    out="$WORK/out/$name.log"
    block_failed=0
    trap 'block_failed=1' ERR
    # shellcheck disable=SC1090 # the README's block, verbatim, in this shell
    source "$block" >"$out" 2>&1 </dev/null
    trap - ERR
    problem=''
    [ "$block_failed" -ne 0 ] && problem='a command failed'
    [ -z "$problem" ] && grep -q '"error": *{' "$out" && problem='a JSON-RPC error reply'
    [ -z "$problem" ] && grep -qx 'null' "$out" && problem='jq printed null (the reply lacks the field)'
    [ -z "$problem" ] && grep -q '| *jq' "$block" && [ ! -s "$out" ] && problem='no reply'
    while read -r text; do
        [ -z "$problem" ] && [ -n "$text" ] && ! grep -qF -- "$text" "$out" && problem="output lacks: $text"
    done < <(grep -o 'expect="\([^"\\]\|\\.\)*"' "$WORK/blocks/$name.marker" | sed 's/^expect="//; s/"$//; s/\\"/"/g')
    if [ -z "$problem" ]; then
        passed=$((passed + 1))
        echo "PASS: block $name ($(wc -l <"$block") lines)"
    else
        failed=$((failed + 1))
        echo "FAIL: block $name: $problem"
        sed 's/^/    $ /' "$block"
        tail -n 30 "$out" | sed 's/^/    | /'
    fi
done

# Stopped as a service manager would (SIGTERM, bounded wait), so it shuts down cleanly; its pid from `status`.
pid=$(echo '{"jsonrpc":"2.0","id":1,"method":"status"}' | socat -t 30 - "UNIX-CONNECT:$sock" | jq -r .result.pid)
if [ -n "$pid" ] && [ "$pid" != null ] && kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
fi
kill "$daemon" 2>/dev/null
echo "== tour took $SECONDS s"
echo "tour: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
INNER

if [ "$DIR" = "$ROOT" ] && [ -e "$DIR/hello.sh" ]; then had_hello=1; else had_hello=0; fi
echo "== README tour in $DIR (blocks in $WORK/blocks)"
unshare --mount --net --pid --fork --mount-proc bash "$WORK/inner.sh" "$WORK" "$DIR" "$daemon_block" "$((SECONDS - START))" \
    | tee "$WORK/tour.log"
status=${PIPESTATUS[0]}

# The tour writes hello.sh where it runs; leave this checkout as it was.
[ "$DIR" = "$ROOT" ] && [ "$had_hello" -eq 0 ] && rm -f "$DIR/hello.sh"
for d in "${made[@]}"; do rmdir "$d" 2>/dev/null; done
if ! grep -q '^tour: [0-9]* passed' "$WORK/tour.log"; then
    summary 0 1
    exit 1
fi
exit "$status"
