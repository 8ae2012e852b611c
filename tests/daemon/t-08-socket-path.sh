#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# The socket path: a second daemon on a served path refuses to start and
# leaves the first one's socket alone; a stale socket (kill -9) is
# replaced; a file that is not a socket is never removed; the parent
# directory is created; --socket overrides the config.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

conf_head >"$CONF"

# 1. A second daemon on the same path.
daemon_start
first=$DPID
ino=$(stat -c %i "$SOCK")
run timeout 20 "$PREZEROD" --config "$CONF"
[ "$RC" -ne 124 ] || fail "a second prezerod started on a served path"
expect_rc 1 "second daemon on the same path"
expect_out "$SOCK" "the error names the path"
[ -S "$SOCK" ] || fail "the second daemon removed the first one's socket"
expect_eq "$(stat -c %i "$SOCK")" "$ino" "the socket file is the first one's"
ctl status --json
expect_rc 0 "the first daemon still serves"
expect_eq "$(jget "$OUT" 'd["daemon"]["pid"]')" "$first" "status comes from the first daemon"

# 2. kill -9 leaves a stale socket; the next start replaces it.
kill -KILL "$first"
daemon_wait "$first"
[ -S "$SOCK" ] || fail "no stale socket after kill -9 (test premise)"
ctl config show
expect_rc 5 "prezeroctl config show on a stale socket: prezerod not running"
daemon_start
expect_eq "$(jget - 'd["daemon"]["pid"]' < <("$PREZEROCTL" --socket "$SOCK" status --json))" "$DPID" "the new daemon serves the path"
daemon_stop

# 3. A file that is not a socket is left alone.
echo "precious" >"$SOCK"
run timeout 20 "$PREZEROD" --config "$CONF"
[ "$RC" -ne 124 ] || fail "prezerod started over a regular file"
expect_rc 1 "start with a regular file at the socket path"
expect_eq "$(cat "$SOCK" 2>/dev/null)" precious "the regular file is untouched"
rm -f "$SOCK"

# 4. The parent directory is created, mode 0755 (one level, as for
# /run/prezerod without systemd's RuntimeDirectory=).
sub=$PZ_TMP/run
{ printf '[daemon]\nsocket = %s/p.sock\n' "$sub"; } >"$CONF"
spawn "$PREZEROD" --config "$CONF"
wait_ready "$sub/p.sock"
expect_eq "$(stat -c %a "$sub")" 755 "mode of the created directory"
expect_eq "$(stat -c %a "$sub/p.sock")" 666 "mode of the socket"
daemon_stop "$sub/p.sock"

# 5. --socket wins over the config.
conf_head >"$CONF"
OTHER=$PZ_TMP/other.sock
spawn "$PREZEROD" --config "$CONF" --socket "$OTHER"
wait_ready "$OTHER"
[ ! -e "$SOCK" ] || fail "the config's socket was bound despite --socket"
run "$PREZEROCTL" --socket "$OTHER" reload
expect_rc 0 "reload with --socket"
ping_ok "$OTHER" || fail "--socket is not served after a reload"
[ ! -e "$SOCK" ] || fail "a reload bound the config's socket"
say "ok: --socket kept across reload"
daemon_stop "$OTHER"
