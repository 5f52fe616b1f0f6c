#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-some.sh qemu|bochs TEST...: the quick loop; run the named selftests
# (paths as in tests/*.list, e.g. x86_64/hyperv_vsm_smoke_test) on one machine.
. "$(dirname "$0")/lib.sh"

machine=$1
shift
[ $# -gt 0 ] || die "name the tests: make $machine T='x86_64/hyperv_vsm_smoke_test ...'"
mkdir -p "$OUT"
list=$OUT/some-$machine.list
for t in "$@"; do
	# Reuse the timeout a list gives the test, else two minutes.
	line=$(cat "$REPO"/tests/*.list | awk -v t="$t" '$1 == t' | head -n1)
	echo "${line:-$t 120}"
done > "$list"
QEMU_SMP=${QEMU_SMP:-2} "$REPO/harness/run-$machine.sh" "$list" "$OUT/some-$machine.log"
"$REPO/harness/results.py" -v --allow "$REPO/tests/allowlist" \
	"$machine:$list:$OUT/some-$machine.log"
