#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# sd_notify: READY=1, a STATUS= line saying the module is not loaded,
# STOPPING=1 on SIGTERM; WATCHDOG=1 pings when WATCHDOG_USEC and a matching
# WATCHDOG_PID are set, none without them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

conf_head >"$CONF"
NS=$PZ_TMP/notify.sock
NOUT=$PZ_TMP/notify.txt
: >"$NOUT"
spawn python3 "$PZ_HERE/notify.py" "$NS" "$NOUT"
wait_for 10 "the notify receiver's socket" test -S "$NS"

# notified PID REGEX: a line from PID matches.
notified() { grep -Eq "^$1 $2" "$NOUT"; }

# 1. Without a watchdog.
NOTIFY_SOCKET=$NS daemon_start
pid1=$DPID
wait_for 10 "READY=1 from $pid1" notified "$pid1" 'READY=1$'
wait_for 10 "STATUS= from $pid1" notified "$pid1" 'STATUS='
grep -E "^$pid1 STATUS=" "$NOUT" >"$OUT"
expect_out 'STATUS=.*module not loaded' "STATUS mentions the module is not loaded"
# READY=1 comes once the socket is served: ping answered, so it is there.
daemon_stop
wait_for 10 "STOPPING=1 from $pid1" notified "$pid1" 'STOPPING=1$'
grep -E "^$pid1 " "$NOUT" >"$OUT"
expect_no_out "^$pid1 WATCHDOG=1" "no watchdog pings without WATCHDOG_USEC"
# STOPPING=1 after READY=1.
ready_line=$(grep -n -m1 -E "^$pid1 READY=1$" "$NOUT" | cut -d: -f1)
stop_line=$(grep -n -m1 -E "^$pid1 STOPPING=1$" "$NOUT" | cut -d: -f1)
[ "$ready_line" -lt "$stop_line" ] || fail "STOPPING=1 came before READY=1"

# 2. With a 2 s watchdog: a wrapper execs prezerod, so WATCHDOG_PID is the
# daemon's pid.
# shellcheck disable=SC2086 # the wrapper is a command line
spawn env NOTIFY_SOCKET="$NS" WATCHDOG_USEC=2000000 bash -c \
	'export WATCHDOG_PID=$$; exec "$@"' pz-watchdog \
	$PREZERO_DAEMON_WRAPPER "$PREZEROD" --config "$CONF"
wait_ready
pid2=$DPID
wait_for 10 "READY=1 from $pid2" notified "$pid2" 'READY=1$'
watchdog_pings() { [ "$(grep -cE "^$pid2 WATCHDOG=1$" "$NOUT")" -ge "$1" ]; }
wait_for 20 "three WATCHDOG=1 pings from $pid2" watchdog_pings 3
# The daemon keeps serving between pings.
ctl status
expect_rc 0 "status with the watchdog on"
daemon_stop
wait_for 10 "STOPPING=1 from $pid2" notified "$pid2" 'STOPPING=1$'

# 3. WATCHDOG_PID naming another process: no pings (sd_watchdog_enabled).
NOTIFY_SOCKET=$NS WATCHDOG_USEC=2000000 WATCHDOG_PID=1 daemon_start
pid3=$DPID
wait_for 10 "READY=1 from $pid3" notified "$pid3" 'READY=1$'
# Run for longer than the watchdog period (3 ping periods) before looking.
ctl status
sleep 3
ctl status
expect_rc 0 "status"
daemon_stop
grep -E "^$pid3 " "$NOUT" >"$OUT"
expect_no_out 'WATCHDOG=1' "no pings when WATCHDOG_PID is another process"
