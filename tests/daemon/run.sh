#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# Host integration tests of prezerod: run the real daemon and prezeroctl
# binaries on this machine, without the prezero module (prezerod runs
# degraded), as root. The module's side is tested in VMs (tests/vm/).
#
# Usage: tests/daemon/run.sh [options] [SCENARIO...]
#   SCENARIO            t-*.sh names in tests/daemon/ (".sh" optional, globs
#                       allowed: "t-0[1-3]*", and prefixes: "t-05");
#                       default: all t-*.sh
#   --build-dir DIR     build tree with daemon/prezerod and client/prezeroctl
#                       (default: build, in the repo)
#   --wrapper "CMD"     put CMD before every prezerod the scenarios start,
#                       e.g. "valgrind --error-exitcode=99 --leak-check=full";
#                       waits are then scaled by 10 (also: environment
#                       PREZERO_DAEMON_WRAPPER)
#   --timeout SECS      per-scenario limit (default 180; a scenario's
#                       `# pz-timeout: N` line wins, scaled with --wrapper)
#   --keep              keep every scenario's directory (default: only
#                       those of failed scenarios)
#   -h, --help          this text
# Each scenario runs in a fresh directory (config, socket, daemon log) with
# PZ_BUILD, PZ_TMP and PREZERO_DAEMON_WRAPPER set, sources lib.sh, and
# passes by exiting 0 (77: skipped, a needed program is missing). Prints
# `ok N name`, `not ok N name` (with the scenario's log) or `skip N name:
# reason` per scenario, then the line `N passed, M failed` (plus
# `, K skipped` if any). Exits 1 if any scenario failed, 2 on usage errors.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 2; }
usage() {
	sed -n '3,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

build="" wrapper=${PREZERO_DAEMON_WRAPPER:-} limit=180 keep=0 args=()
while (($#)); do
	case $1 in
	--build-dir) [ $# -ge 2 ] || die "--build-dir wants a directory"; build=$2; shift 2 ;;
	--wrapper) [ $# -ge 2 ] || die "--wrapper wants a command"; wrapper=$2; shift 2 ;;
	--timeout) [ $# -ge 2 ] || die "--timeout wants seconds"; limit=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) usage ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) args+=("$1"); shift ;;
	esac
done
[[ $limit =~ ^[0-9]+$ ]] || die "--timeout wants seconds"
build=$(realpath -m "${build:-$repo/build}")
[ -x "$build/daemon/prezerod" ] || die "no $build/daemon/prezerod"
[ -x "$build/client/prezeroctl" ] || die "no $build/client/prezeroctl"
[ "$(id -u)" -eq 0 ] || die "the daemon tests need root"
command -v python3 >/dev/null || die "python3 is needed"
scale=1
[ -n "$wrapper" ] && scale=10

scenarios=()
[ ${#args[@]} -gt 0 ] || args=('t-*')
for s in "${args[@]}"; do
	s=${s%.sh}
	if [[ $s == *[*?[]* ]]; then
		for f in "$here"/$s.sh; do
			[ -f "$f" ] && scenarios+=("$(basename "$f" .sh)")
		done
	elif [ -f "$here/$s.sh" ]; then
		scenarios+=("$s")
	else
		# A prefix: "t-05" for t-05-malformed.
		m=("$here/$s"-*.sh)
		[ -f "${m[0]}" ] || die "no scenario $here/$s.sh"
		for f in "${m[@]}"; do scenarios+=("$(basename "$f" .sh)"); done
	fi
done
[ ${#scenarios[@]} -gt 0 ] || die "no scenario matches ${args[*]}"

# kill_leftovers DIR: processes a scenario registered and left running
# (its own trap should have killed them; this covers a scenario killed by
# the timeout while it waited for a command).
kill_leftovers() {
	local p
	[ -f "$1/pids" ] || return 0
	while read -r p; do
		if [ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null && echo "# run.sh: killed leftover process $p"
		fi
	done <"$1/pids"
}

n=0 npass=0 nfail=0 nskip=0
for s in "${scenarios[@]}"; do
	n=$((n + 1))
	tmp=$(mktemp -d "/tmp/pzd-$s.XXXXXX")
	chmod 0755 "$tmp"
	t=$(sed -n 's/^# pz-timeout: *\([0-9]\+\).*/\1/p' "$here/$s.sh" | head -n1)
	t=$(( ${t:-$limit} * scale ))
	PZ_BUILD=$build PZ_TMP=$tmp PREZERO_DAEMON_WRAPPER=$wrapper \
		PZ_TIMEOUT_SCALE=$scale \
		timeout -k 10 "$t" bash "$here/$s.sh" >"$tmp/test.log" 2>&1
	rc=$?
	kill_leftovers "$tmp"
	case $rc in
	0)
		echo "ok $n $s"
		npass=$((npass + 1))
		;;
	77)
		echo "skip $n $s: $(grep -m1 '^SKIP' "$tmp/test.log" | sed 's/^SKIP: //')"
		nskip=$((nskip + 1))
		;;
	*)
		why="exit $rc"
		[ $rc -eq 124 ] && why="timed out after ${t}s"
		echo "not ok $n $s ($why; logs: $tmp)"
		sed 's/^/    /' "$tmp/test.log" | tail -n 60
		nfail=$((nfail + 1))
		;;
	esac
	if [ "$keep" -eq 0 ] && { [ $rc -eq 0 ] || [ $rc -eq 77 ]; }; then
		rm -rf "$tmp"
	fi
done

skipped=""
[ $nskip -gt 0 ] && skipped=", $nskip skipped"
echo "$npass passed, $nfail failed$skipped"
[ $nfail -eq 0 ]
