#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-bochs.sh LIST LOG: boot the test kernel in Bochs, whose "tigerlake"
# CPU model emulates VMX with EPT and EPT sub-page write permission, so
# kvm_intel runs real guests.  Bochs boots an isolinux ISO; its serial port
# goes to LOG.  Debian's Bochs has no headless display, so the "term"
# display runs on a pseudo-terminal made by script(1), and "-rc" feeds its
# debugger prompt a "continue".
# clearcpuid=pku,avx512f: Bochs 2.7's CPUID leaf 0xD describes PKRU with size
# 0 and an XSAVE size that does not add up with AVX-512, which makes the
# kernel WARN three times in fpu__init_system_xstate().  Hiding the two
# features gives the guest a consistent XSAVE layout instead of allow-listing
# warnings; VSM does not depend on either.
. "$(dirname "$0")/lib.sh"

list=$1 log=$2
work=$OUT/bochs

# boot LIST LOG: one Bochs boot running LIST, its serial console in LOG.
# Returns 0 once the run ended (VSM-DONE), 2 if Bochs stalled: nothing
# came out on the console for $STALL seconds.
boot() {
	local blist=$1 blog=$2 budget t0 pid idle=0 size=-1 now status=1

	rm -rf "$work"
	mkdir -p "$work/iso/isolinux"
	"$REPO/harness/mkinitramfs.sh" "$blist" "$work/iso/initrd.gz"
	cp "$BZIMAGE" "$work/iso/bzImage"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
		"$work/iso/isolinux/"
	cat > "$work/iso/isolinux/isolinux.cfg" <<CFG
DEFAULT vsm
PROMPT 0
LABEL vsm
  KERNEL /bzImage
  APPEND initrd=/initrd.gz $KCMDLINE clearcpuid=pku,avx512f
CFG
	genisoimage -quiet -o "$work/boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
		-J -R "$work/iso"

	cat > "$work/bochsrc" <<RC
cpu: model=tigerlake, count=1, ips=${BOCHS_IPS:-200000000}, reset_on_triple_fault=1
memory: guest=${BOCHS_MEM:-2048}, host=${BOCHS_MEM:-2048}
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$blog
clock: sync=none, time0=utc
display_library: term
log: $work/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
RC
	echo c > "$work/cont"

	# The lists' timeouts are in guest seconds, which pass about 50 times
	# more slowly than wall-clock seconds in Bochs (tests/bochs.list).
	budget=$(list_budget "$blist" 900 60)
	rm -f "$blog"
	: > "$blog"
	t0=$(date +%s)
	# Bochs does not exit on ACPI power-off; stop it once the run is done.
	TERM=xterm timeout -s KILL "$budget" \
		script -qfec "bochs -q -f $work/bochsrc -rc $work/cont" /dev/null \
		> "$work/screen.txt" 2>&1 &
	pid=$!
	# A panic or triple fault makes Bochs reset and boot again into the
	# same log; stop at once so that results.py sees the crash, not a rerun.
	while kill -0 $pid 2>/dev/null; do
		grep -q '^VSM-DONE' "$blog" && sleep 2 && status=0 && break
		grep -q 'Kernel panic - not syncing' "$blog" && break
		[ "$(grep -c '^VSM-BOOTED' "$blog")" -lt 2 ] || break
		now=$(stat -c %s "$blog")
		if [ "$now" = "$size" ]; then
			idle=$((idle + 2))
		else
			idle=0 size=$now
		fi
		[ $idle -lt "$STALL" ] || { status=2; break; }
		sleep 2
	done
	pkill -KILL -f "bochs -q -f $work/bochsrc" 2>/dev/null || true
	wait $pid 2>/dev/null || true
	case $status in
	0) ;;
	2) echo "bochs printed nothing for ${STALL}s and was stopped" >> "$blog" ;;
	*) echo "bochs stopped after $(($(date +%s) - t0))s (budget ${budget}s) before the run ended" >> "$blog" ;;
	esac
	return $status
}

# Bochs 2.7 now and then stops dead while a guest runs (README, "Bochs and
# EPT sub-page permissions"): no VM exit, not even for timer interrupts,
# and the guest's clock stops, so the tests' own timeouts never fire.  The
# longest test prints after about 100 s; ten minutes of silence is a
# stall.  Bochs is then booted once more for the tests that had not
# finished, and results.py reports the stall.  A second stall fails.
STALL=${BOCHS_STALL_SECONDS:-600}
status=0
boot "$list" "$log" || status=$?
if [ $status = 2 ]; then
	stalled=$(grep -a '^VSM-TEST-START ' "$log" | awk '{print $2}' |
		while read -r t; do
			grep -aqF "VSM-TEST-END $t " "$log" || echo "$t"
		done | tr '\n' ' ')
	left=$OUT/$(basename "$list" .list)-left.list
	# Labels are NAME or NAME[ARGS]; a list line is NAME TIMEOUT ARGS.
	grep -Ev '^[[:space:]]*(#|$)' "$list" | while read -r name tmo args; do
		label=$name
		[ -z "$args" ] || label="$name[$(printf "%s" "$args" | tr ' ' _)]"
		grep -aqF "VSM-TEST-END $label " "$log" || echo "$name $tmo $args"
	done > "$left"
	mv "$log" "$log.stall"
	status=0
	boot "$left" "$log" || status=$?
	{
		cat "$log.stall"
		echo "VSM-STALL ${stalled% }"
		cat "$log"
	} > "$log.merged"
	mv "$log.merged" "$log"
fi
exit 0
