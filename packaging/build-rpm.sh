#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# packaging/build-rpm.sh [OUTDIR]: the rpms from packaging/rpm/prezero.spec.
# Makes prezero-VERSION.tar.gz from the tree (tracked and new files, not
# ignored ones) and runs rpmbuild -bb in OUTDIR (default build/rpm); the
# rpms land in OUTDIR/RPMS/<arch>/. On Debian rpm's database knows none of
# the BuildRequires, so PREZERO_RPM_NODEPS=1 (the default when dpkg is
# there) passes --nodeps; the build still needs the -dev packages that
# scripts/install-deps.sh installs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$top/build/rpm}")
ver=$(sed -n '/^project.prezero VERSION/s/.*VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
[ -n "$ver" ] || { echo "build-rpm: no version in CMakeLists.txt" >&2; exit 1; }
nodeps=()
if [ "${PREZERO_RPM_NODEPS:-$(command -v dpkg >/dev/null && echo 1 || echo 0)}" = 1 ]; then
	nodeps=(--nodeps)
fi

rm -rf "$out"
mkdir -p "$out/SOURCES"
"$top/packaging/copy-tree.sh" "$out/stage/prezero-$ver"
tar -C "$out/stage" -czf "$out/SOURCES/prezero-$ver.tar.gz" "prezero-$ver"
rm -rf "$out/stage"
rpmbuild -bb "${nodeps[@]}" --define "_topdir $out" \
	"$top/packaging/rpm/prezero.spec" >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "build-rpm: rpmbuild failed (log: $out/build.log)" >&2
	exit 1
}
find "$out/RPMS" -name '*.rpm' | sort
