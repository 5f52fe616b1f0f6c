#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make run": boot the patched KVM in QEMU and tell the story of a VSM
# guest: VTL1 enables protection, applies the boot-like protection
# pattern, and handles VTL0's violation; then print what protection changes
# cost.  It boots the benchmark kernel (config/bench.config), whose
# numbers lockdep does not distort.
. "$(dirname "$0")/lib.sh"

mkdir -p "$OUT"
export KFLAVOUR=bench
"$REPO/harness/build-kernel.sh"
list=$OUT/demo.list
log=$OUT/demo.log
perf_args="-m 256 -c 20000 -s 1024 -C 300 -r 3 -v 2 -b 1,64,510"
{
	echo "vsm/vsm_demo 300"
	echo "vsm/vtl_protection_perf 1800 $perf_args"
} > "$list"
echo "Booting the patched kernel in QEMU (TCG, AMD EPYC CPU model with SVM + nested paging)..."
t0=$(date +%s)
QEMU_SMP=3 "$REPO/harness/run-qemu.sh" "$list" "$log"
echo "Machine booted and ran the demonstration in $(( $(date +%s) - t0 ))s."
echo
sed -n 's/^VSM-PARAM /KVM module parameter: /p' "$log" | tr -d '\r'
echo
sed -n '/^VSM-TEST-BEGIN vsm\/vsm_demo/,/^VSM-TEST-END/p' "$log" | tr -d '\r' |
	grep -v '^VSM-\|^Random seed' | sed 's/^# //; s/^/  /'
echo
echo "What a protection change costs (vtl_protection_perf $perf_args;"
echo "ns per changed page, median of 3 runs; 'make bench' runs the full set):"
echo "  modes: kernel = in KVM (this project), punt = exit to the VMM + ioctl per run,"
echo "  memslot = VMM rewrites memslots (no X; first 300 changes only), floor = exit + entry"
sed -n '/^VSM-TEST-BEGIN vsm\/vtl_protection_perf/,/^VSM-TEST-END/p' "$log" | tr -d '\r' |
	sed -n '/^work /,/^VSM-TEST-END/p' | grep -v '^VSM-' | sed 's/^/  /'
echo
"$REPO/harness/results.py" --allow "$REPO/tests/allowlist" "qemu:$list:$log"
