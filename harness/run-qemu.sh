#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-qemu.sh LIST LOG: boot the test kernel in QEMU (TCG, AMD EPYC model
# with SVM and nested paging, so kvm_amd runs real guests) with an
# initramfs holding the tests in LIST; the serial console goes to LOG.
# QEMU's own complaints (TCG lacks a few EPYC features, none that KVM's
# SVM support needs) go to LOG.stderr.
. "$(dirname "$0")/lib.sh"

list=$1 log=$2
mkdir -p "$OUT"
initrd=$OUT/$(basename "$list" .list)-qemu.cpio.gz
"$REPO/harness/mkinitramfs.sh" "$list" "$initrd"

# QEMU_THREAD: TCG's thread model, "multi" (a host thread per vCPU, the
# default) or "single" (all vCPUs on one host thread, round-robin).
# "single" was the cleaner of the two on the known flaky tests, but there
# QEMU delivers an interrupt it injects into a nested guest twice, which
# fails the VSM intercept tests (README, "Flakes"); the default is "multi".
thread=${QEMU_THREAD:-multi}
# QEMU: the qemu-system-x86_64 to run (Debian's, unless told otherwise).
qemu=${QEMU:-qemu-system-x86_64}

# Whole-run limit: boot, plus every test's own timeout, plus slack.
budget=$(list_budget "$list" 300)
rm -f "$log"
timeout --foreground -s KILL "$budget" \
	"$qemu" -accel tcg,thread=$thread -cpu EPYC,+svm,+npt \
	-smp "${QEMU_SMP:-2}" -m "${QEMU_MEM:-4G}" \
	-kernel "$BZIMAGE" -initrd "$initrd" \
	-append "$KCMDLINE" \
	-display none -monitor none -serial "file:$log" -no-reboot \
	2> "$log.stderr" ||
	{ echo "qemu exited with status $?" >> "$log"; exit 1; }
