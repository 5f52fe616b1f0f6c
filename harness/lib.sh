# SPDX-License-Identifier: GPL-2.0
# Shared settings for the harness scripts.  Source it; do not run it.
#
# Everything large (kernel tree, build output, ccache, logs) lives under
# $VSM_CACHE, outside the repository, so a clean clone stays small and
# the edit-build-test loop survives "git clean".

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VSM_CACHE=${VSM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-vsm}
# VSM_BASELINE=1: the same machinery on an unpatched tree of its own, for
# the regression baseline (harness/baseline.sh).
if [ "${VSM_BASELINE:-0}" = 1 ]; then
	SERIES_DIR=/dev/null/none
	VSM_CACHE=$VSM_CACHE/baseline
else
	SERIES_DIR=$REPO/patches
fi

# The Debian package we develop against.  deps.sh falls back, with a
# warning, to whatever 6.12 the archive offers if this one is gone.
KSRC_PKG=linux-source-6.12
KSRC_VERSION=6.12.117-1~deb12u1
KSRC_TARBALL=/usr/src/linux-source-6.12.tar.xz

TREE=$VSM_CACHE/linux		# assembled source tree (git, one branch per series)
KOBJ=$VSM_CACHE/obj		# kernel build output (make O=)
BZIMAGE=$VSM_CACHE/bzImage	# the kernel the machines boot
# KFLAVOUR=bench: the benchmark kernel, the test kernel without its debug
# options (config/bench.config), in a build directory of its own so that
# the test kernel stays built.
# KFLAVOUR=nohv: the test kernel with CONFIG_KVM_HYPERV=n, built (not
# booted) by make test, because every patch must also build without
# Hyper-V support.
case "${KFLAVOUR:-}" in
bench|nohv)
	KOBJ=$VSM_CACHE/obj-$KFLAVOUR
	BZIMAGE=$VSM_CACHE/bzImage-$KFLAVOUR
	EXTRA_FRAGMENT=${EXTRA_FRAGMENT:-$REPO/config/$KFLAVOUR.config}
	;;
esac
TOBJ=$VSM_CACHE/selftests	# selftest build output
OUT=$VSM_CACHE/out		# initramfs, ISO, logs, results
STATE=$VSM_CACHE/state		# stamps recording what each stage was built from
BOCHS3_DIR=$VSM_CACHE/bochs3	# Bochs 3.0, built from source (build-bochs.sh)
export CCACHE_DIR=${CCACHE_DIR:-${VSM_CACHE%/baseline}/ccache}
# Relative paths in the cache key let the baseline tree hit the same cache.
export CCACHE_BASEDIR=$VSM_CACHE
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Kernel builds embed the build time; let ccache hit across rebuilds.
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2024-01-01}
export KBUILD_BUILD_USER=vsm KBUILD_BUILD_HOST=harness

JOBS=${JOBS:-$(nproc)}

# Kernel command line for both test machines.  tsc=reliable: emulation
# jitter would otherwise let the clocksource watchdog mark the TSC unstable
# at random, which changes what the KVM clock tests see.
# kvm.force_emulation_prefix=1: tests that exercise KVM's instruction
# emulator force it with the prefix, and skip those checks without it.
KCMDLINE="console=ttyS0,115200 loglevel=5 panic=-1 tsc=reliable kvm.force_emulation_prefix=1 ${KERNEL_CMDLINE:-}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run as root, or through sudo when we are not.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The patch series.  patches/series names them in the order they apply,
# one per line; each is a directory under patches/ of "git format-patch"
# files (NNNN-*.patch) and a hand-written cover letter
# (0000-cover-letter.patch) that is not applied.  In the assembled tree,
# each series is a branch of the same name that starts where the one
# before it ends.
series_names() {
	[ -f "$SERIES_DIR/series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$SERIES_DIR/series" | grep . || true
}

series_patches() {
	find "$SERIES_DIR/$1" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-cover-letter.patch' 2>/dev/null | LC_ALL=C sort
}

ksrc_version() { dpkg-query -W -f='${Version}' $KSRC_PKG 2>/dev/null; }

# Hash of what the tree is made from: source version and patch series.  A
# tree whose recorded stamp differs is stale.
series_stamp() {
	local s p
	{
		echo "$REPO $(ksrc_version)"
		for s in $(series_names); do
			echo "series $s"
			for p in $(series_patches "$s"); do cat "$p"; done
		done
	} | sha256sum | cut -d' ' -f1
}

# The commit each series branch points to in the tree, "name commit".
series_heads() {
	local s
	for s in $(series_names); do
		echo "$s $(gitt rev-parse -q --verify "refs/heads/$s" || echo none)"
	done
}

# True if the tree holds nothing that is not in patches/: no uncommitted
# edits, and every series branch where assembly or export left it.
local_work_check() {
	local work

	work=$(gitt status --porcelain)
	if [ -n "$work" ]; then
		echo "$work" >&2
		return 1
	fi
	[ ! -f "$STATE/heads" ] || [ "$(series_heads)" = "$(cat "$STATE/heads")" ] || {
		echo "series branches moved since the last export:" >&2
		diff <(cat "$STATE/heads") <(series_heads) >&2 || true
		return 1
	}
}

# list_budget LIST SLACK [SCALE]: whole-run limit, in wall-clock seconds,
# for a test list: every test's own timeout, times SCALE (wall-clock seconds
# per second of guest time; default 1), plus SLACK for booting (and, in
# Bochs, the emulated serial port draining).
list_budget() {
	local b left
	b=$(awk -v slack="$2" -v scale="${3:-1}" \
		'!/^[[:space:]]*(#|$)/ {s += $2} END {print s * scale + slack}' "$1")
	# make test's deadline (test.sh): a machine that hangs past its tests'
	# timeouts (guest time, which under Bochs runs slower than the wall
	# clock) must not outlast CI; it is stopped, and its log says which
	# tests were running.
	if [ -n "${VSM_DEADLINE:-}" ]; then
		left=$((VSM_DEADLINE - $(date +%s)))
		[ "$left" -ge "$b" ] || b=$left
		[ "$b" -ge 60 ] || b=60
	fi
	echo "$b"
}

# git in the assembled tree, which records pristine and assembled states.
gitt() { git -C "$TREE" -c user.name=harness -c user.email=harness@localhost "$@"; }
