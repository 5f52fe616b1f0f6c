#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Assemble the kernel tree in $TREE: the pristine linux-source-6.12
# tarball (git tag "pristine"), then each patch series listed in
# patches/series, applied with "git am" onto a branch of its own that
# starts where the previous series ends.  Every line the project adds to
# the kernel, new files included, arrives through these patches, so every
# commit of the tree is a patch boundary that can be built and bisected.
#
# Idempotent: a tree whose stamp matches the inputs is left alone.  A
# stale tree is rebuilt from pristine with git, which rewrites only files
# that differ, so unrelated objects are not rebuilt.  Work in the tree
# that is not exported (uncommitted edits, or commits that moved a series
# branch) stops it; see export.sh, or FORCE=1 to discard it.
. "$(dirname "$0")/lib.sh"

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
	log "recording pristine tree in git (once per source version)"
	gitt add -A -f .
	gitt commit -q -m "pristine $KSRC_PKG $ksrc_version"
	gitt tag pristine
	echo "$ksrc_version" > "$STATE/source"
}

check_no_local_work() {
	[ -d "$TREE/.git" ] && [ "${FORCE:-0}" != 1 ] || return 0
	local_work_check || die "the tree has work that is not in the repo; run 'make export'," \
		"or FORCE=1 to discard it"
}

assemble() {
	local base=pristine s
	local -a ps

	check_no_local_work
	log "assembling $TREE"
	gitt am --abort >/dev/null 2>&1 || true
	gitt checkout -q -f --detach pristine
	gitt clean -q -ffdx
	for s in $(series_names); do
		gitt checkout -q -f -B "$s" "$base"
		mapfile -t ps < <(series_patches "$s")
		if [ ${#ps[@]} -gt 0 ] && ! gitt am -q "${ps[@]}" >&2; then
			# Leave a clean pristine tree, not a half-applied series
			# that would look like unexported work next time.
			gitt am --abort >/dev/null 2>&1 || true
			gitt checkout -q -f --detach pristine
			rm -f "$STATE/assembled" "$STATE/heads"
			die "series $s does not apply"
		fi
		base=$s
	done
	series_stamp > "$STATE/assembled"
	series_heads > "$STATE/heads"
}

if [ "$(cat "$STATE/source" 2>/dev/null)" != "$ksrc_version" ]; then
	check_no_local_work
	extract_pristine
fi
[ "$(cat "$STATE/assembled" 2>/dev/null)" = "$(series_stamp)" ] || assemble
