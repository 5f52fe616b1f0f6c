#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's test command: build, then run the QEMU suite (the upstream
# regression list plus the VSM tests), then QEMU again with kvm.tdp_mmu=N,
# where VSM must be refused; side by side, the Bochs subset, then Bochs
# again with kvm_intel.spp=0 for the tests whose software path on VMX is
# cross-checked against SPP; then judge all logs.  Exit status is non-zero
# on any failure.
. "$(dirname "$0")/lib.sh"

mkdir -p "$OUT"
qlist=$OUT/qemu.list
cat "$REPO/tests/regression.list" "$REPO/tests/vtl-qemu.list" > "$qlist"
blist=$REPO/tests/bochs.list
swlist=$REPO/tests/bochs-sw.list
shadowlist=$REPO/tests/qemu-shadow-mmu.list

# boot_twice RUNNER LIST LOG ARG LIST2 LOG2: one machine's two boots, one
# after the other (two cores: one for QEMU, one for Bochs): LIST, then LIST2
# with ARG added to the kernel command line.  Fails if either failed.
boot_twice() {
	local s=0
	"$REPO/harness/$1" "$2" "$3" || s=1
	KERNEL_CMDLINE="${KERNEL_CMDLINE:-} $4" "$REPO/harness/$1" "$5" "$6" || s=1
	return $s
}

rm -f "$OUT/qemu.log" "$OUT/qemu-shadow-mmu.log" "$OUT/bochs.log" "$OUT/bochs-sw.log"
t0=$(date +%s)
# No machine runs past this (list_budget), so that a hang fails the run
# inside CI's time instead of ending it: the suites take about 15 minutes.
export VSM_DEADLINE=$((t0 + ${VSM_SUITE_MINUTES:-45} * 60))
boot_twice run-qemu.sh "$qlist" "$OUT/qemu.log" \
	kvm.tdp_mmu=N "$shadowlist" "$OUT/qemu-shadow-mmu.log" &
qpid=$!
if [ "${SKIP_BOCHS:-0}" != 1 ]; then
	boot_twice run-bochs.sh "$blist" "$OUT/bochs.log" \
		vsm.kvm_opts=spp=0 "$swlist" "$OUT/bochs-sw.log" &
	bpid=$!
fi
status=0
wait $qpid || status=1
echo "qemu suite: $(( $(date +%s) - t0 ))s (log: $OUT/qemu.log)"
specs=("qemu:$qlist:$OUT/qemu.log" "qemu-shadow-mmu:$shadowlist:$OUT/qemu-shadow-mmu.log")
if [ "${SKIP_BOCHS:-0}" != 1 ]; then
	wait "$bpid" || status=1
	echo "bochs suite: $(( $(date +%s) - t0 ))s (log: $OUT/bochs.log)"
	specs+=("bochs:$blist:$OUT/bochs.log" "bochs-sw:$swlist:$OUT/bochs-sw.log")
fi
"$REPO/harness/results.py" --allow "$REPO/tests/allowlist" "${specs[@]}" || status=1
[ $status = 0 ] || echo "FAILED (logs in $OUT)"
exit $status
