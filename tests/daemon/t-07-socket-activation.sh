#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# Socket activation: systemd-socket-activate listens, the first connection
# execs prezerod with LISTEN_FDS=1; prezerod serves that socket (not its
# configured path) and does not unlink it when it stops.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need systemd-socket-activate

ACT=$PZ_TMP/act.sock
conf_head >"$CONF"

# systemd-socket-activate execs prezerod in place, so DPID is the daemon.
# shellcheck disable=SC2086 # the wrapper is a command line
spawn systemd-socket-activate -l "$ACT" $PREZERO_DAEMON_WRAPPER "$PREZEROD" --config "$CONF"
wait_for 10 "the activation socket" test -S "$ACT"
# Nothing started yet: no daemon on the configured path.
[ ! -e "$SOCK" ] || fail "prezerod bound its own socket before activation"

# The first connection starts the daemon and is served.
run "$PREZEROCTL" --socket "$ACT" status
expect_rc 0 "status through the activation socket"
expect_out 'module not loaded' "status is the daemon's"
wait_ready "$ACT"
run "$PREZEROCTL" --socket "$ACT" status --json
expect_rc 0 "status --json"
expect_eq "$(jget "$OUT" 'd["daemon"]["pid"]')" "$DPID" "the activated daemon answers"
[ ! -e "$SOCK" ] || fail "prezerod bound $SOCK although a socket was passed"
say "ok: the configured path was not bound"

# reload keeps serving the passed socket.
run "$PREZEROCTL" --socket "$ACT" reload
expect_rc 0 "reload"
run "$PREZEROCTL" --socket "$ACT" status
expect_rc 0 "status after reload"

# Stop: exit 0, the passed socket stays (it belongs to the manager).
daemon_stop -
[ -S "$ACT" ] || fail "prezerod unlinked the socket it was given"
say "ok: the activation socket is still there"
[ ! -e "$SOCK" ] || fail "$SOCK exists after stop"
