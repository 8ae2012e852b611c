#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# packaging/copy-tree.sh DEST: copy the source tree to DEST for a package
# build: in a git checkout the tracked and new files, not ignored ones
# (build directories, caches); otherwise everything but build*/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$1
mkdir -p "$dest"
cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Files deleted but not yet committed are skipped.
	git ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
		done | xargs -0 -r cp --parents -d -t "$dest"
else
	for f in * .[!.]*; do
		case $f in build | build-* | .git) continue ;; esac
		cp -a "$f" "$dest/"
	done
fi
[ -f "$dest/CMakeLists.txt" ] && [ -f "$dest/packaging/debian/rules" ] || {
	echo "copy-tree: incomplete copy in $dest" >&2
	exit 1
}
