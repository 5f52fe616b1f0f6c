#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Remove every build product (tree, objects, ccache, logs) for a cold start.
. "$(dirname "$0")/lib.sh"
log "removing $VSM_CACHE"
rm -rf "$VSM_CACHE"
