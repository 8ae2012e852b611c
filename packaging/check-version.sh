#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# packaging/check-version.sh: the one version is CMakeLists.txt's
# project(VERSION); debian/changelog's upstream version and the rpm spec's
# Version: must say the same. Bump all three together.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cm=$(sed -n '/^project.prezero VERSION/s/.*VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
deb=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -SVersion | sed 's/-[^-]*$//')
rpm=$(sed -n 's/^Version:[[:space:]]*//p' "$top/packaging/rpm/prezero.spec")
echo "CMakeLists.txt $cm, debian/changelog $deb, prezero.spec $rpm"
[ -n "$cm" ] && [ "$cm" = "$deb" ] && [ "$cm" = "$rpm" ] || {
	echo "check-version: the versions differ" >&2
	exit 1
}
