#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# prezeroctl with and without a daemon: the module commands refuse while
# prezerod runs (exit 1, with the hint), the daemon commands exit 5 when no
# prezerod runs; status falls back to the module (not loaded here: 3).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

conf_head >"$CONF"
NONE=$PZ_TMP/nonexistent/prezerod.sock

# No daemon.
run "$PREZEROCTL" --socket "$NONE" config show
expect_rc 5 "config show without a daemon"
run "$PREZEROCTL" --socket "$NONE" reload
expect_rc 5 "reload without a daemon"
run "$PREZEROCTL" --socket "$NONE" node 0 disable
expect_rc 5 "node 0 disable without a daemon"
run env PREZERO_SOCKET="$NONE" "$PREZEROCTL" config show
expect_rc 5 "config show without a daemon, path from PREZERO_SOCKET"
run "$PREZEROCTL" --socket "$NONE" status
expect_rc 3 "status without daemon and module: module not loaded"
run "$PREZEROCTL" --socket "$NONE" budget 0 1G
expect_rc 3 "budget without daemon and module: module not loaded"

# A daemon.
daemon_start
for c in "budget 0 1G" "budget all 0" "enable 0" "disable all"; do
	# shellcheck disable=SC2086 # c is a command line
	ctl $c
	expect_rc 1 "$c while prezerod runs"
	expect_out 'prezerod' "$c: the refusal names prezerod"
	expect_out "prezeroctl node|--force" "$c: the refusal hints at what to do"
done
# The path can come from the environment too.
run env PREZERO_SOCKET="$SOCK" "$PREZEROCTL" budget 0 1G
expect_rc 1 "budget with PREZERO_SOCKET naming a running daemon"
# With --force the module is asked, and it is not loaded.
ctl --force budget 0 1G
expect_rc 3 "budget --force: module not loaded"
run env PREZERO_SOCKET="$SOCK" "$PREZEROCTL" config show
expect_rc 0 "config show with PREZERO_SOCKET"
# Usage errors are 2 and send nothing.
ctl node 0 cap
expect_rc 2 "node 0 cap without a rate"
ctl node 0 frobnicate
expect_rc 2 "an unknown node action"
ctl node x disable
expect_rc 2 "a bad node"
ctl node 0 cap 2T
expect_rc 2 "a rate above 1 TiB"
config_json
expect_eq "$(jget "$PZ_TMP/config.json" 'd["overrides"]')" "[]" "the usage errors changed nothing"
ctl node 999 disable
expect_rc 1 "a node that does not exist"
daemon_stop
