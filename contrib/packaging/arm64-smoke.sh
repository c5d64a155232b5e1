#!/usr/bin/env bash
# Cross-compiles the NativeAOT scriptexecd and scriptexec for linux-arm64 on an amd64 Debian host and runs a
# smoke test of them under qemu-user: start the daemon, `status`, store a script and an instance, run it,
# read its execution (script_execution_get) and output, and `status` with the arm64 CLI.
#
#   bash contrib/packaging/arm64-smoke.sh [--bin-dir DIR]
#
# Installs with apt-get, only what is missing: arm64 as a dpkg foreign architecture, clang, lld, llvm,
# libc6-dev/zlib1g-dev/libsqlite3-dev/libgcc-12-dev for arm64 (the sysroot is / through multiarch),
# qemu-user-static, socat, jq. The ILCompiler arm64 runtime pack comes from NuGet with the restore.
# --bin-dir DIR: take scriptexecd and scriptexec (arm64) from DIR instead of publishing (publish: several
# minutes on two cores; the smoke itself takes seconds). The publish output goes to artifacts/packaging/arm64.
# SX_PUBLISH_ARGS: extra `dotnet publish` arguments (see lib.sh). KEEP=1 keeps the scratch directory.
# Prints PASS/FAIL per check and "arm64: N passed, N failed" at the end; exits 1 if anything failed.

set -u -o pipefail

WORK=$(mktemp -d "${TMPDIR:-/tmp}/scriptexec-arm64.XXXXXX")
# shellcheck source=contrib/packaging/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN_DIR=''
while [ $# -gt 0 ]; do
    case $1 in
        --bin-dir) BIN_DIR=$2; shift 2 ;;
        *) echo "usage: $0 [--bin-dir DIR]" >&2; exit 2 ;;
    esac
done

DAEMON_PID=''
cleanup() {
    local status=$?
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -TERM "$DAEMON_PID"
        for _ in $(seq 1 150); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
    fi
    if [ "$FAILED" -gt 0 ] && [ -s "$WORK/daemon.log" ]; then
        echo "-- daemon log (first 5 and last 25 lines):"
        { head -n 5 "$WORK/daemon.log"; echo ...; tail -n 25 "$WORK/daemon.log"; } | sed 's/^/    | /'
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
    echo "arm64 smoke took $((SECONDS - START)) s"
    echo "arm64: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && [ "$status" -eq 0 ] || exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(dpkg --print-architecture)" = amd64 ] || abort "this script cross-compiles from amd64 (host is $(dpkg --print-architecture))"
apt_install qemu-user-static socat jq

# ---- Build ----
if [ -z "$BIN_DIR" ]; then
    BIN_DIR=$ROOT/artifacts/packaging/arm64
    publish arm64 "$BIN_DIR"
    pass "cross-compiled scriptexecd and scriptexec for linux-arm64 ($(du -h "$BIN_DIR/scriptexecd" | cut -f1), $(du -h "$BIN_DIR/scriptexec" | cut -f1))"
else
    # Without the publish, the multiarch loader and libc are still what qemu runs the binaries with.
    apt_install libc6:arm64
fi
for binary in scriptexecd scriptexec; do
    file -b "$BIN_DIR/$binary" >"$WORK/file-$binary.txt" 2>&1
    if grep -q 'ARM aarch64' "$WORK/file-$binary.txt"; then
        pass "$binary is an arm64 ELF ($(cut -d, -f1-2 "$WORK/file-$binary.txt"))"
    else
        abort "$binary is not an arm64 ELF" "$WORK/file-$binary.txt"
    fi
done
# One file: what the binary loads besides libc must be on the device too.
readelf -d "$BIN_DIR/scriptexecd" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort >"$WORK/needed.txt"
if grep -qv -E '^(libc|libm|ld-linux-aarch64)\.so' "$WORK/needed.txt"; then
    fail "scriptexecd needs only libc and libm ($(tr '\n' ' ' <"$WORK/needed.txt"))" "$WORK/needed.txt"
else
    pass "scriptexecd needs only $(tr '\n' ' ' <"$WORK/needed.txt")(SQLite linked in)"
fi

# ---- Smoke under qemu-user ----
# qemu-aarch64-static is called explicitly (no binfmt_misc needed, which containers often lack); -L /
# resolves /lib/ld-linux-aarch64.so.1 and libc through multiarch.
QEMU=(qemu-aarch64-static -L /)
if "${QEMU[@]}" "$BIN_DIR/scriptexec" --version >"$WORK/cli-version.txt" 2>&1; then
    pass "scriptexec --version under qemu: $(head -n 1 "$WORK/cli-version.txt")"
else
    fail "scriptexec --version under qemu" "$WORK/cli-version.txt"
fi

SOCKET=$WORK/sx.sock
DATA=$WORK/data
log "starting scriptexecd under qemu-aarch64 (socket $SOCKET)"
"${QEMU[@]}" "$BIN_DIR/scriptexecd" --data-dir "$DATA" --socket "$SOCKET" --listen none >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!

export SX_SOCKET=$SOCKET SX_TIMEOUT=30
# shellcheck source=contrib/shell/scriptexec.sh
. "$ROOT/contrib/shell/scriptexec.sh"
# Emulated start-up is slower than native: allow 60 s.
for _ in $(seq 1 600); do
    kill -0 "$DAEMON_PID" 2>/dev/null || abort "scriptexecd exited at start under qemu (its log follows)"
    [ -S "$SOCKET" ] && sx_call status >/dev/null 2>&1 && break
    sleep 0.1
done
if sx_call status >"$WORK/status.json" 2>&1; then
    pass "daemon answers status over its Unix socket ($(jq -r '"version \(.version)"' "$WORK/status.json"))"
else
    abort "scriptexecd did not answer status on $SOCKET within 60 s" "$WORK/daemon.log"
fi

cat >"$WORK/smoke.sh" <<'EOF'
#!/bin/sh
echo "smoke on $(uname -m): $1"
EOF
run_smoke() {
    sx_script_set arm64-smoke "$WORK/smoke.sh" "arm64 smoke test" &&
        sx_instance_set arm64-smoke once "hello" &&
        ID=$(sx_start arm64-smoke once) &&
        echo "execution $ID" &&
        sx_wait "$ID" 60 >"$WORK/execution.json" &&
        jq -e '.state == "finished" and .exit_code == 0' "$WORK/execution.json" &&
        sx_output "$ID" >"$WORK/output.txt" &&
        grep -qx 'smoke on .*: hello' "$WORK/output.txt"
}
ID=''
if run_smoke >"$WORK/run.log" 2>&1; then
    pass "script_set, script_instance_set, script_start, script_execution_get (finished, exit 0), output: $(cat "$WORK/output.txt")"
else
    cat "$WORK/execution.json" "$WORK/output.txt" >>"$WORK/run.log" 2>/dev/null
    fail "store and run a script, read its execution" "$WORK/run.log"
fi

# qemu-user runs glibc's posix_spawn as a plain fork, so it returns before the child's exec: the held spawn must
# still find each child at its gate and let it run (event 3070 at start), run after run.
REPEATS=0
for _ in $(seq 1 10); do
    RID=$(sx_start arm64-smoke once 2>>"$WORK/repeat.log") &&
        sx_wait "$RID" 60 >"$WORK/repeat.json" 2>>"$WORK/repeat.log" &&
        jq -e '.state == "finished" and .exit_code == 0' "$WORK/repeat.json" >>"$WORK/repeat.log" &&
        REPEATS=$((REPEATS + 1))
done
if grep -q '\[event 3070\]' "$WORK/daemon.log" && [ "$REPEATS" -eq 10 ]; then
    pass "held spawn under qemu-user (posix_spawn without vfork semantics): 10 more runs finished with exit 0"
else
    grep -h 'event 30[67][0-9]' "$WORK/daemon.log" >>"$WORK/repeat.log"
    fail "held spawn under qemu-user: $REPEATS of 10 runs finished with exit 0" "$WORK/repeat.log"
fi

if "${QEMU[@]}" "$BIN_DIR/scriptexec" --socket "$SOCKET" status >"$WORK/cli-status.txt" 2>&1; then
    pass "arm64 CLI: scriptexec status under qemu"
else
    fail "arm64 CLI: scriptexec status under qemu (exit $?)" "$WORK/cli-status.txt"
fi
if [ -n "$ID" ] && "${QEMU[@]}" "$BIN_DIR/scriptexec" --socket "$SOCKET" logs "$ID" >"$WORK/cli-logs.txt" 2>&1 &&
    grep -qx 'smoke on .*: hello' "$WORK/cli-logs.txt"; then
    pass "arm64 CLI: scriptexec logs $ID"
else
    fail "arm64 CLI: scriptexec logs ${ID:-?}" "$WORK/cli-logs.txt"
fi

kill -TERM "$DAEMON_PID"
for _ in $(seq 1 300); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$DAEMON_PID" 2>/dev/null
if wait "$DAEMON_PID"; then
    pass "daemon stops on SIGTERM with status 0"
else
    fail "daemon stops on SIGTERM with status 0 (status $?)" "$WORK/daemon.log"
fi
DAEMON_PID=''
