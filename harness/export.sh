#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Export the commits of the assembled tree into patches/: each series
# branch, from where the previous series ends, as git format-patch files.
# The cover letter of each series (0000-cover-letter.patch) is written by
# hand and kept as it is.
#
# The loop: edit in $TREE, commit (a new patch on its series branch, or
# "git commit --fixup=<commit>" for an existing one), fold fixups in with
# "git rebase -i --autosquash --update-refs pristine" (--update-refs keeps
# the lower series branches on their new commits), then "make export".
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "no assembled tree at $TREE; run 'make assemble'"
# Exporting from a tree assembled from other inputs (say, before a git
# pull changed patches/) would silently undo the repo's change.
[ "$(cat "$STATE/assembled" 2>/dev/null)" = "$(series_stamp)" ] ||
	die "the tree was assembled from other inputs than the repo has now;" \
	    "commit or stash, then 'make assemble' and redo the edit"
[ -z "$(gitt status --porcelain)" ] ||
	die "$TREE has uncommitted edits: commit them to a patch first (see $0)"
top=$(series_names | tail -n 1)
[ "$(gitt symbolic-ref -q --short HEAD)" = "$top" ] ||
	die "check out the top series branch ($top) in $TREE before exporting"

# The cover letter's text is written by hand; what follows it, the
# shortlog (from its "Author (N):" line on) and the diffstat, is the
# series' own and is written anew.
refresh_cover() {
	local cover=$SERIES_DIR/$1/0000-cover-letter.patch n blurb

	[ -f "$cover" ] || return 0
	n=$(gitt rev-list --count "$2..$1")
	# The text ends where a shortlog starts: its "Author (N):" line, or
	# an entry indented by six spaces if an older export lost that line.
	blurb=$(awk '/^[^ ].* \([0-9]+\):$/ || /^      [^ ]/ {exit} {print}' "$cover" |
		sed -E "s|^(Subject: \[PATCH 0/)[0-9]+\]|\1$n]|")
	{
		printf '%s\n\n' "$blurb"
		gitt shortlog "$2..$1"
		gitt diff --stat=72 "$2" "$1"
		printf '\n-- \n%s\n' "$(git --version | cut -d' ' -f3)"
	} > "$cover"
}

base=pristine
for s in $(series_names); do
	gitt merge-base --is-ancestor "$base" "$s" ||
		die "branch $s does not start on $base: rebase with --update-refs"
	tmp=$(mktemp -d)
	gitt format-patch -q --zero-commit --no-signature --abbrev=12 -N \
		-o "$tmp" "$base..$s"
	mkdir -p "$SERIES_DIR/$s"
	series_patches "$s" | xargs -r rm -f
	if compgen -G "$tmp/*.patch" >/dev/null; then mv "$tmp"/*.patch "$SERIES_DIR/$s/"; fi
	rmdir "$tmp"
	refresh_cover "$s" "$base"
	log "exported $s: $(series_patches "$s" | wc -l) patches"
	base=$s
done
series_stamp > "$STATE/assembled"
series_heads > "$STATE/heads"
