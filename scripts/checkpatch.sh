#!/bin/bash
# Run the kernel's checkpatch.pl over kmod/. checkpatch is not in Debian's
# headers packages; it comes from the linux-source-6.1 tarball, unpacked once
# into the cache. Prints one "ok/not ok" line per file; exit 1 on any finding.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${PREZERO_CACHE:-$HOME/.cache/prezero}/checkpatch
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [ ! -x "$cache/scripts/checkpatch.pl" ]; then
	[ -n "$tarball" ] || { echo "checkpatch: linux-source-6.1 is not installed (run scripts/install-deps.sh)" >&2; exit 2; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	tar -xJf "$tarball" -C "$tmp" --wildcards --strip-components=1 \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	mkdir -p "$cache"
	cp -r "$tmp/scripts" "$cache/"
fi
rc=0
# checkpatch writes a camelcase cache into its working directory.
cd "$cache"
for f in "$top"/kmod/*.[ch]; do
	out=$(perl "$cache/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types -f "$f" 2>&1) || true
	if grep -qE ': (WARNING|ERROR|CHECK):' <<<"$out"; then
		echo "not ok checkpatch ${f#"$top"/}"
		grep -E ': (WARNING|ERROR|CHECK):' <<<"$out" | sed 's/^/    /'
		rc=1
	else
		echo "ok checkpatch ${f#"$top"/}"
	fi
done
exit $rc
