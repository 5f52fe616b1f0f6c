#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkinitramfs.sh LIST OUT: pack busybox, harness/init and the selftests named
# in LIST (lines "<test> <timeout> [args]", paths relative to $TOBJ) into a
# gzip'd cpio at OUT.  Only listed tests go in: a smaller image boots faster,
# which matters most under Bochs.
. "$(dirname "$0")/lib.sh"

list=$1 out=$2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,tests,proc,sys,dev,tmp}
cp /bin/busybox "$stage/bin/busybox"
cp "$REPO/harness/init" "$stage/init"
cp -a "$KOBJ/modules-staged/lib" "$stage/lib"
grep -Ev '^[[:space:]]*(#|$)' "$list" > "$stage/tests.list" || true
while read -r name _; do
	[ -x "$TOBJ/$name" ] || die "test $name is not built (looked in $TOBJ)"
	mkdir -p "$stage/tests/$(dirname "$name")"
	cp "$TOBJ/$name" "$stage/tests/$name"
done < "$stage/tests.list"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
