#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make series-check: build every patch boundary of every series, the way a
# maintainer bisects: each commit of the assembled tree in three configs,
#   hv      the test kernel's config (CONFIG_KVM_HYPERV=y, KUnit tests on),
#   nohv    the same with CONFIG_KVM_HYPERV=n,
#   nokunit the same with CONFIG_KVM_VTL_KUNIT_TEST=n.
# At each commit, arch/x86/kvm and lib are compiled; at the tip of each
# series the whole kernel and its modules are linked, and the selftests
# are built where a commit touches them.  Too slow for CI (about a minute
# per commit); run it before a series is called done.
#
# It checks the commits out in $TREE itself (so ccache and the build
# directories stay warm) and returns to the top series branch at the end.
. "$(dirname "$0")/lib.sh"

local_work_check || die "the tree has work that is not exported; run 'make export' first"
[ "$(cat "$STATE/assembled" 2>/dev/null)" = "$(series_stamp)" ] ||
	die "the tree is not assembled from the repo's series; run 'make assemble'"
top=$(series_names | tail -n 1)
trap 'gitt checkout -q "$top"' EXIT

frag=$REPO/config/vsm-test.config
# Options on top of the fragment; nohv is make kernel-nohv's configuration.
declare -A extra=(
	[hv]=""
	[nohv]="$(grep '^CONFIG_KVM_HYPERV=' "$REPO/config/nohv.config")"
	[nokunit]="CONFIG_KVM_VTL_KUNIT_TEST=n"
)
configs="hv nohv nokunit"
kmake() {
	local o=$1
	shift
	make -s -C "$TREE" O="$o" -j"$JOBS" CC="ccache gcc" HOSTCC="ccache gcc" "$@"
}

# One full config per flavour, generated from the top of the series, where
# every option exists.  At older commits kbuild drops the options that do
# not exist yet, and the copy below restores them for the next commit.
gitt checkout -q "$top"
for c in $configs; do
	o=$VSM_CACHE/obj-series-$c
	mkdir -p "$o"
	f=$(mktemp)
	{ cat "$frag"; tr ' ' '\n' <<<"${extra[$c]}"; } > "$f"
	KCONFIG_CONFIG=$o/.config.want kmake "$o" allnoconfig >/dev/null
	KCONFIG_CONFIG=$o/.config.want "$TREE/scripts/kconfig/merge_config.sh" \
		-m -O "$o" "$o/.config.want" "$f" >/dev/null
	KCONFIG_CONFIG=$o/.config.want kmake "$o" olddefconfig >/dev/null
	rm -f "$f" "$o/.config.want.old"
	for opt in ${extra[$c]}; do
		grep -qxF "# ${opt%=n} is not set" "$o/.config.want" ||
			die "config $c: $opt did not stick"
	done
done

build_at() {
	local commit=$1 tip=$2 c o
	for c in $configs; do
		o=$VSM_CACHE/obj-series-$c
		cmp -s "$o/.config.want" "$o/.config" || cp "$o/.config.want" "$o/.config"
		if [ "$tip" = 1 ]; then
			kmake "$o" bzImage modules || return 1
		else
			kmake "$o" arch/x86/kvm/ lib/ || return 1
		fi
	done
	if gitt diff --quiet "$commit~1" "$commit" -- tools/testing/selftests/kvm; then
		return 0
	fi
	kmake "$VSM_CACHE/obj-series-hv" headers >/dev/null
	make -s -C "$TREE/tools/testing/selftests/kvm" -j"$JOBS" \
		OUTPUT="$VSM_CACHE/selftests-series" CC="ccache gcc" \
		KHDR_INCLUDES="-isystem $VSM_CACHE/obj-series-hv/usr/include"
}

fail=0
n=0
base=pristine
for s in $(series_names); do
	tip=$(gitt rev-parse "$s")
	for commit in $(gitt rev-list --reverse "$base..$s"); do
		n=$((n + 1))
		subject=$(gitt log -1 --format=%s "$commit")
		gitt checkout -q --detach "$commit"
		t0=$(date +%s)
		if build_at "$commit" "$([ "$commit" = "$tip" ] && echo 1 || echo 0)"; then
			echo "ok $n $s: $subject ($(( $(date +%s) - t0 )) s)"
		else
			echo "not ok $n $s: $subject"
			fail=1
		fi
	done
	base=$s
done
[ $fail = 0 ] && log "series-check: $n commits build in: $configs"
exit $fail
