#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make run": boot the patched KVM in QEMU and run the demonstration, with
# the guest's story told on the terminal.
. "$(dirname "$0")/lib.sh"

mkdir -p "$OUT"
list=$OUT/demo.list
log=$OUT/demo.log
echo "vtl/hv_guest_demo 120" > "$list"
echo "Booting the test kernel in QEMU (TCG, AMD EPYC CPU model with SVM + nested paging)..."
t0=$(date +%s)
QEMU_SMP=2 "$REPO/harness/run-qemu.sh" "$list" "$log"
echo "Machine booted and ran the demo in $(( $(date +%s) - t0 ))s."
echo
sed -n 's/^VSM-PARAM /KVM module parameter: /p' "$log" | tr -d '\r'
echo
sed -n '/^VSM-TEST-BEGIN/,/^VSM-TEST-END/p' "$log" | tr -d '\r' |
	grep -v '^VSM-' | sed 's/^/  /'
echo
"$REPO/harness/results.py" --allow "$REPO/tests/allowlist" "qemu:$list:$log"
