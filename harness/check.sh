#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: checkpatch --strict on the series and the new files, every
# patch carries a real subject and message, and arch/x86/kvm builds clean
# under sparse (C=2) and W=1.  The compile checks use their own output
# directory so they never force a rebuild of the test kernel.
. "$(dirname "$0")/lib.sh"

fail=0
CHK=$VSM_CACHE/obj-check

cd "$TREE"
for p in $(grep -v '^#' "$REPO/patches/series" 2>/dev/null); do
	f=$REPO/patches/$p
	if ! grep -q '^Subject: \[PATCH\] .\{10,\}' "$f" ||
	   sed '/^---$/q' "$f" | grep -q 'TODO' ||
	   ! grep -q '^Signed-off-by: ' "$f"; then
		echo "check: $p needs a subject, a message that says why, and a Signed-off-by" >&2
		fail=1
	fi
	./scripts/checkpatch.pl -q --strict "$f" || fail=1
done

mapfile -t new < <(repo_new_files | grep -E '\.(c|h|S|rst)$' || true)
if [ ${#new[@]} -gt 0 ]; then
	./scripts/checkpatch.pl -q --strict --no-tree -f "${new[@]}" || fail=1
fi

# sparse and W=1 on arch/x86/kvm: any diagnostic is a failure.
mkdir -p "$CHK"
cmp -s "$KOBJ/.config" "$CHK/.config" || cp "$KOBJ/.config" "$CHK/.config"
log "sparse (C=2) and W=1 on arch/x86/kvm"
out=$(make -s -C "$TREE" O="$CHK" -j"$JOBS" CC="ccache gcc" HOSTCC="ccache gcc" \
	C=2 W=1 arch/x86/kvm/ 2>&1) || fail=1
if [ -n "$out" ]; then
	echo "$out"
	fail=1
fi

[ $fail = 0 ] && log "check: clean"
exit $fail
