#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's test command: build, then run the QEMU suite (the upstream
# regression list plus the VSM tests), then QEMU again with kvm.tdp_mmu=N,
# where VSM must be refused; side by side, the Bochs subset on Bochs 3.0's
# Tiger Lake (VMX, APICv, SPP), Bochs again with kvm_intel.spp=0 for the
# tests whose software path on VMX is cross-checked against SPP, and the VSM
# tests on Bochs's Ryzen (SVM with NRIPS and FLUSHBYASID, which QEMU's TCG
# lacks); then judge all logs.  Exit status is non-zero on any failure.
. "$(dirname "$0")/lib.sh"

mkdir -p "$OUT"
qlist=$OUT/qemu.list
cat "$REPO/tests/regression.list" "$REPO/tests/vtl-qemu.list" > "$qlist"
blist=$REPO/tests/bochs.list
swlist=$REPO/tests/bochs-sw.list
shadowlist=$REPO/tests/qemu-shadow-mmu.list

ryzenlist=$REPO/tests/bochs-ryzen.list

# Two lanes, one per core, each booting its machines one after another:
# QEMU, then QEMU with the shadow MMU (about 13 minutes), and Bochs's Tiger
# Lake with SPP, without SPP, then Bochs's Ryzen (about 9).  A lane fails
# if any of its boots failed.
qemu_lane() {
	local s=0
	"$REPO/harness/run-qemu.sh" "$qlist" "$OUT/qemu.log" || s=1
	KERNEL_CMDLINE="${KERNEL_CMDLINE:-} kvm.tdp_mmu=N" \
		"$REPO/harness/run-qemu.sh" "$shadowlist" "$OUT/qemu-shadow-mmu.log" || s=1
	return $s
}

bochs_lane() {
	local s=0
	"$REPO/harness/run-bochs.sh" "$blist" "$OUT/bochs.log" || s=1
	KERNEL_CMDLINE="${KERNEL_CMDLINE:-} vsm.kvm_opts=spp=0" \
		"$REPO/harness/run-bochs.sh" "$swlist" "$OUT/bochs-sw.log" || s=1
	BOCHS_CPU=ryzen "$REPO/harness/run-bochs.sh" "$ryzenlist" "$OUT/bochs-ryzen.log" || s=1
	return $s
}

rm -f "$OUT/qemu.log" "$OUT/qemu-shadow-mmu.log" "$OUT/bochs.log" "$OUT/bochs-sw.log" \
	"$OUT/bochs-ryzen.log"
t0=$(date +%s)
# No machine runs past this (list_budget), so that a hang fails the run
# inside CI's time instead of ending it: the suites take about 15 minutes.
export VSM_DEADLINE=$((t0 + ${VSM_SUITE_MINUTES:-45} * 60))
qemu_lane &
qpid=$!
if [ "${SKIP_BOCHS:-0}" != 1 ]; then
	bochs_lane &
	bpid=$!
fi
status=0
wait $qpid || status=1
echo "qemu suite: $(( $(date +%s) - t0 ))s (log: $OUT/qemu.log)"
specs=("qemu:$qlist:$OUT/qemu.log" "qemu-shadow-mmu:$shadowlist:$OUT/qemu-shadow-mmu.log")
if [ "${SKIP_BOCHS:-0}" != 1 ]; then
	wait "$bpid" || status=1
	echo "bochs suite: $(( $(date +%s) - t0 ))s (log: $OUT/bochs.log)"
	specs+=("bochs:$blist:$OUT/bochs.log" "bochs-sw:$swlist:$OUT/bochs-sw.log"
		"bochs-ryzen:$ryzenlist:$OUT/bochs-ryzen.log")
fi
"$REPO/harness/results.py" --allow "$REPO/tests/allowlist" "${specs[@]}" || status=1
[ $status = 0 ] || echo "FAILED (logs in $OUT)"
exit $status
