#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the test kernel in $KOBJ from the assembled tree: allnoconfig plus
# config/vsm-test.config.  The config is regenerated only when the fragment
# or the tree changes, so an unchanged tree rebuilds nothing.
. "$(dirname "$0")/lib.sh"

frag=$REPO/config/vsm-test.config
# EXTRA_FRAGMENT: one more fragment on top, for experiments such as
# config/kasan.config (use a separate VSM_CACHE for those).
if [ -n "${EXTRA_FRAGMENT:-}" ]; then
	merged=$(mktemp)
	trap 'rm -f "$merged"' EXIT
	cat "$frag" "$EXTRA_FRAGMENT" > "$merged"
	frag=$merged
fi
kmake() {
	make -s -C "$TREE" O="$KOBJ" -j"$JOBS" CC="ccache gcc" HOSTCC="ccache gcc" "$@"
}

mkdir -p "$KOBJ" "$STATE"
kconfig_stamp=$STATE/kconfig${KFLAVOUR:+-$KFLAVOUR}
stamp=$( (cat "$frag"; cat "$STATE/assembled") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$kconfig_stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$KOBJ/.config" ]; then
	log "configuring kernel (allnoconfig + $(basename "$frag"))"
	# Generate aside and install only if different: an identical config
	# must not make kbuild rebuild anything.
	cfg=$KOBJ/.config.vsm-new
	KCONFIG_CONFIG=$cfg kmake allnoconfig
	KCONFIG_CONFIG=$cfg "$TREE/scripts/kconfig/merge_config.sh" \
		-m -O "$KOBJ" "$cfg" "$frag" >/dev/null
	KCONFIG_CONFIG=$cfg kmake olddefconfig
	# Every option the fragment sets must survive olddefconfig: a
	# silently dropped debug option would make the tests toothless.
	bad=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=n) want="# ${line%=n} is not set" ;;
				CONFIG_*) want=$line ;; *) continue ;; esac
		grep -qxF "$want" "$cfg" && continue
		# "=n" also holds for an option whose dependencies are off.
		case "$line" in *=n) grep -q "^\(# \)\?${line%=n}[= ]" "$cfg" || continue ;; esac
		echo "config: wanted '$line'" >&2
		bad=1
	done < <(grep '^CONFIG_' "$frag" | tac | awk -F= '!seen[$1]++')
	[ $bad = 0 ] || die "kernel config does not match $frag"
	cmp -s "$cfg" "$KOBJ/.config" || cp "$cfg" "$KOBJ/.config"
	rm -f "$cfg" "$cfg.old"
	echo "$stamp" > "$kconfig_stamp"
fi
log "building kernel"
kmake ${KMAKE_EXTRA:-} bzImage modules
# Stage the modules for the initramfs; rsync keeps unchanged files as they
# are, so an unchanged kernel leaves the stage untouched.
stage=$KOBJ/modules-staged
rm -rf "$stage.new"
kmake INSTALL_MOD_PATH="$stage.new" INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod modules_install
mkdir -p "$stage"
rsync -a --checksum --delete "$stage.new/" "$stage/"
rm -rf "$stage.new"
ln -sf "$KOBJ/arch/x86/boot/bzImage" "$BZIMAGE"
