#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# Reload by SIGHUP and by `prezeroctl reload`: a bad file is refused
# (FILE:LINE in the log / the bad-config error) and the old config stays;
# a good one takes effect; runtime overrides survive reloads.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# write_conf INTERVAL [EXTRA LINE]: the config with interval_ms INTERVAL and
# [policy] rate 100M, with an optional bad line as line 5.
write_conf() {
	{
		conf_head
		echo "interval_ms = $1"
		echo "[policy]"
		[ $# -lt 2 ] || echo "$2"
		echo "rate = 100M"
	} >"$CONF.new"
	mv "$CONF.new" "$CONF"
}

# effective INTERVAL: config show and status both say interval_ms INTERVAL.
effective() {
	ctl config show --json && [ "$RC" -eq 0 ] &&
		[ "$(jget "$OUT" 'd["config"]["daemon"]["interval_ms"]')" = "$1" ] &&
		ctl status --json && [ "$RC" -eq 0 ] &&
		[ "$(jget "$OUT" 'd["daemon"]["interval_ms"]')" = "$1" ]
}
expect_effective() {
	effective "$1" || fail "interval_ms is not $1 (${2})"
	say "ok: interval_ms is $1 ($2)"
}

write_conf 200
daemon_start
expect_effective 200 "at start"

# A runtime override, which every reload must keep.
ctl node 0 cap 32M 64M
expect_rc 0 "node 0 cap 32M 64M"
has_override() {
	status_json 0 >/dev/null
	[ "$(jget "$PZ_TMP/status.json" 'd["nodes"][0]["override"].get("rate")')" = $((32 << 20)) ]
}

# 1. SIGHUP with a bad file: the log names FILE:5, nothing changes.
write_conf 300 "idle_min_pct = 250"
log_lines=$(wc -l <"$DLOG")
kill -HUP "$DPID"
bad_logged() { tail -n +"$((log_lines + 1))" "$DLOG" | grep -q "$CONF:5: "; }
wait_for 10 "$CONF:5: in the log after SIGHUP" bad_logged
pid_alive "$DPID" || fail "prezerod died of a bad reload"
expect_effective 200 "after SIGHUP with a bad file"
has_override || fail "the override is gone after a refused reload"

# 2. SIGHUP with a good file: the change shows.
write_conf 300
kill -HUP "$DPID"
wait_for 10 "interval_ms 300 after SIGHUP" effective 300
say "ok: SIGHUP applied the new file"
ctl config show --json
expect_eq "$(jget "$OUT" 'd["config"]["policy"]["rate"]')" $((100 << 20)) "policy.rate after SIGHUP"
has_override || fail "the override is gone after SIGHUP"
say "ok: override kept across SIGHUP"
# The override (32M) still wins over the new [policy] rate in the cap.
status_json 0
expect_eq "$(jget "$PZ_TMP/status.json" 'd["nodes"][0]["cap_rate"]')" $((32 << 20)) "cap_rate is the override"
ctl config show --json
expect_eq "$(jget "$OUT" '[(o["node"], o.get("rate"), o.get("burst")) for o in d["overrides"]]')" \
	"[[0, $((32 << 20)), $((64 << 20))]]" "config show lists the override"

# 3. prezeroctl reload with a bad file: exit 1, FILE:LINE, nothing changes.
write_conf 400 "no equals sign here"
ctl reload
expect_rc 1 "prezeroctl reload with a bad file"
expect_out "$CONF:5: " "the reload error names FILE:5"
expect_effective 300 "after a refused prezeroctl reload"

# The raw reply carries the bad-config code.
run python3 "$RAWCLIENT" send "$SOCK" <<<'{"cmd":"reload","id":"r1"}'
expect_eq "$(jget "$OUT" 'd["ok"]')" false "raw reload ok"
expect_eq "$(jget "$OUT" 'd["error"]["code"]')" bad-config "raw reload error code"
expect_eq "$(jget "$OUT" 'd["id"]')" r1 "raw reload id echoed"
case $(jget "$OUT" 'd["error"]["message"]') in
"$CONF:5: "*) say "ok: the message is FILE:LINE: reason" ;;
*) fail "bad-config message is not '$CONF:5: reason': $(cat "$OUT")" ;;
esac

# 4. prezeroctl reload with a good file.
write_conf 400
ctl reload
expect_rc 0 "prezeroctl reload with a good file"
expect_effective 400 "after prezeroctl reload"
has_override || fail "the override is gone after prezeroctl reload"
run python3 "$RAWCLIENT" send "$SOCK" <<<'{"cmd":"reload"}'
expect_eq "$(jget "$OUT" 'd["config"]')" "$CONF" "reload reply names the file"

# 5. The file removed: refused as well.
mv "$CONF" "$CONF.away"
ctl reload
expect_rc 1 "prezeroctl reload without the file"
expect_out "$CONF" "the error names the file"
mv "$CONF.away" "$CONF"
expect_effective 400 "after a reload of a missing file"

pid_alive "$DPID" || fail "prezerod died"
daemon_stop
