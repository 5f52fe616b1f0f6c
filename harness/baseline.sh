#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate tests/regression.list: build the kernel and selftests with no
# patch series (a tree of its own under $VSM_CACHE/baseline), run every
# upstream x86 KVM selftest in QEMU, and list those that pass.  Each gets
# a timeout of three times its measured run time, at least 30 s.  Tests
# named in tests/regression-args run with those arguments, here and in
# every later run.  Also records upstream's own sparse/W=1 diagnostics in
# tests/check-baseline.txt, which make check then tolerates.
export VSM_BASELINE=1
. "$(dirname "$0")/lib.sh"
H=$REPO/harness
tmo=${BASELINE_TIMEOUT:-300}

"$H/assemble.sh"
"$H/build-kernel.sh"
"$H/build-tests.sh"

mkdir -p "$OUT"
list=$OUT/all.list
make -s -C "$TREE/tools/testing/selftests/kvm" OUTPUT="$TOBJ" \
	-f Makefile -f <(printf 'vsm-print-tests:\n\t@echo $(TEST_GEN_PROGS)\n') \
	vsm-print-tests | tr ' ' '\n' | sed "s|^$TOBJ/||" | grep . |
	awk -v t="$tmo" 'NR == FNR { if (!/^#/ && NF) { a = $2; for (i = 3; i <= NF; i++)
				a = a " " $i; args[$1] = a }; next }
		{ print $1, t, args[$1] }' "$REPO/tests/regression-args" - > "$list"
log "running $(wc -l < "$list") upstream selftests on the unpatched kernel"
QEMU_SMP=${QEMU_SMP:-2} "$H/run-qemu.sh" "$list" "$OUT/all.log"
"$H/results.py" -v "qemu:$list:$OUT/all.log" | tee "$OUT/all.results" || true

{
	echo "# Upstream x86 KVM selftests that pass on unpatched $KSRC_PKG $(ksrc_version)"
	echo "# in the QEMU runner (regenerate: make baseline).  Fields: test, timeout (s), args."
	awk 'NR == FNR { if ($1 != "#") { a = ""; for (i = 3; i <= NF; i++) a = a " " $i; args[$1] = a }; next }
	     $1 == "PASS" && ($2 in args) { s = $3; sub(/s$/, "", s); t = int(s * 3 + 1);
		if (t < 30) t = 30; print $2, t args[$2] }' "$list" "$OUT/all.results"
} > "$REPO/tests/regression.list"
log "tests/regression.list: $(grep -vc '^#' "$REPO/tests/regression.list") tests"
RECORD_CHECK_BASELINE=1 "$H/check.sh"
