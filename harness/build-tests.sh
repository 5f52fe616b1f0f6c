#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the upstream x86 KVM selftests, which include the VSM ones
# (x86_64/hyperv_vsm_*), statically linked so the initramfs needs no
# libraries, against the uapi headers of the kernel under test.  Then
# build this project's own VSM programs (tools/vsm: the "make run"
# demonstration and the benchmark), which are not selftests, against the
# selftests' library.
. "$(dirname "$0")/lib.sh"

KSELF=$TREE/tools/testing/selftests/kvm
make -s -C "$TREE" O="$KOBJ" HOSTCC="ccache gcc" headers
mkdir -p "$TOBJ"
# gcc names the objects in the .d files by a relative path that make does
# not match with its absolute OUTPUT targets, so a changed VSM header would
# not rebuild what includes it: drop the objects older than either.
for h in "$KSELF"/include/x86_64/hyperv_vsm.h "$KSELF"/include/x86_64/hyperv.h; do
	find "$TOBJ" -name '*.o' ! -newer "$h" -delete
done
log "building KVM selftests"
make -s -C "$KSELF" -j"$JOBS" \
	OUTPUT="$TOBJ" CC="ccache gcc" EXTRA_CFLAGS=-static \
	KHDR_INCLUDES="-isystem $KOBJ/usr/include"

# The flags are the selftests' own (their Makefile), so that these
# programs see the library exactly as the tests do.
log "building the VSM programs (tools/vsm)"
mkdir -p "$TOBJ/vsm"
cflags=(-Wall -Wstrict-prototypes -Wuninitialized -O2 -g -std=gnu99
	-DCONFIG_64BIT -U_FORTIFY_SOURCE -fno-builtin-memcmp
	-fno-builtin-memcpy -fno-builtin-memset -fno-builtin-strnlen
	-fno-stack-protector -fno-PIE -fno-strict-aliasing -march=x86-64-v2
	-I"$TREE/tools/include" -I"$TREE/tools/arch/x86/include"
	-I"$KSELF/include" -I"$KSELF/include/x86_64" -I"$KSELF/.."
	-I"$REPO/tools/vsm"
	-isystem "$KOBJ/usr/include")
libobjs=("$TOBJ"/lib/*.o "$TOBJ"/lib/x86_64/*.o)
for src in "$REPO"/tools/vsm/*.c; do
	prog=$TOBJ/vsm/$(basename "$src" .c)
	ccache gcc "${cflags[@]}" -c "$src" -o "$prog.o"
	gcc -static -pthread -no-pie -o "$prog" "$prog.o" "${libobjs[@]}" -ldl
done
