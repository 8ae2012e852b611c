# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# shellcheck shell=bash
# Shared helpers of the host integration tests (tests/daemon/t-*.sh), sourced
# by each scenario. run.sh sets:
#   PZ_BUILD   the build tree (daemon/prezerod, client/prezeroctl)
#   PZ_TMP     a fresh directory for this scenario (mode 0755, so that an
#              unprivileged peer reaches sockets in it)
#   PREZERO_DAEMON_WRAPPER  optional command put before every prezerod
#              started by daemon_start (e.g. valgrind ...)
#   PZ_TIMEOUT_SCALE  multiplies every wait (slow wrappers)
# A scenario fails with `fail MSG` (or any helper failing) and passes by
# reaching its end. Every process it starts is killed on exit, whatever
# happens.

set -uo pipefail

PZ_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PZ_REPO=$(cd "$PZ_HERE/../.." && pwd)
PZ_BUILD=${PZ_BUILD:-$PZ_REPO/build}
if [ -z "${PZ_TMP:-}" ]; then
	PZ_TMP=$(mktemp -d /tmp/pzd-test.XXXXXX)
	chmod 0755 "$PZ_TMP"
fi
PZ_TIMEOUT_SCALE=${PZ_TIMEOUT_SCALE:-1}
export PZ_TIMEOUT_SCALE
PREZERO_DAEMON_WRAPPER=${PREZERO_DAEMON_WRAPPER:-}

PREZEROD=$PZ_BUILD/daemon/prezerod
PREZEROCTL=$PZ_BUILD/client/prezeroctl
RAWCLIENT=$PZ_HERE/rawclient.py
SOCK=$PZ_TMP/prezerod.sock
CONF=$PZ_TMP/prezerod.conf
DLOG=$PZ_TMP/daemon.log		# the daemon's stderr
OUT=$PZ_TMP/out			# output of the last ctl/run
PIDS=$PZ_TMP/pids		# every process started, for the cleanup
DPID=""				# the daemon started last
RC=0				# status of the last ctl/run/daemon_stop

# Keep prezeroctl from finding another socket through the environment.
unset PREZERO_SOCKET NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID LISTEN_FDS \
	LISTEN_PID LISTEN_FDNAMES

say() { printf '# %s\n' "$*"; }

fail() {
	printf 'FAIL: %s\n' "$*"
	if [ -s "$DLOG" ]; then
		echo "--- daemon log (last 25 lines) ---"
		tail -n 25 "$DLOG"
	fi
	exit 1
}

_cleanup() {
	local p
	[ -f "$PIDS" ] || return 0
	while read -r p; do
		if pid_alive "$p"; then
			kill -KILL "$p" 2>/dev/null
			echo "cleanup: killed $p"
		fi
	done <"$PIDS"
	wait 2>/dev/null
	return 0
}
trap _cleanup EXIT
trap 'exit 143' TERM INT HUP

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# scaled SECONDS: a wait scaled by PZ_TIMEOUT_SCALE.
scaled() { awk -v s="$1" -v f="$PZ_TIMEOUT_SCALE" 'BEGIN { print s * f }'; }

# wait_for SECONDS DESC CMD...: poll CMD until it succeeds; fail after
# SECONDS (scaled). A bounded wait, not a timing assertion. On a timeout
# the function named by WAIT_FOR_DUMP, if set, shows what was seen.
wait_for() {
	local limit desc end
	limit=$(scaled "$1") desc=$2
	shift 2
	end=$(awk -v l="$limit" -v n="$(date +%s.%N)" 'BEGIN { printf "%.3f", n + l }')
	until "$@" >/dev/null 2>&1; do
		if awk -v e="$end" -v n="$(date +%s.%N)" 'BEGIN { exit !(n > e) }'; then
			[ -z "${WAIT_FOR_DUMP:-}" ] || "$WAIT_FOR_DUMP"
			fail "timed out after ${limit}s waiting for: $desc"
		fi
		sleep 0.1
	done
}

# conf_head: the [daemon] section every test config starts with; more
# [daemon] keys may follow it.
conf_head() {
	printf '[daemon]\nsocket = %s\n' "$SOCK"
}

# run CMD...: run, output (stdout and stderr) in $OUT, status in $RC.
run() {
	"$@" >"$OUT" 2>&1
	RC=$?
	return 0
}

# ctl ARGS...: prezeroctl on the test socket, like run.
ctl() { run "$PREZEROCTL" --socket "$SOCK" "$@"; }

# expect_rc WANT DESC: the last run/ctl exited WANT.
expect_rc() {
	if [ "$RC" -ne "$1" ]; then
		echo "--- output ---"
		cat "$OUT"
		fail "$2: exit status $RC, expected $1"
	fi
	say "ok: $2 (exit $RC)"
}

# expect_out REGEX DESC: the last output matches (grep -E).
expect_out() {
	if ! grep -Eq -- "$1" "$OUT"; then
		echo "--- output ---"
		cat "$OUT"
		fail "$2: output does not match /$1/"
	fi
	say "ok: $2"
}

# expect_no_out REGEX DESC
expect_no_out() {
	if grep -Eq -- "$1" "$OUT"; then
		echo "--- output ---"
		cat "$OUT"
		fail "$2: output matches /$1/"
	fi
	say "ok: $2"
}

# jget FILE EXPR: evaluate the Python expression EXPR with d = the JSON
# document in FILE (or, with FILE "-", on standard input); strings print
# bare, everything else as JSON. Fails the test if FILE is not JSON.
jget() {
	local r
	if ! r=$(python3 -c '
import json, sys
src = sys.stdin if sys.argv[1] == "-" else open(sys.argv[1])
d = json.load(src)
v = eval(sys.argv[2], {"d": d})
print(v if isinstance(v, str) else json.dumps(v))
' "$1" "$2" 2>&1); then
		echo "--- $1 ---"
		[ "$1" = - ] || cat "$1"
		fail "jget $2: $r"
	fi
	printf '%s\n' "$r"
}

# expect_eq GOT WANT DESC
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
	say "ok: $3 ($1)"
}

# spawn CMD...: start CMD in the background, stdout and stderr appended to
# $DLOG; sets DPID and registers the process for the cleanup.
spawn() {
	"$@" >>"$DLOG" 2>&1 &
	DPID=$!
	echo "$DPID" >>"$PIDS"
}

# ping_ok [SOCKET]: a ping on SOCKET (default $SOCK) is answered ok.
ping_ok() {
	printf '{"cmd":"ping"}\n' |
		python3 "$RAWCLIENT" send "${1:-$SOCK}" 2>/dev/null |
		grep -q '"ok": *true'
}

# wait_ready [SOCKET]: wait until the daemon $DPID answers on SOCKET; fail
# if it exits first.
wait_ready() {
	local s=${1:-$SOCK} end
	end=$(( $(date +%s) + $(scaled 20 | cut -d. -f1) ))
	until ping_ok "$s"; do
		pid_alive "$DPID" || { wait "$DPID"; fail "prezerod exited ($?) before serving $s"; }
		[ "$(date +%s)" -le "$end" ] || fail "prezerod did not serve $s in time"
		sleep 0.1
	done
	say "prezerod $DPID serves $s"
}

# daemon_start [ARGS...]: start prezerod (behind $PREZERO_DAEMON_WRAPPER)
# with $CONF and ARGS and wait until it serves $SOCK.
daemon_start() {
	# shellcheck disable=SC2086 # the wrapper is a command line
	spawn $PREZERO_DAEMON_WRAPPER "$PREZEROD" --config "$CONF" "$@"
	wait_ready "$SOCK"
}

# daemon_wait PID: wait for PID to exit (killing it after a while); RC is
# its exit status.
daemon_wait() {
	local end
	end=$(( $(date +%s) + $(scaled 30 | cut -d. -f1) ))
	while pid_alive "$1"; do
		if [ "$(date +%s)" -gt "$end" ]; then
			kill -KILL "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			fail "prezerod $1 did not exit"
		fi
		sleep 0.1
	done
	wait "$1"
	RC=$?
}

# daemon_stop [SOCKET]: SIGTERM the daemon $DPID; it must exit 0 (99 is
# valgrind's error status) and have removed SOCKET (default $SOCK; "-" to
# skip that check).
daemon_stop() {
	local s=${1:-$SOCK}
	kill -TERM "$DPID" || fail "prezerod $DPID is gone before SIGTERM"
	daemon_wait "$DPID"
	[ "$RC" -ne 99 ] || fail "valgrind found errors in prezerod (exit 99)"
	[ "$RC" -eq 0 ] || fail "prezerod exited $RC on SIGTERM, expected 0"
	say "ok: prezerod stopped with status 0"
	if [ "$s" != - ] && [ -e "$s" ]; then
		fail "prezerod left its socket $s behind"
	fi
}

# status_json [NODE]: `prezeroctl status --json` into $PZ_TMP/status.json.
status_json() {
	ctl status --json "$@"
	expect_rc 0 "status --json $*"
	cp "$OUT" "$PZ_TMP/status.json"
	python3 -m json.tool "$OUT" >/dev/null || fail "status --json is not JSON"
}

# config_json: `prezeroctl config show --json` into $PZ_TMP/config.json.
config_json() {
	ctl config show --json
	expect_rc 0 "config show --json"
	cp "$OUT" "$PZ_TMP/config.json"
	python3 -m json.tool "$OUT" >/dev/null || fail "config show --json is not JSON"
}

# psi_trigger_possible STALL_MS [CMD...]: a memory PSI trigger like
# prezerod's can be armed by CMD (e.g. setpriv with the daemon's
# privileges; default: this shell's): STALL_MS per 1 s window, or, where
# that needs CAP_SYS_RESOURCE (Linux 6.5+), twice the stall per 2 s window.
psi_trigger_possible() {
	local ms=$1
	shift
	"$@" /usr/bin/python3 -c '
import os, sys
us = int(sys.argv[1]) * 1000
for stall, window in ((us, 1000000), (2 * us, 2000000)):
    try:
        fd = os.open("/proc/pressure/memory", os.O_RDWR | os.O_NONBLOCK)
        os.write(fd, b"some %d %d\0" % (stall, window))
        sys.exit(0)
    except OSError:
        pass
sys.exit(1)' "$ms" 2>/dev/null
}

# need PROGRAM...: the test cannot run without these (exit 77: skipped).
need() {
	local p
	for p; do
		command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p not installed"; exit 77; }
	done
}

[ -x "$PREZEROD" ] || fail "no $PREZEROD (build the prezerod target)"
[ -x "$PREZEROCTL" ] || fail "no $PREZEROCTL (build the prezeroctl target)"
