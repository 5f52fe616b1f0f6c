#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Export edits of upstream files made in the assembled tree into the quilt
# series: into the top patch, or into PATCH=<name> (created at the top of
# the series if it does not exist yet).  Files need not be "quilt add"ed
# first: the assembled state is in the tree's git, so the original of any
# edited file is known.
. "$(dirname "$0")/lib.sh"
export QUILTRC=$REPO/harness/quiltrc

q() { (cd "$TREE" && quilt "$@"); }

[ -d "$TREE/.git" ] || die "no assembled tree at $TREE; run 'make assemble'"
# Refreshing a patch from a tree assembled from other inputs (say, before a
# git pull changed patches/) would silently undo the repo's change.
[ "$(cat "$STATE/assembled" 2>/dev/null)" = "$(series_stamp)" ] ||
	die "the tree was assembled from other inputs than the repo has now;" \
	    "commit or stash, then 'make assemble' and redo the edit"
mapfile -t edited < <(gitt diff --name-only HEAD)
untracked=$(gitt ls-files --others --exclude-standard)
[ -z "$untracked" ] || printf 'note: new files in the tree are not exported; add them to the repo at their kernel paths:\n%s\n' "$untracked" >&2
[ ${#edited[@]} -gt 0 ] || { log "no edits to export"; exit 0; }

target=${PATCH:-$(q top 2>/dev/null || true)}
[ -n "$target" ] || die "the series is empty: name a new patch with PATCH=<name>.patch"
target=${target#patches/}
if ! grep -qxF "$target" "$REPO/patches/series" 2>/dev/null; then
	q new "$target"
	printf 'From: %s\nSubject: [PATCH] TODO: one-line summary\n\nTODO: say why.\n\nSigned-off-by: %s\n---\n' \
		"$(git -C "$REPO" config user.name) <$(git -C "$REPO" config user.email)>" \
		"$(git -C "$REPO" config user.name) <$(git -C "$REPO" config user.email)>" |
		q header -r >/dev/null
	log "created $target; write its subject and message (make check insists)"
elif [ "$(q top)" != "patches/$target" ] && [ "$(q top)" != "$target" ]; then
	die "$target is not the top patch; quilt pop to it in $TREE first"
fi

in_patch=$(q files "$target")
for f in "${edited[@]}"; do
	grep -qxF "$f" <<<"$in_patch" && continue
	# quilt must see the file as it was before the edit.
	tmp=$(mktemp)
	deleted=1
	if [ -e "$TREE/$f" ]; then cp -p "$TREE/$f" "$tmp"; deleted=0; fi
	gitt checkout -q HEAD -- "$f"
	q add -P "$target" "$f" >/dev/null
	if [ $deleted = 1 ]; then rm -f "$TREE/$f"; else cp -p "$tmp" "$TREE/$f"; fi
	rm -f "$tmp"
done
q refresh "$target" >/dev/null
log "refreshed patches/$target ($(q files "$target" | wc -l) files)"

# The tree now matches the series again: record that as the assembled state.
gitt add -u .
gitt commit -q -m "exported into $target"
series_stamp > "$STATE/assembled"
