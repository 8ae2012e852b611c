#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# prezerod under valgrind (memcheck, full leak check) through a bit of
# everything: status, config show, overrides, reloads good and bad, SIGHUP,
# malformed and too-large requests, busy, an idle client, then SIGTERM. Exit
# 99 (valgrind errors, leaks included) fails.
# pz-timeout: 300
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need valgrind

VLOG=$PZ_TMP/valgrind.log
PREZERO_DAEMON_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full
 --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
 --track-fds=no --log-file=$VLOG"
PZ_TIMEOUT_SCALE=$(awk -v s="$PZ_TIMEOUT_SCALE" 'BEGIN { print (s < 10) ? 10 : s }')
export PZ_TIMEOUT_SCALE

{
	conf_head
	printf 'interval_ms = 100\n[policy]\nrate = 64M\n[node 0]\nburst = 128M\n'
} >"$CONF"
daemon_start
exe=$(readlink "/proc/$DPID/exe")
case $exe in
*memcheck*) say "prezerod under valgrind: pid $DPID ($exe)" ;;
*) fail "prezerod $DPID is not running under valgrind: $exe" ;;
esac

for i in 1 2 3; do
	ctl status --json
	expect_rc 0 "status --json ($i)"
done
ctl status
expect_rc 0 "status"
ctl config show
expect_rc 0 "config show"
ctl node 0 cap 16M
expect_rc 0 "node 0 cap 16M"
ctl node all disable
expect_rc 0 "node all disable"
ctl node 0 reset
expect_rc 0 "node 0 reset"

# Reloads, good and bad.
cp "$CONF" "$CONF.good"
{ conf_head; printf '[policy]\nrate = lots\n'; } >"$CONF"
ctl reload
expect_rc 1 "reload of a bad file"
kill -HUP "$DPID"
cp "$CONF.good" "$CONF"
ctl reload
expect_rc 0 "reload of a good file"
kill -HUP "$DPID"

# Malformed requests, on one connection and on several.
run python3 "$RAWCLIENT" send "$SOCK" --replies 6 < <(printf '%s\n' \
	'nonsense' '[1]' '{"cmd":"frobnicate","id":{"a":[1,2]}}' \
	'{"cmd":"status","node":"x"}' '{"cmd":"node-set","node":0,"rate":-5}' \
	'{"cmd":"ping"} trailing')
[ "$(grep -c '"ok": *false' "$OUT")" -eq 6 ] || { cat "$OUT"; fail "six errors expected"; }
say "ok: six malformed requests refused"
python3 -c 'import sys; sys.stdout.buffer.write(b"y" * 70000 + b"\n")' >"$PZ_TMP/big"
run python3 "$RAWCLIENT" send "$SOCK" --close <"$PZ_TMP/big"
expect_out 'too-large' "too-large"
run python3 "$RAWCLIENT" idle "$SOCK" --data '{"cmd":' --timeout 60
expect_out '^CLOSED$' "an idle client closed"
run python3 "$RAWCLIENT" busy "$SOCK" 66
expect_out '^served=64 refused=2 codes=busy$' "busy"
status_after() { ctl status && [ "$RC" -eq 0 ]; }
wait_for 10 "status after the busy test" status_after

daemon_stop
if [ -s "$VLOG" ]; then
	echo "--- valgrind log ---"
	cat "$VLOG"
fi
# --quiet: the log has something only when valgrind found something.
grep -q 'ERROR SUMMARY: [1-9]' "$VLOG" && fail "valgrind reported errors"
say "ok: valgrind is quiet"
