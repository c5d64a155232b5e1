# shellcheck shell=bash
# Shared by the scripts in contrib/packaging (sourced, not run): PASS/FAIL counting in the style of
# contrib/test-contrib.sh, quiet idempotent apt installs, and the native publish of scriptexecd and scriptexec.
# The sourcing script sets WORK (a scratch directory) before calling anything here.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PACKAGING=$ROOT/contrib/packaging
PASSED=0 FAILED=0
START=$SECONDS

log() { printf "== [%3ds] %s\n" "$((SECONDS - START))" "$*"; }

pass() { PASSED=$((PASSED + 1)); printf 'PASS: %s\n' "$1"; }

fail() {
    FAILED=$((FAILED + 1))
    printf 'FAIL: %s\n' "$1"
    if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/    | /' "$2" | tail -n 40; fi
}

# check NAME OUTPUT-FILE COMMAND...: runs COMMAND (stdout+stderr to OUTPUT-FILE); PASS if it exits 0.
check() {
    local name=$1 out=$2
    shift 2
    if "$@" >"$out" 2>&1; then pass "$name"; else fail "$name (exit $?)" "$out"; fi
}

# abort NAME [LOG]: a failure the rest cannot go on without; the EXIT trap prints the totals.
abort() {
    fail "$1" "${2:-}"
    exit 1
}

# ---- apt ----
# Packages are installed only when dpkg does not already have them, quietly; one `apt-get update` at most.
APT_UPDATED=0
dpkg_has() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

apt_install() {
    local missing=() pkg
    for pkg in "$@"; do dpkg_has "$pkg" || missing+=("$pkg"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || abort "missing ${missing[*]} and not root: apt-get install ${missing[*]}"
    if [ "$APT_UPDATED" = 0 ]; then
        apt-get update -qq >>"$WORK/apt.log" 2>&1 || abort "apt-get update" "$WORK/apt.log"
        APT_UPDATED=1
    fi
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$WORK/apt.log" 2>&1 ||
        abort "apt-get install ${missing[*]}" "$WORK/apt.log"
}

# Debian architecture <-> .NET runtime identifier <-> GNU triplet.
rid_of() { case $1 in amd64) echo linux-x64 ;; arm64) echo linux-arm64 ;; *) return 1 ;; esac; }
triplet_of() { case $1 in amd64) echo x86_64-linux-gnu ;; arm64) echo aarch64-linux-gnu ;; *) return 1 ;; esac; }

# publish_prerequisites ARCH: what `dotnet publish -p:PublishAot=true` needs to link for ARCH on this host.
# NativeAOT links with clang; the daemon links Debian's static libsqlite3.a (src/ScriptExec.Daemon/StaticSqlite.targets). For a
# foreign ARCH: lld links, llvm-objcopy (with clang) strips, and the target's libc, zlib and SQLite come from
# Debian's multiarch packages, so the sysroot is / itself.
publish_prerequisites() {
    local arch=$1 host
    host=$(dpkg --print-architecture)
    if [ "$arch" = "$host" ]; then
        apt_install clang zlib1g-dev libsqlite3-dev
        return
    fi
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        log "dpkg --add-architecture $arch"
        dpkg --add-architecture "$arch" || abort "dpkg --add-architecture $arch"
        APT_UPDATED=0
        dpkg_has "libc6-dev:$arch" || { apt-get update -qq >>"$WORK/apt.log" 2>&1 || abort "apt-get update" "$WORK/apt.log"; APT_UPDATED=1; }
    fi
    apt_install clang lld llvm "libc6-dev:$arch" "zlib1g-dev:$arch" "libsqlite3-dev:$arch" "libgcc-12-dev:$arch"
}

# publish ARCH OUT-DIR: native scriptexecd and scriptexec for ARCH into OUT-DIR (one file each; the .dbg
# symbol files stay in obj/). Extra `dotnet publish` arguments come from SX_PUBLISH_ARGS (word-split), e.g.
# SX_PUBLISH_ARGS=-p:TreatWarningsAsErrors=false while a project still has trim/AOT warnings.
publish() {
    local arch=$1 out=$2 rid project name extra=()
    rid=$(rid_of "$arch") || abort "unknown architecture $arch (amd64 or arm64)"
    command -v dotnet >/dev/null || abort "dotnet is not installed"
    publish_prerequisites "$arch"
    [ "$arch" != "$(dpkg --print-architecture)" ] && extra+=(-p:SysRoot=/ -p:LinkerFlavor=lld)
    # shellcheck disable=SC2206 # word splitting wanted
    extra+=(${SX_PUBLISH_ARGS:-})
    mkdir -p "$out"
    for project in ScriptExec.Daemon:scriptexecd ScriptExec.Cli:scriptexec; do
        name=${project#*:}
        project=${project%%:*}
        log "dotnet publish src/$project -r $rid (NativeAOT)"
        rm -rf "$WORK/publish-$name"
        if ! dotnet publish "$ROOT/src/$project" -r "$rid" -c Release -nologo "${extra[@]}" \
            -o "$WORK/publish-$name" >"$WORK/publish-$name.log" 2>&1; then
            grep -E ' error |error [A-Z]+[0-9]+' "$WORK/publish-$name.log" | sort -u | head -n 20 >"$WORK/publish-$name.errors"
            abort "dotnet publish src/$project -r $rid" "$WORK/publish-$name.errors"
        fi
        [ -x "$WORK/publish-$name/$name" ] || abort "dotnet publish src/$project: no native $name in the output"
        install -m 0755 "$WORK/publish-$name/$name" "$out/$name"
    done
    # Anything else native beside the binaries would be needed at run time: the package would miss it.
    local extra_native
    extra_native=$(find "$WORK/publish-scriptexecd" "$WORK/publish-scriptexec" -name '*.so*' -printf '%f ')
    [ -z "$extra_native" ] || abort "publish output has shared libraries beside the binaries: $extra_native"
}
