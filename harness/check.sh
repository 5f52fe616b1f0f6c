#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: checkpatch --strict on every patch of every series, every
# patch carries a real subject and message, every series a cover letter,
# and arch/x86/kvm builds clean under sparse (C=2) and W=1.  The compile
# checks use their own output directory so they never force a rebuild of
# the test kernel.
. "$(dirname "$0")/lib.sh"

fail=0
CHK=$VSM_CACHE/obj-check
# checkpatch validates SPDX tags with scripts/spdxcheck.py, which needs
# Debian's python3 with python3-ply and python3-git, not another python3
# that may come first in PATH.
export PATH=/usr/bin:$PATH

cd "$TREE"
for s in $(series_names); do
	if ! grep -q '^Subject: \[PATCH 0/' "$SERIES_DIR/$s/0000-cover-letter.patch" 2>/dev/null; then
		echo "check: series $s has no cover letter (0000-cover-letter.patch)" >&2
		fail=1
	fi
	for f in $(series_patches "$s"); do
		p=$s/$(basename "$f")
		if ! grep -q '^Subject: \[PATCH\] .\{10,\}' "$f" ||
		   sed '/^---$/q' "$f" | grep -q 'TODO' ||
		   ! grep -q '^Signed-off-by: ' "$f"; then
			echo "check: $p needs a subject, a message that says why, and a Signed-off-by" >&2
			fail=1
		fi
		# lib/test_maple_tree.c redefines MT_BUG_ON() to count and report a
		# failed check, not to crash, and every check there uses it.
		ignore=FILE_PATH_CHANGES
		[ "$s" != maple ] || ignore=$ignore,AVOID_BUG
		./scripts/checkpatch.pl -q --strict --ignore "$ignore" "$f" || fail=1
	done
done

# sparse and W=1 on arch/x86/kvm.  Upstream 6.12 KVM already has sparse
# warnings (lock-context imbalances, evmcs field casts, ...); those are
# recorded, from the unpatched tree, in tests/check-baseline.txt (make
# baseline).  Any diagnostic beyond them fails.  Line numbers are dropped
# so that a patch moving code does not make old warnings look new.
mkdir -p "$CHK"
cmp -s "$KOBJ/.config" "$CHK/.config" || cp "$KOBJ/.config" "$CHK/.config"
log "sparse (C=2) and W=1 on arch/x86/kvm"
diags=$(make -s -C "$TREE" O="$CHK" -j"$JOBS" CC="ccache gcc" HOSTCC="ccache gcc" \
	C=2 W=1 arch/x86/kvm/ 2>&1) || fail=1
diags=$(sed -E -e "s|$TREE/||g" -e 's|^[^ ]*/\.\./\.\./\.\./|| ' \
	-e 's/:[0-9]+:[0-9]+:/:/' -e 's/:[0-9]+:/:/' <<<"$diags" |
	grep -v ': note: in included file' | grep . | LC_ALL=C sort || true)
if [ "${RECORD_CHECK_BASELINE:-0}" = 1 ]; then
	echo "$diags" > "$REPO/tests/check-baseline.txt"
	log "recorded $(grep -c . <<<"$diags") upstream diagnostics"
else
	new=$(LC_ALL=C comm -13 "$REPO/tests/check-baseline.txt" - <<<"$diags")
	if [ -n "$new" ]; then
		echo "new sparse/W=1 diagnostics in arch/x86/kvm:"
		echo "$new"
		fail=1
	fi
fi

[ $fail = 0 ] && log "check: clean"
exit $fail
