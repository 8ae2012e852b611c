#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# Start with a temporary config, check the degraded status (text and JSON)
# against the host's NUMA nodes, stop with SIGTERM: exit 0, socket gone.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

{
	conf_head
	echo "interval_ms = 150"
	printf '[policy]\npsi_trigger_ms = 100\n'
} >"$CONF"

daemon_start

ctl status
expect_rc 0 "prezeroctl status"
expect_out 'degraded' "status says degraded"
expect_out 'module not loaded' "status says the module is not loaded"

# The host's nodes: those with memory (prezerod's topology), each a
# node directory; without NUMA sysfs, node 0 alone.
sysnode=/sys/devices/system/node
if [ -r $sysnode/has_memory ]; then
	want_nodes=$(python3 -c '
import sys
ids = []
for part in sys.argv[1].split(","):
    a, _, b = part.partition("-")
    ids += range(int(a), int(b or a) + 1)
print(ids)' "$(cat $sysnode/has_memory)")
else
	want_nodes="[0]"
fi
say "host nodes with memory: $want_nodes"

# Wait for two samples, so that idle_pct is a number.
ctl_idle_known() {
	ctl status --json && [ "$RC" -eq 0 ] &&
		[ "$(jget "$OUT" 'all(isinstance(n["idle_pct"], (int, float)) for n in d["nodes"])')" = true ]
}
wait_for 10 "idle_pct of every node" ctl_idle_known
status_json
S=$PZ_TMP/status.json

expect_eq "$(jget "$S" 'd["daemon"]["state"]')" degraded "daemon.state"
expect_eq "$(jget "$S" 'd["daemon"]["pid"]')" "$DPID" "daemon.pid"
expect_eq "$(jget "$S" 'd["daemon"]["config"]')" "$CONF" "daemon.config"
expect_eq "$(jget "$S" 'd["daemon"]["interval_ms"]')" 150 "daemon.interval_ms"
expect_eq "$(jget "$S" 'isinstance(d["daemon"]["uptime_s"], (int, float)) and d["daemon"]["uptime_s"] >= 0')" true "daemon.uptime_s"
expect_eq "$(jget "$S" 'isinstance(d["daemon"]["reason"], str) and len(d["daemon"]["reason"]) > 0')" true "daemon.reason is a sentence"
ver=$("$PREZEROD" --version 2>&1)
case $ver in
*"$(jget "$S" 'd["daemon"]["version"]')"*) say "ok: daemon.version is in --version ($ver)" ;;
*) fail "daemon.version $(jget "$S" 'd["daemon"]["version"]') not in --version output '$ver'" ;;
esac
expect_eq "$(jget "$S" 'd["module"]["loaded"]')" false "module.loaded"
expect_eq "$(jget "$S" 'isinstance(d["module"]["reason"], str) and len(d["module"]["reason"]) > 0')" true "module.reason is set"
expect_eq "$(jget "$S" '[n["id"] for n in d["nodes"]]')" "$want_nodes" "node ids"

for id in $(jget "$S" '" ".join(str(n["id"]) for n in d["nodes"])'); do
	sel="[n for n in d[\"nodes\"] if n[\"id\"] == $id][0]"
	[ -d "$sysnode/node$id" ] || [ "$id" = 0 ] || fail "node $id has no $sysnode/node$id"
	if [ -r "$sysnode/node$id"/cpulist ]; then
		expect_eq "$(jget "$S" "${sel}[\"cpus\"]")" "$(cat "$sysnode/node$id"/cpulist)" "node $id cpus"
	fi
	expect_eq "$(jget "$S" "${sel}[\"state\"]")" no-module "node $id state"
	expect_eq "$(jget "$S" "${sel}[\"module\"] is None")" true "node $id module is null"
	expect_eq "$(jget "$S" "${sel}[\"budget_rate\"] == 0 and ${sel}[\"budget_burst\"] == 0")" true "node $id has no budget"
	expect_eq "$(jget "$S" "0 <= ${sel}[\"idle_pct\"] <= 100")" true "node $id idle_pct in 0..100"
	expect_eq "$(jget "$S" "0 < ${sel}[\"free_bytes\"] <= ${sel}[\"total_bytes\"]")" true "node $id free <= total"
	# libnuma's total is the node's MemTotal.
	kb=$(awk '/MemTotal/ { print $(NF-1) }' "$sysnode/node$id"/meminfo 2>/dev/null)
	if [ -n "$kb" ]; then
		expect_eq "$(jget "$S" "${sel}[\"total_bytes\"]")" $((kb * 1024)) "node $id total_bytes is MemTotal"
	fi
	expect_eq "$(jget "$S" "${sel}[\"cap_rate\"] == 256 << 20")" true "node $id cap_rate is the default 256M"
	expect_eq "$(jget "$S" "${sel}[\"override\"]")" "{}" "node $id has no override"
done

# PSI: valid when the kernel has it.
if [ -r /proc/pressure/memory ]; then
	expect_eq "$(jget "$S" 'd["pressure"]["valid"]')" true "pressure.valid"
	# The trigger is armed exactly when this process, with the daemon's
	# privileges, can arm one like it.
	if psi_trigger_possible 100; then
		expect_eq "$(jget "$S" 'd["pressure"]["memory_trigger"]')" true "memory trigger armed"
	else
		say "this host cannot arm a memory PSI trigger"
		expect_eq "$(jget "$S" 'd["pressure"]["memory_trigger"]')" false "memory trigger not armed"
	fi
else
	expect_eq "$(jget "$S" 'd["pressure"]["valid"]')" false "pressure.valid without PSI"
fi

# status NODE: only that node; a node that does not exist is an error.
first=$(jget "$S" 'd["nodes"][0]["id"]')
status_json "$first"
expect_eq "$(jget "$PZ_TMP/status.json" '[n["id"] for n in d["nodes"]]')" "[$first]" "status $first has only node $first"
ctl status 999
expect_rc 1 "status of a node that does not exist"

daemon_stop

# Running without the module is a normal state: nothing above notice.
if grep -E '^<[0-4]>' "$DLOG"; then
	fail "a degraded start logged warnings or errors (above)"
fi
say "ok: no warning or error in the log"
