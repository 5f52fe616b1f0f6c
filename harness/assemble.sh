#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Assemble the kernel tree in $TREE from three parts:
#   1. the pristine linux-source-6.12 tarball (kept as git tag "pristine"),
#   2. the quilt series in $REPO/patches (changes to upstream files),
#   3. the repo's new files, symlinked at their kernel paths so that
#      editing them in the tree edits the repo.
# Idempotent: a tree whose stamp matches the inputs is left alone.  A
# stale tree is reset to pristine with git (which rewrites only files that
# differ, so unrelated objects are not rebuilt) and assembled again.
# Unexported edits to upstream files stop it; see export.sh, or FORCE=1.
. "$(dirname "$0")/lib.sh"
export QUILTRC=$REPO/harness/quiltrc

ksrc_version=$(ksrc_version) || die "$KSRC_PKG is not installed; run harness/deps.sh"


extract_pristine() {
	log "extracting $KSRC_PKG $ksrc_version into $TREE"
	rm -rf "$TREE" "$STATE"
	mkdir -p "$TREE" "$STATE"
	tar -xf "$KSRC_TARBALL" -C "$TREE" --strip-components=1
	gitt init -q
	# A background "git gc" over 80k files would steal a core from builds.
	gitt config gc.auto 0
	gitt config core.autocrlf false
	# The quilt state, the series link and editor droppings are not part
	# of any assembled state.
	printf '/.pc/\n/patches\n' >> "$TREE/.git/info/exclude"
	log "recording pristine tree in git (once per source version)"
	gitt add -A -f .
	gitt commit -q -m "pristine $KSRC_PKG $ksrc_version"
	gitt tag pristine
	echo "$ksrc_version" > "$STATE/source"
}

unexported_edits() {
	gitt status --porcelain --untracked-files=no
}

assemble() {
	local f

	if [ -n "$(unexported_edits)" ] && [ "${FORCE:-0}" != 1 ]; then
		unexported_edits >&2
		die "the tree has edits to upstream files that are not in the series;" \
		    "run 'make export' first, or FORCE=1 to discard them"
	fi
	log "assembling $TREE"
	gitt checkout -q -f -B assembled pristine
	gitt clean -q -ffdx
	[ -d "$SERIES_DIR" ] && ln -s "$SERIES_DIR" "$TREE/patches"
	if [ -s "$SERIES_DIR/series" ]; then
		(cd "$TREE" && quilt push -a -q) >/dev/null ||
			die "the patch series does not apply"
	fi
	repo_new_files | while read -r f; do
		if gitt cat-file -e "pristine:$f" 2>/dev/null; then
			die "$f exists upstream; change it through the patch series"
		fi
		mkdir -p "$TREE/$(dirname "$f")"
		ln -sfn "$REPO/$f" "$TREE/$f"
	done
	gitt add -A .
	gitt commit -q --allow-empty -m "assembled"
	inputs_stamp > "$STATE/assembled"
}

[ "$(cat "$STATE/source" 2>/dev/null)" = "$ksrc_version" ] || extract_pristine
if [ "$(cat "$STATE/assembled" 2>/dev/null)" != "$(inputs_stamp)" ]; then
	assemble
fi
