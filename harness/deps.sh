#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install everything the harness needs from Debian's archive.  Cheap when
# all of it is present already: dpkg is asked first, apt only if needed.
. "$(dirname "$0")/lib.sh"

PKGS="build-essential git bc bison flex libelf-dev libssl-dev cpio xz-utils
      kmod rsync procps ccache sparse python3 busybox-static
      qemu-system-x86 bochsbios vgabios
      genisoimage isolinux syslinux-common util-linux gnuplot-nox
      python3-ply python3-git"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
have_ksrc=$(dpkg-query -W -f='${Status} ${Version}\n' $KSRC_PKG 2>/dev/null || true)

[ -z "$missing" ] && [ "$have_ksrc" = "install ok installed $KSRC_VERSION" ] && exit 0

export DEBIAN_FRONTEND=noninteractive
log "installing:$missing $KSRC_PKG=$KSRC_VERSION"
as_root apt-get update -q >/dev/null
# shellcheck disable=SC2086
[ -z "$missing" ] || as_root apt-get install -y -q --no-install-recommends $missing >/dev/null

if [ "$have_ksrc" != "install ok installed $KSRC_VERSION" ]; then
	if ! as_root apt-get install -y -q --allow-downgrades \
		"$KSRC_PKG=$KSRC_VERSION" >/dev/null 2>&1; then
		echo "WARNING: $KSRC_PKG $KSRC_VERSION is not in the archive;" \
		     "falling back to $(apt-cache policy $KSRC_PKG | awk '/Candidate/ {print $2}')." \
		     "The patch series was developed against $KSRC_VERSION." >&2
		as_root apt-get install -y -q $KSRC_PKG >/dev/null
	fi
fi
