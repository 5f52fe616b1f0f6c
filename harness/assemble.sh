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

# Refuse to throw away work: edits to upstream files not yet exported, and
# files created in the tree rather than in the repo.
check_no_local_work() {
	local work

	[ -d "$TREE/.git" ] && [ "${FORCE:-0}" != 1 ] || return 0
	work=$(gitt status --porcelain)
	[ -z "$work" ] && return 0
	echo "$work" >&2
	die "the tree has edits that are not in the repo; run 'make export'" \
	    "(new files belong in the repo at their kernel paths), or FORCE=1 to discard them"
}

assemble() {
	check_no_local_work
	log "assembling $TREE"
	gitt checkout -q -f -B assembled pristine
	gitt clean -q -ffdx
	rm -f "$STATE/linked"
	[ -d "$SERIES_DIR" ] && ln -s "$SERIES_DIR" "$TREE/patches"
	if [ -s "$SERIES_DIR/series" ]; then
		if ! (cd "$TREE" && quilt push -a -q) >/dev/null; then
			# Leave a clean pristine tree, not a half-applied series that
			# would look like unexported edits next time.
			gitt reset -q --hard pristine
			gitt clean -q -ffdx
			die "the patch series does not apply"
		fi
	fi
	gitt add -A .
	gitt commit -q --allow-empty -m "assembled"
	series_stamp > "$STATE/assembled"
}

# Symlink the repo's new files into the tree and drop links to files the
# repo no longer has.  The links are listed in git's exclude file, so they
# are neither part of the assembled state nor "local work".
link_new_files() {
	local f want

	want=$(repo_new_files)
	[ -f "$STATE/linked" ] && [ "$want" = "$(cat "$STATE/linked")" ] && return 0
	while read -r f; do
		[ -n "$f" ] && [ -L "$TREE/$f" ] && rm -f "$TREE/$f"
	done < <(cat "$STATE/linked" 2>/dev/null)
	while read -r f; do
		[ -n "$f" ] || continue
		if gitt cat-file -e "pristine:$f" 2>/dev/null; then
			die "$f exists upstream; change it through the patch series"
		fi
		mkdir -p "$TREE/$(dirname "$f")"
		ln -sfn "$REPO/$f" "$TREE/$f"
	done <<<"$want"
	{
		printf '/.pc/\n/patches\n'
		sed 's|^|/|' <<<"$want"
	} > "$TREE/.git/info/exclude"
	echo "$want" > "$STATE/linked"
}

if [ "$(cat "$STATE/source" 2>/dev/null)" != "$ksrc_version" ]; then
	check_no_local_work
	extract_pristine
fi
[ "$(cat "$STATE/assembled" 2>/dev/null)" = "$(series_stamp)" ] || assemble
link_new_files
