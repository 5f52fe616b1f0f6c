#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make bench": build the benchmark kernel (config/bench.config: the test
# kernel without lockdep), boot it in QEMU and run
# vsm/vtl_protection_perf; write the table, a CSV and a PNG plot to
# out/bench/ in the repo (git ignores out/).  BENCH_ARGS overrides the
# benchmark's arguments.
. "$(dirname "$0")/lib.sh"

# Under TCG a memslot rewrite costs milliseconds, so memslot mode runs the
# first 1,000 page changes of each script (-C); the others run them all.
BENCH_ARGS=${BENCH_ARGS:--m 1024 -c 200000 -s 8192 -C 1000 -r 5 -v 2}
dest=$REPO/out/bench
mkdir -p "$dest" "$OUT"

KFLAVOUR=bench "$REPO/harness/build-kernel.sh"
list=$OUT/bench.list
log=$OUT/bench.log
echo "vsm/vtl_protection_perf 5400 $BENCH_ARGS" > "$list"
log "running vtl_protection_perf $BENCH_ARGS (QEMU TCG; this takes a while)"
KFLAVOUR=bench QEMU_SMP=${QEMU_SMP:-3} "$REPO/harness/run-qemu.sh" "$list" "$log"
"$REPO/harness/results.py" --allow "$REPO/tests/allowlist" "qemu:$list:$log" >/dev/null ||
	die "the benchmark failed; see $log"

out=$(sed -n '/^VSM-TEST-BEGIN/,/^VSM-TEST-END/p' "$log" | tr -d '\r')
{
	echo "# Emulator: QEMU $(qemu-system-x86_64 --version | head -n1 | awk '{print $4}')" \
	     "TCG (no hardware virtualization): kvm_amd on an emulated EPYC with SVM +" \
	     "nested paging.  Absolute times are emulation times; compare ratios."
	echo "# Kernel: the patched $(make -s -C "$TREE" kernelversion 2>/dev/null)," \
	     "config/vsm-test.config + config/bench.config"
	echo "$out" | grep '^#'
} > "$dest/header.txt"
echo "$out" | sed -n 's/^CSV,//p' > "$dest/results.csv"
{
	cat "$dest/header.txt"
	echo "$out" | sed -n '/^work /,$p' | grep -v '^VSM-'
} > "$dest/table.txt"

# ns per changed page against batch size, one line per mode, sweep only.
for layout in contiguous scattered; do
	awk -F, -v l="$layout" '$1 == "sweep" && index($2, l "/") == 1 {
		split($2, c, "/"); print $3, c[2], $6 }' "$dest/results.csv" |
		sort -k1,1 -k2,2n > "$dest/$layout.dat"
done
modes=$(cut -d' ' -f1 "$dest/contiguous.dat" | uniq)
plot=""
for m in $modes; do
	for layout in contiguous scattered; do
		dash=$([ $layout = contiguous ] && echo 1 || echo 2)
		plot="$plot${plot:+, }'< grep \"^$m \" $dest/$layout.dat' using 2:3 with linespoints dt $dash title '$m, $layout'"
	done
done
gnuplot <<EOG
set terminal png size 1000,650
set output '$dest/ns_per_page.png'
set title 'HvCallModifyVtlProtectionMask: ns per changed page (QEMU TCG; ratios matter, not absolute times)'
set xlabel 'pages per call'
set ylabel 'ns per page (median of runs)'
set logscale xy
set key outside right
set grid
plot $plot
EOG
cat "$dest/table.txt"
echo
echo "Wrote $dest/{table.txt,results.csv,ns_per_page.png}"
