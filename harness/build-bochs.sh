#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build Bochs 3.0 from Debian trixie's source package into
# $VSM_CACHE/bochs3.  Bookworm ships Bochs 2.7, which keeps SPP-granted
# writes writable in its TLB; 3.0 fixes that, emulates MBEC in its
# "tigerlake" model, and has a "ryzen" model with SVM, NRIPS and
# FLUSHBYASID.  Only the source is taken from trixie: the deb-src entry
# lives in a sources file of the harness's own, never in debian.sources.
. "$(dirname "$0")/lib.sh"

SRC_NAME=bochs
SRC_VERSION=3.0+dfsg-1
ORIG=bochs_3.0+dfsg.orig.tar.xz
PREFIX=$BOCHS3_DIR
BUILD=$VSM_CACHE/bochs3-build
APT_SOURCES=/etc/apt/sources.list.d/kvm-vsm-harness.sources

# Every option that changes what is built is in the stamp.  No debugger
# (it slows every instruction) and no GUI: the nogui display needs no
# terminal.  AVX, EVEX, CET and PKEYS complete the tigerlake model.
CONFIGURE_ARGS="--with-nogui --enable-x86-64 --enable-vmx=2
	--enable-svm --enable-smp --enable-cpu-level=6 --enable-avx
	--enable-evex --enable-cet --enable-protection-keys --enable-pci
	--enable-a20-pin --enable-fpu --enable-cdrom --enable-all-optimizations
	--enable-repeat-speedups --enable-monitor-mwait --disable-plugins
	--disable-docbook"
PATCHES=$(find "$REPO/harness/bochs" -name '*.patch' | LC_ALL=C sort)
# shellcheck disable=SC2086
stamp=$({ echo "$SRC_VERSION $CONFIGURE_ARGS"; cat $PATCHES; } | sha256sum | cut -d' ' -f1)
[ "$(cat "$STATE/bochs3" 2>/dev/null)" = "$stamp" ] && [ -x "$PREFIX/bin/bochs" ] && exit 0

# orig_sha256: the tarball's SHA-256 from the Sources index, empty if
# the index does not know this version.
orig_sha256() {
	apt-cache showsrc "$SRC_NAME" 2>/dev/null |
		awk -v v="$SRC_VERSION" -v f="$ORIG" '
			/^Version:/ {ok = ($2 == v)}
			/^Checksums-Sha256:/ {c = 1; next}
			/^[^ ]/ {c = 0}
			ok && c && $3 == f {print $1; exit}'
}

if [ -z "$(orig_sha256)" ]; then
	log "adding trixie deb-src to $APT_SOURCES"
	as_root tee "$APT_SOURCES" > /dev/null <<EOF
# kvm-vsm harness: source packages only (Bochs 3.0), never binaries.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	as_root apt-get update -q > /dev/null
fi

dl=$VSM_CACHE/bochs3-src
mkdir -p "$dl" "$STATE"
# The .dsc itself is missing from the mirror (404) while the tarballs are
# there, so apt-get source cannot finish; the tarball is checked against
# the signed Sources index instead.
want=$(orig_sha256)
[ -n "$want" ] || die "no checksum for $ORIG in the Sources index"
if [ "$(sha256sum "$dl/$ORIG" 2>/dev/null | cut -d' ' -f1)" != "$want" ]; then
	log "downloading $ORIG"
	(cd "$dl" && apt-get source --download-only -q "$SRC_NAME=$SRC_VERSION" \
		> /dev/null 2>&1 || true)
	[ "$(sha256sum "$dl/$ORIG" 2>/dev/null | cut -d' ' -f1)" = "$want" ] ||
		die "$ORIG did not download, or its checksum is wrong"
fi

log "building Bochs $SRC_VERSION into $PREFIX"
rm -rf "$BUILD" "$PREFIX"
mkdir -p "$BUILD"
tar -C "$BUILD" --strip-components=1 -xf "$dl/$ORIG"
cd "$BUILD"
# harness/bochs/*.patch: fixes to Bochs itself, each saying why.
for p in $PATCHES; do
	patch -s -p1 < "$p"
done
# shellcheck disable=SC2086
CC="ccache gcc" CXX="ccache g++" CFLAGS="-O2" CXXFLAGS="-O2" \
	./configure -q --prefix="$PREFIX" $CONFIGURE_ARGS > configure.log
make -s -j"$JOBS" > make.log 2>&1 || { tail -30 make.log; die "Bochs build failed"; }
make -s install > /dev/null 2>&1
echo "$stamp" > "$STATE/bochs3"
