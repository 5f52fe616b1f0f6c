#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the upstream x86 KVM selftests and the VSM ones (vtl/), statically
# linked so the initramfs needs no libraries, against the uapi headers of
# the kernel under test.
. "$(dirname "$0")/lib.sh"

make -s -C "$TREE" O="$KOBJ" HOSTCC="ccache gcc" headers
mkdir -p "$TOBJ"
# gcc names the objects in the .d files by a relative path that make does
# not match with its absolute OUTPUT targets, so a changed VSM test header
# would not rebuild the tests: drop the objects older than any of them.
if [ -d "$TOBJ/vtl" ]; then
	for h in "$TREE"/tools/testing/selftests/kvm/vtl/*.h; do
		find "$TOBJ/vtl" -name '*.o' ! -newer "$h" -delete
	done
fi
log "building KVM selftests"
make -s -C "$TREE/tools/testing/selftests/kvm" -j"$JOBS" \
	OUTPUT="$TOBJ" CC="ccache gcc" EXTRA_CFLAGS=-static \
	KHDR_INCLUDES="-isystem $KOBJ/usr/include"
