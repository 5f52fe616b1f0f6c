#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run-bochs.sh LIST LOG: boot the test kernel in Bochs 3.0 (built from
# Debian trixie's source by build-bochs.sh), whose "tigerlake" CPU model
# emulates VMX with EPT, APICv, EPT sub-page write permission and MBEC, so
# kvm_intel runs real guests.  BOCHS_CPU=ryzen runs its "ryzen" model
# instead (SVM with nested paging, NRIPS and FLUSHBYASID) for kvm_amd, and
# BOCHS_CPUS the number of CPUs (default 1).  Bochs boots an isolinux ISO;
# its serial port goes to LOG, and its display is "nogui".
. "$(dirname "$0")/lib.sh"

list=$1 log=$2
# One work directory per log, so that a failed boot's files stay apart.
work=$OUT/bochs-work/$(basename "$log" .log)
cpu=${BOCHS_CPU:-tigerlake}

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
  APPEND initrd=/initrd.gz $KCMDLINE
CFG
	genisoimage -quiet -o "$work/boot.iso" -b isolinux/isolinux.bin \
		-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
		-J -R "$work/iso"

	cat > "$work/bochsrc" <<RC
cpu: model=$cpu, count=${BOCHS_CPUS:-1}, ips=${BOCHS_IPS:-200000000}, reset_on_triple_fault=1
memory: guest=${BOCHS_MEM:-2048}, host=${BOCHS_MEM:-2048}
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$blog
clock: sync=none, time0=utc
display_library: nogui
log: $work/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
RC

	# The lists' timeouts are in guest seconds, which pass about 50 times
	# more slowly than wall-clock seconds in Bochs (tests/bochs.list).
	budget=$(list_budget "$blist" 900 60)
	rm -f "$blog"
	: > "$blog"
	t0=$(date +%s)
	# Bochs does not exit on ACPI power-off; stop it once the run is done.
	timeout -s KILL "$budget" "$BOCHS3_DIR/bin/bochs" -q -f "$work/bochsrc" \
		> "$work/screen.txt" 2>&1 < /dev/null &
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

# A machine whose guest clock stops never lets the tests' own timeouts
# fire.  Bochs did that until harness/bochs/0003 fixed its interrupt
# masking on VM entry (a guest spinning without exits kept its CPU
# forever); this watchdog stays for whatever else may.  The longest silent
# test (subpage_hw_teardown) prints nothing for about 4 minutes here, 9 on
# a slower machine; fifteen minutes of silence is a stall.  Bochs is then
# booted once more for the tests that had not finished, and results.py
# reports the stall.  A second stall fails.
STALL=${BOCHS_STALL_SECONDS:-900}
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
