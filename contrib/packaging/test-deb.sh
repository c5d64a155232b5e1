#!/usr/bin/env bash
# Builds the scriptexec .deb, checks it with lintian, installs it with dpkg -i, starts the INSTALLED daemon
# the way its unit does (systemd need not be PID 1), talks to it with the installed CLI over the Unix socket
# and the WebSocket, runs a script, then removes and purges the package.
#
#   bash contrib/packaging/test-deb.sh [--bin-dir DIR | --deb FILE]
#
# --bin-dir DIR  package scriptexecd and scriptexec from DIR (skips the native publish, which takes minutes)
# --deb FILE     test this package instead of building one
# Installs with apt-get, only what is missing: lintian, socat, jq (and the publish prerequisites, lib.sh).
# Needs root (dpkg -i). Refuses to run where scriptexec is installed and this script did not install it.
# Prints PASS/FAIL per check and "packaging: N passed, N failed" at the end; exits 1 if anything failed.

set -u -o pipefail

WORK=$(mktemp -d "${TMPDIR:-/tmp}/scriptexec-pkg.XXXXXX")
# shellcheck source=contrib/packaging/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN_DIR='' DEB=''
while [ $# -gt 0 ]; do
    case $1 in
        --bin-dir) BIN_DIR=$2; shift 2 ;;
        --deb) DEB=$2; shift 2 ;;
        *) echo "usage: $0 [--bin-dir DIR | --deb FILE]" >&2; exit 2 ;;
    esac
done

DAEMON_PID='' INSTALLED=0
UNIT=/lib/systemd/system/scriptexecd.service
SOCKET=/run/scriptexec/scriptexecd.sock
stop_daemon() {
    [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null || return 0
    kill -TERM "$DAEMON_PID"
    for _ in $(seq 1 150); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null
}
cleanup() {
    local status=$?
    stop_daemon
    [ -n "$DAEMON_PID" ] && wait "$DAEMON_PID" 2>/dev/null
    if [ "$INSTALLED" = 1 ]; then dpkg -P scriptexec >>"$WORK/dpkg.log" 2>&1; fi
    if [ "$FAILED" -gt 0 ] && [ -s "$WORK/daemon.log" ]; then
        echo "-- daemon log (first 5 and last 25 lines):"
        { head -n 5 "$WORK/daemon.log"; echo ...; tail -n 25 "$WORK/daemon.log"; } | sed 's/^/    | /'
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
    echo "packaging checks took $((SECONDS - START)) s"
    echo "packaging: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && [ "$status" -eq 0 ] || exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || abort "needs root (dpkg -i)"
if dpkg_has scriptexec; then abort "scriptexec is already installed here: this test installs and purges it (dpkg -P scriptexec first)"; fi
apt_install lintian socat jq

# ---- Build ----
if [ -z "$DEB" ]; then
    args=(--out "$WORK")
    [ -n "$BIN_DIR" ] && args+=(--bin-dir "$BIN_DIR")
    log "bash contrib/packaging/build-deb.sh ${args[*]}"
    if bash "$PACKAGING/build-deb.sh" "${args[@]}" >"$WORK/build.log" 2>&1; then
        DEB=$(tail -n 1 "$WORK/build.log")
        pass "build-deb.sh built $(basename "$DEB") ($(du -h "$DEB" | cut -f1))"
    else
        abort "build-deb.sh" "$WORK/build.log"
    fi
fi
[ -f "$DEB" ] || abort "no package at $DEB"

dpkg-deb -c "$DEB" | awk '{print $1, $2, $6}' >"$WORK/contents.txt"
missing=()
for path in ./usr/sbin/scriptexecd ./usr/bin/scriptexec ./lib/systemd/system/scriptexecd.service \
    ./usr/lib/sysusers.d/scriptexec.conf ./usr/lib/tmpfiles.d/scriptexec.conf ./usr/share/doc/scriptexec/copyright \
    ./usr/share/doc/scriptexec/changelog.Debian.gz ./usr/share/man/man8/scriptexecd.8.gz ./usr/share/man/man1/scriptexec.1.gz; do
    grep -q " $path\$" "$WORK/contents.txt" || missing+=("$path")
done
if [ ${#missing[@]} -eq 0 ] && ! grep -v ' root/root ' "$WORK/contents.txt" | grep -q .; then
    pass "package holds the binaries, unit, sysusers.d, tmpfiles.d, man pages, copyright, changelog (all root:root)"
else
    echo "missing: ${missing[*]}" >>"$WORK/contents.txt"
    fail "package contents" "$WORK/contents.txt"
fi
dpkg-deb -I "$DEB" md5sums >"$WORK/md5sums.txt" 2>&1
if grep -q ' usr/sbin/scriptexecd$' "$WORK/md5sums.txt" && grep -q ' usr/bin/scriptexec$' "$WORK/md5sums.txt"; then
    pass "package has md5sums, and Depends: $(dpkg-deb -f "$DEB" Depends)"
else
    fail "package has md5sums" "$WORK/md5sums.txt"
fi

# ---- lintian ----
# Errors fail; warnings and info are listed (README explains the ones that remain).
lintian --fail-on error --info --display-level '>=pedantic' "$DEB" >"$WORK/lintian.txt" 2>&1
lintian_status=$?
tags=$(grep -c -E '^[EWIPX]: ' "$WORK/lintian.txt")
if [ "$lintian_status" -eq 0 ] && ! grep -q '^E: ' "$WORK/lintian.txt"; then
    pass "lintian: no errors ($tags other tags)"
    grep -E '^[WIPX]: ' "$WORK/lintian.txt" | sed 's/^/    | /'
else
    fail "lintian: errors (exit $lintian_status)" "$WORK/lintian.txt"
fi

# ---- Install ----
log "dpkg -i $(basename "$DEB")"
if dpkg -i "$DEB" >"$WORK/dpkg.log" 2>&1; then
    INSTALLED=1
    pass "dpkg -i"
else
    INSTALLED=1
    abort "dpkg -i" "$WORK/dpkg.log"
fi
{
    getent group scriptexec
    stat -c '%n %a %U:%G' /var/lib/scriptexec /run/scriptexec
} >"$WORK/dirs.txt" 2>&1
if getent group scriptexec >/dev/null && grep -qx '/var/lib/scriptexec 711 root:root' "$WORK/dirs.txt" &&
    grep -qx '/run/scriptexec 750 root:scriptexec' "$WORK/dirs.txt"; then
    pass "postinst: group scriptexec (sysusers.d), /var/lib/scriptexec 0711 root:root and /run/scriptexec 0750 root:scriptexec (tmpfiles.d)"
else
    fail "postinst: sysusers.d and tmpfiles.d entries applied" "$WORK/dirs.txt"
fi
if command -v systemd-analyze >/dev/null; then
    if systemd-analyze verify "$UNIT" >"$WORK/verify.log" 2>&1 && [ ! -s "$WORK/verify.log" ]; then
        pass "systemd-analyze verify $UNIT"
    else
        fail "systemd-analyze verify $UNIT" "$WORK/verify.log"
    fi
fi
if grep -q '^LimitNOFILE=' "$UNIT" && grep -qx 'Delegate=yes' "$UNIT" && grep -q '^ExecStart=/usr/sbin/scriptexecd ' "$UNIT"; then
    pass "unit runs /usr/sbin/scriptexecd with LimitNOFILE and Delegate=yes"
else
    fail "unit runs /usr/sbin/scriptexecd with LimitNOFILE and Delegate=yes" "$UNIT"
fi

# ---- Start the installed daemon as its unit would ----
# The unit's ExecStart and Environment= lines, its LimitNOFILE, as root; only the WebSocket moves to a free
# loopback port (the default 8765 may be taken on a shared machine).
read -r -a EXEC <<<"$(sed -n 's/^ExecStart=//p' "$UNIT")"
mapfile -t ENVIRONMENT < <(sed -n 's/^Environment=//p' "$UNIT")
NOFILE=$(sed -n 's/^LimitNOFILE=//p' "$UNIT")
# Raising the hard limit needs CAP_SYS_RESOURCE, which a container may not have: then the hard limit we have.
HARD=$(ulimit -Hn)
if [ "$HARD" != unlimited ] && [ "$HARD" -lt "$NOFILE" ]; then
    log "LimitNOFILE=$NOFILE is above this shell's hard limit $HARD: using $HARD"
    NOFILE=$HARD
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "starting ${EXEC[*]} --listen http://127.0.0.1:$PORT (${ENVIRONMENT[*]}, LimitNOFILE=$NOFILE)"
env "${ENVIRONMENT[@]}" prlimit "--nofile=$NOFILE:$NOFILE" -- "${EXEC[@]}" --listen "http://127.0.0.1:$PORT" >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!

export SX_SOCKET=$SOCKET SX_TIMEOUT=20
# shellcheck source=contrib/shell/scriptexec.sh
. "$ROOT/contrib/shell/scriptexec.sh"
for _ in $(seq 1 300); do
    kill -0 "$DAEMON_PID" 2>/dev/null || abort "the installed scriptexecd exited at start (its log follows)"
    [ -S "$SOCKET" ] && sx_call status >/dev/null 2>&1 && break
    sleep 0.1
done
if sx_call status >"$WORK/status.json" 2>&1; then
    pass "installed daemon answers status on $SOCKET (socat; $(jq -r '"version \(.version)"' "$WORK/status.json"))"
else
    abort "installed daemon did not answer on $SOCKET within 30 s" "$WORK/daemon.log"
fi
stat -c '%a %U:%G' "$SOCKET" >"$WORK/socket.txt" 2>&1
if grep -qx '660 root:scriptexec' "$WORK/socket.txt"; then
    pass "socket is 0660 root:scriptexec"
else
    fail "socket is 0660 root:scriptexec" "$WORK/socket.txt"
fi

# The installed CLI with its defaults: /run/scriptexec/scriptexecd.sock as root.
check "installed CLI: scriptexec status (Unix socket, default path)" "$WORK/cli-status.txt" /usr/bin/scriptexec status
check "installed CLI: scriptexec --url ws://127.0.0.1:$PORT/rpc status (WebSocket, admin.token)" "$WORK/cli-ws.txt" \
    /usr/bin/scriptexec --url "ws://127.0.0.1:$PORT/rpc" status
# shellcheck disable=SC2016 # $1 is the script's
printf '#!/bin/sh\necho "packaged: $1"\n' >"$WORK/hello.sh"
run_hello() {
    /usr/bin/scriptexec script set pkg-hello "$WORK/hello.sh" &&
        /usr/bin/scriptexec instance set pkg-hello once --args world &&
        ID=$(/usr/bin/scriptexec start pkg-hello once) &&
        echo "execution $ID" &&
        sx_wait "$ID" 30 &&
        /usr/bin/scriptexec logs "$ID" | tee "$WORK/hello.out" &&
        grep -qx 'packaged: world' "$WORK/hello.out"
}
check "installed CLI: script set, instance set, start, logs" "$WORK/cli-run.txt" run_hello

stop_daemon
if wait "$DAEMON_PID"; then pass "installed daemon stops on SIGTERM with status 0"; else fail "installed daemon stops on SIGTERM (status $?)" "$WORK/daemon.log"; fi
DAEMON_PID=''

# ---- Remove, purge ----
if dpkg -r scriptexec >>"$WORK/dpkg.log" 2>&1 && [ ! -e /usr/sbin/scriptexecd ] && [ ! -e /usr/bin/scriptexec ] && [ -d /var/lib/scriptexec ]; then
    pass "dpkg -r: binaries gone, data kept"
else
    fail "dpkg -r" "$WORK/dpkg.log"
fi
if dpkg -P scriptexec >>"$WORK/dpkg.log" 2>&1 && [ ! -e /var/lib/scriptexec ] && ! dpkg_has scriptexec; then
    INSTALLED=0
    pass "dpkg -P: data directory gone"
else
    fail "dpkg -P" "$WORK/dpkg.log"
fi
