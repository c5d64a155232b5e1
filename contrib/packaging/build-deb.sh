#!/usr/bin/env bash
# Builds the scriptexec .deb: the NativeAOT scriptexecd and scriptexec, the systemd unit, sysusers.d and
# tmpfiles.d entries, man pages, copyright and changelog; with dpkg-deb, no debhelper, no network beyond apt.
#
#   bash contrib/packaging/build-deb.sh [--arch amd64|arm64] [--bin-dir DIR] [--out DIR]
#
# --arch     the package's architecture (default: this machine's). arm64 cross-compiles (see arm64-smoke.sh).
# --bin-dir  take scriptexecd and scriptexec from DIR instead of publishing them (publishing takes minutes).
# --out      where the .deb goes (default artifacts/packaging); its path is the last line printed.
# DEBFULLNAME/DEBEMAIL name the maintainer (default "ScriptExec contributors <scriptexec@example.org>").
# SX_PUBLISH_ARGS: extra `dotnet publish` arguments (see lib.sh).

set -euo pipefail

WORK=$(mktemp -d "${TMPDIR:-/tmp}/scriptexec-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=contrib/packaging/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Here any failure ends the build; the PASS/FAIL counting is test-deb.sh's.
abort() { echo "build-deb: $1" >&2; [ -n "${2:-}" ] && [ -s "$2" ] && sed 's/^/    | /' "$2" | tail -n 40 >&2; exit 1; }

ARCH=$(dpkg --print-architecture) BIN_DIR='' OUT=$ROOT/artifacts/packaging
while [ $# -gt 0 ]; do
    case $1 in
        --arch) ARCH=$2; shift 2 ;;
        --bin-dir) BIN_DIR=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        *) echo "usage: $0 [--arch amd64|arm64] [--bin-dir DIR] [--out DIR]" >&2; exit 2 ;;
    esac
done
rid_of "$ARCH" >/dev/null || abort "unknown architecture $ARCH (amd64 or arm64)"

if [ -z "$BIN_DIR" ]; then
    BIN_DIR=$ROOT/artifacts/packaging/$ARCH
    publish "$ARCH" "$BIN_DIR"
fi
for binary in scriptexecd scriptexec; do [ -x "$BIN_DIR/$binary" ] || abort "$BIN_DIR/$binary is missing"; done

PACKAGE=scriptexec
UPSTREAM=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$ROOT/Directory.Build.props" | head -n 1)
VERSION=${UPSTREAM:?no <Version> in Directory.Build.props}-1
MAINTAINER="${DEBFULLNAME:-ScriptExec contributors} <${DEBEMAIL:-scriptexec@example.org}>"
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
# The changelog's date is the commit's: the same tree gives the same package.
DATE=$(git -C "$ROOT" log -1 --format=%aD 2>/dev/null || date -R)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}

STAGE=$WORK/$PACKAGE
DOC=$STAGE/usr/share/doc/$PACKAGE
log "staging $PACKAGE $VERSION ($ARCH) from $BIN_DIR"
install -d "$STAGE/DEBIAN" "$STAGE/usr/sbin" "$STAGE/usr/bin" "$STAGE/lib/systemd/system" "$STAGE/usr/lib/sysusers.d" \
    "$STAGE/usr/lib/tmpfiles.d" "$STAGE/usr/share/man/man1" "$STAGE/usr/share/man/man8" "$DOC"
install -m 0755 "$BIN_DIR/scriptexecd" "$STAGE/usr/sbin/scriptexecd"
install -m 0755 "$BIN_DIR/scriptexec" "$STAGE/usr/bin/scriptexec"
# The linker's .comment section is of no use at run time (lintian: binary-has-unneeded-section); llvm-objcopy
# handles both architectures. Not on a file with data past its section headers (a .NET single-file bundle):
# objcopy would drop it.
apt_install llvm
for binary in "$STAGE/usr/sbin/scriptexecd" "$STAGE/usr/bin/scriptexec"; do
    if python3 -c 'import os, struct, sys
f = open(sys.argv[1], "rb").read(64)
shoff, = struct.unpack_from("<Q", f, 0x28); shentsize, shnum = struct.unpack_from("<HH", f, 0x3A)
sys.exit(0 if os.path.getsize(sys.argv[1]) == shoff + shentsize * shnum else 1)' "$binary"; then
        llvm-objcopy --remove-section=.comment "$binary"
    fi
done
install -d "$STAGE/usr/share/lintian/overrides"
install -m 0644 "$PACKAGING/deb/lintian-overrides" "$STAGE/usr/share/lintian/overrides/$PACKAGE"
install -m 0644 "$PACKAGING/deb/scriptexec.sysusers" "$STAGE/usr/lib/sysusers.d/scriptexec.conf"
install -m 0644 "$PACKAGING/deb/scriptexec.tmpfiles" "$STAGE/usr/lib/tmpfiles.d/scriptexec.conf"
for page in scriptexec.1 scriptexecd.8; do
    gzip -9n <"$PACKAGING/deb/$page" >"$STAGE/usr/share/man/man${page##*.}/$page.gz"
done
for script in postinst prerm postrm; do install -m 0755 "$PACKAGING/deb/$script" "$STAGE/DEBIAN/$script"; done

# ---- The unit: systemd/scriptexecd.service, adapted to the package ----
# Each edit is checked: if the source unit changes under it, the build stops instead of shipping a stale unit.
UNIT=$STAGE/lib/systemd/system/scriptexecd.service
python3 - "$ROOT/systemd/scriptexecd.service" "$UNIT" <<'EOF'
import sys
src, dst = sys.argv[1], sys.argv[2]
unit = open(src).read()

def edit(old, new):
    global unit
    if unit.count(old) != 1:
        sys.exit(f"build-deb: systemd/scriptexecd.service no longer has exactly one {old!r}: update build-deb.sh")
    unit = unit.replace(old, new)

edit("# Framework-dependent `dotnet publish` output; the apphost is named scriptexecd.",
     "# The package's native binary (NativeAOT, one file).")
edit("ExecStart=/usr/lib/scriptexec/scriptexecd ", "ExecStart=/usr/sbin/scriptexecd ")
edit("Description=ScriptExec script-execution daemon\n",
     "Description=ScriptExec script-execution daemon\nDocumentation=man:scriptexecd(8)\n")
# The socket's directory comes from tmpfiles.d (root:scriptexec 0750, see sysusers.d/scriptexec.conf):
# RuntimeDirectory= would re-own it root:root at every start, locking the group out.
edit("""RuntimeDirectory=scriptexec
RuntimeDirectoryMode=0750
""", """# The package makes it with tmpfiles.d/scriptexec.conf instead of RuntimeDirectory=, as root:scriptexec
# (RuntimeDirectory= would re-own it root:root at each start): members of the group scriptexec may connect
# (the socket gets the same group), and still need a role from unix_roles to call anything.
Environment=SCRIPTEXEC_SOCKET_GROUP=scriptexec
""")
edit("""# Scripts have no business rewriting cgroups behind systemd's back (/sys/fs/cgroup read-only).
ProtectControlGroups=yes
""", """# The service's cgroup subtree is the daemon's: each run gets a cgroup of its own below it, which stop and
# recovery kill whole (with whatever a script double-forked away). That needs the subtree delegated and
# writable, so cgroups are not made read-only (ProtectControlGroups=yes would leave the daemon without them).
Delegate=yes
ProtectControlGroups=no
""")
for required in ("LimitNOFILE=", "Delegate=yes", "Type=notify"):
    if required not in unit:
        sys.exit(f"build-deb: the packaged unit has no {required}")
open(dst, "w").write(unit)
EOF
chmod 0644 "$UNIT"

# ---- Documentation ----
cat >"$DOC/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ScriptExec
Comment: The binaries are NativeAOT builds: besides ScriptExec itself they contain the .NET runtime and
 libraries (MIT), the NuGet libraries the projects reference (see Directory.Packages.props: StreamJsonRpc,
 Nerdbank.Streams, MessagePack (MIT); Dapper, SQLitePCLRaw (Apache-2.0); Cronos (MIT)) and SQLite, linked
 statically from Debian's libsqlite3-dev (public domain).

Files: *
Copyright: $(sed -n 's/^Copyright (c) //p' "$ROOT/LICENSE" | head -n 1)
License: Expat
$(sed -n '/^Permission is hereby granted/,$p' "$ROOT/LICENSE" | sed -e 's/^[[:space:]]*$/./' -e 's/^/ /')
EOF
cat >"$WORK/changelog" <<EOF
$PACKAGE ($VERSION) unstable; urgency=medium

  * Built from the ScriptExec repository, commit $COMMIT: the NativeAOT
    scriptexecd and scriptexec, the systemd unit, sysusers.d and tmpfiles.d.

 -- $MAINTAINER  $DATE
EOF
gzip -9n <"$WORK/changelog" >"$DOC/changelog.Debian.gz"
chmod 0644 "$DOC/copyright" "$DOC/changelog.Debian.gz" "$STAGE"/usr/share/man/man*/*

# ---- DEBIAN/control ----
# Depends from what the binaries link (dpkg-shlibdeps reads the libc6 symbols file of ARCH).
mkdir -p "$WORK/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PACKAGE" "$PACKAGE" >"$WORK/shlibs/debian/control"
if ! SHLIBS=$(cd "$WORK/shlibs" && DEB_HOST_ARCH=$ARCH dpkg-shlibdeps -O "$STAGE/usr/sbin/scriptexecd" "$STAGE/usr/bin/scriptexec" 2>"$WORK/shlibdeps.log"); then
    abort "dpkg-shlibdeps" "$WORK/shlibdeps.log"
fi
DEPENDS=${SHLIBS#shlibs:Depends=}
INSTALLED_SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat >"$STAGE/DEBIAN/control" <<EOF
Package: $PACKAGE
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_SIZE
Depends: $DEPENDS
Section: admin
Priority: optional
Description: script-execution daemon for devices, with JSON-RPC and a CLI
 scriptexecd stores scripts and their instances, starts them manually, on a
 schedule or on a setting's change, supervises every run (process group, its
 own cgroup, stop with a grace period) and records each execution and its
 output in SQLite. Clients speak JSON-RPC 2.0 over a Unix socket or a
 WebSocket; scriptexec is the command-line client.
 .
 Both are native (NativeAOT) binaries: no .NET runtime is needed.
EOF
(cd "$STAGE" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/md5sums"

mkdir -p "$OUT"
DEB=$OUT/${PACKAGE}_${VERSION}_${ARCH}.deb
# gzip by default: xz saves ~25 % but takes minutes on a loaded 2-core machine (SX_DEB_COMPRESSION=xz for a release).
dpkg-deb --root-owner-group "-Z${SX_DEB_COMPRESSION:-gzip}" --build "$STAGE" "$DEB" >"$WORK/dpkg-deb.log" 2>&1 || abort "dpkg-deb --build" "$WORK/dpkg-deb.log"
log "built $(du -h "$DEB" | cut -f1) package"
echo "$DEB"
