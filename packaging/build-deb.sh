#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# packaging/build-deb.sh [OUTDIR]: the Debian packages, built in a clean
# copy of the tree so the .debs land in OUTDIR (default build/deb) and the
# working tree gets no build products. Prints the .debs' paths.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$top/build/deb}")
ver=$(sed -n 's/^project(prezero VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[ -n "$ver" ] || { echo "build-deb: no version in CMakeLists.txt" >&2; exit 1; }
src=$out/prezero-$ver

rm -rf "$src"
rm -f "$out"/prezero*.deb "$out"/prezero_*.buildinfo "$out"/prezero_*.changes
mkdir -p "$src"
"$top/packaging/copy-tree.sh" "$src"
ln -sfn packaging/debian "$src/debian"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=2 ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
rm -rf "$src"
ls "$out"/*.deb
