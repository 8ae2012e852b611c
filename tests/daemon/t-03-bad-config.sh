#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# Invalid configs at start: exit 1 with FILE:LINE: reason on stderr and no
# socket; --check-config says the same; a good file passes --check-config.
# Usage errors exit 2; --help and --version exit 0.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BAD=$PZ_TMP/bad.conf

# bad_case LINE DESC: $BAD (written by the caller) is invalid at LINE
# (several lines allowed: "3|4").
bad_case() {
	local line=$1 desc=$2
	say "--- $desc"
	run "$PREZEROD" --config "$BAD"
	expect_rc 1 "start with $desc"
	expect_out "^(<[0-9]>)?.*$BAD:($line): [^ ]" "start: $BAD:LINE: reason for $desc"
	[ ! -e "$SOCK" ] || fail "a socket was created despite $desc"
	run "$PREZEROD" --config "$BAD" --check-config
	expect_rc 1 "--check-config with $desc"
	expect_out "$BAD:($line): [^ ]" "--check-config: $BAD:LINE: reason for $desc"
}

{ conf_head; echo "interval_ms = 5"; } >"$BAD"
bad_case 3 "interval_ms below its range"

{ conf_head; printf 'interval_ms = 250\n[policy]\nidle_min_pct = 90\nbogus_key = 1\n'; } >"$BAD"
bad_case 6 "an unknown key"

{ conf_head; printf '[bogus]\nfoo = 1\n'; } >"$BAD"
bad_case "3|4" "an unknown section"

{ conf_head; printf '[policy]\n[nodes]\n'; } >"$BAD"
bad_case 4 "an unknown, empty section"

{ conf_head; printf '[policy]\nrate = 12Q\n'; } >"$BAD"
bad_case 4 "a bad size"

{ conf_head; printf '[policy]\nrate = 2T\n'; } >"$BAD"
bad_case 4 "a rate above 1 TiB"

{ conf_head; printf '[policy]\nenabled = perhaps\n'; } >"$BAD"
bad_case 4 "a bad flag"

{ conf_head; printf 'this line has no equals sign\n'; } >"$BAD"
bad_case 3 "a line that is not key = value"

{ conf_head; printf 'log_level = loud\n'; } >"$BAD"
bad_case 3 "a bad log level"

{ conf_head; printf 'admin_group = pz-no-such-group-x\n'; } >"$BAD"
getent group pz-no-such-group-x >/dev/null && fail "the host has group pz-no-such-group-x"
bad_case 3 "an admin_group that does not exist"

{ conf_head; printf '[node 256]\nenabled = no\n'; } >"$BAD"
bad_case "3|4" "a node id out of range"

{ printf '[daemon]\nsocket = relative/path.sock\n'; } >"$BAD"
bad_case 2 "a relative socket path"

# A file that cannot be read: FILE: reason.
run "$PREZEROD" --config "$PZ_TMP/missing.conf"
expect_rc 1 "start with a missing --config file"
expect_out "$PZ_TMP/missing.conf: [^ ]" "the missing file is named"
run "$PREZEROD" --config "$PZ_TMP/missing.conf" --check-config
expect_rc 1 "--check-config with a missing file"

# A good file.
{
	conf_head
	printf 'interval_ms = 500\nlog_level = debug\n'
	printf '[policy]\nrate = 128M\nburst = 0\nidle_min_pct = 85.5\n'
	printf '[node 0]\nenabled = yes\nrate = 64M\n'
} >"$CONF"
run "$PREZEROD" --config "$CONF" --check-config
expect_rc 0 "--check-config with a good file"
expect_out "^$CONF: ok$" "--check-config prints FILE: ok"
[ ! -e "$SOCK" ] || fail "--check-config created the socket"
# The shipped example config is valid too.
if [ -f "$PZ_REPO/packaging/prezerod.conf" ]; then
	run "$PREZEROD" --config "$PZ_REPO/packaging/prezerod.conf" --check-config
	expect_rc 0 "--check-config with packaging/prezerod.conf"
fi

# Usage errors: 2, nothing started.
run "$PREZEROD" --no-such-option
expect_rc 2 "an unknown option"
run "$PREZEROD" --config
expect_rc 2 "--config without its argument"
run "$PREZEROD" --config "$CONF" extra-argument
expect_rc 2 "an extra argument"
run "$PREZEROD" --config "$CONF" --log-level loud --check-config
[ "$RC" -ne 0 ] || fail "--log-level loud was accepted"
say "ok: --log-level loud refused (exit $RC)"
[ ! -e "$SOCK" ] || fail "a usage error created the socket"

run "$PREZEROD" --help
expect_rc 0 "--help"
expect_out '--config' "--help lists --config"
expect_out '--check-config' "--help lists --check-config"
run "$PREZEROD" --version
expect_rc 0 "--version"
ver=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$PZ_BUILD/CMakeCache.txt")
[ -n "$ver" ] && expect_out "$ver" "--version prints $ver"

# The good file starts.
daemon_start
config_json
expect_eq "$(jget "$PZ_TMP/config.json" 'd["config"]["policy"]["rate"]')" $((128 << 20)) "policy.rate from the file"
expect_eq "$(jget "$PZ_TMP/config.json" 'd["config"]["daemon"]["interval_ms"]')" 500 "daemon.interval_ms from the file"
expect_eq "$(jget "$PZ_TMP/config.json" 'd["config"]["node 0"]["rate"]')" $((64 << 20)) "node 0 rate from the file"
expect_eq "$(jget "$PZ_TMP/config.json" 'd["path"]')" "$CONF" "config path"
grep -q '^<7>' "$DLOG" || fail "log_level = debug: no <7> message in the log"
say "ok: debug messages are logged"
daemon_stop
