# shellcheck shell=dash
# Helpers for the prezerod scenarios, sourced after lib.sh and pz-kmod.sh:
#   . /lib/prezero/tests/pz-kmod.sh
#   . /lib/prezero/tests/pz-daemon.sh
#
#   pzd_conf [KEY=VALUE]...   write $PZD_CONF: the scenario defaults below,
#                             KEY=VALUE lines added to [policy] (a key given
#                             here wins over the default)
#   pzd_start [ARGS]...       start prezerod -c $PZD_CONF ARGS in the
#                             background, wait until it answers status
#   pzd_stop                  SIGTERM; expect exit status 0 within 10 s and,
#                             with the module loaded, every node's budget 0
#   pzd_alive                 the daemon process runs (not a zombie)
#   pzd_get PATH...           members of `prezeroctl --json status` (the
#                             daemon's view), one line each (pz-json paths:
#                             "daemon.state", "nodes.0.module.zeroed_bytes")
#   pzd_mod PATH...           the same from the module itself, bypassing the
#                             daemon ("nodes.0.zeroed_bytes")
#   pzd_wait SECS CMD...      poll CMD every 0.5 s until it succeeds
#   pzd_node_state_is N STATE pzd_get says node N is in STATE
#   pzd_mod_granted N         the module has a budget for node N
#   pzd_mod_zeroed_gt N BYTES the module zeroed more than BYTES on node N
#   pzd_mod_budget_is N RATE BURST   the module's budget for node N
#   pzd_mod_scrubbed N        the module found node N's free memory zeroed
#   pzd_zero_rate_gt0 [N]     the daemon's zero_rate of node N (0) is > 0
#   pzd_mod_budgets_zero      every node's module budget is rate 0, burst 0
#   pzd_show_log [LINES]      the daemon's log (last LINES) on the console
#   pzd_idle_pct SECS         idle share of all CPUs over SECS (percent)
#   pzd_expect_agree WHAT     the daemon's view of the module agrees with
#                             the module's own numbers (see below)
#
# Polling costs CPU the daemon counts: one prezeroctl call is 50-200 ms of
# a TCG vCPU, so the helpers poll every 0.5 s, not pz_wait_until's 0.1 s.

PZD_CONF=/tmp/prezerod.conf
PZD_SOCK=/run/prezerod/prezerod.sock
# A socket path where no daemon listens: prezeroctl then reads the module.
PZD_NOSOCK=/nonexistent/prezerod.sock
PZD_LOG=$PZ_STATE/prezerod.$PZ_SCENARIO.log
PZD_PID=""
# Largest batch the kernel hands the module in one report call: 32 blocks
# (mm/page_reporting.h) of at most 4 MiB (order 10, the largest free block).
# shellcheck disable=SC2034 # for the scenarios
PZD_BATCH_MAX=$((32 << 22))

# The scenario config. interval_ms and idle_after_ms are short so the
# scenarios are quick. idle_min_pct 40: under TCG one prezeroctl call keeps
# a vCPU busy for 50-200 ms (a module status walks the free lists), so a
# scenario's own polling can fill most of one of the two vCPUs for a round:
# at 40 only load on both vCPUs (a hog) makes the node busy. rate/burst are
# far above TCG's zeroing speed, so the module's speed is the limit.
pzd_conf() {
	local kv k
	{
		echo "[daemon]"
		echo "socket = $PZD_SOCK"
		echo "interval_ms = 250"
		echo "log_level = info"
		echo "[policy]"
		for k in idle_min_pct:40 idle_after_ms:500 rate:4G burst:8G; do
			for kv in "$@"; do
				[ "${kv%%=*}" = "${k%%:*}" ] && continue 2
			done
			echo "${k%%:*} = ${k#*:}"
		done
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >"$PZD_CONF"
}

pzd_alive() {
	[ -n "$PZD_PID" ] && [ -e "/proc/$PZD_PID" ] &&
		! grep -q '^[0-9]* (.*) Z' "/proc/$PZD_PID/stat" 2>/dev/null
}

# shellcheck disable=SC2120 # LINES is optional
pzd_show_log() {
	pz_log "prezerod log ($PZD_LOG)${1:+, last $1 lines}:"
	if [ -n "${1:-}" ]; then
		tail -n "$1" "$PZD_LOG"
	else
		cat "$PZD_LOG"
	fi | sed 's/^/  prezerod: /' >/dev/console
}

pzd_get() {
	local j
	j=$(prezeroctl --json status) || return 1
	echo "$j" | pz-json "$@"
}

pzd_mod() {
	local j
	j=$(prezeroctl --socket "$PZD_NOSOCK" --json status) || return 1
	echo "$j" | pz-json "$@"
}

# The daemon answers, and it is ours (not a leftover of another scenario).
pzd_serving() {
	[ "$(pzd_get daemon.pid 2>/dev/null)" = "$PZD_PID" ]
}

pzd_serving_or_dead() {
	pzd_serving || ! pzd_alive
}

pzd_start() {
	if ! command -v prezerod >/dev/null; then
		pz_fail "no prezerod in the guest (was BUILD/daemon/prezerod built?)"
		return 1
	fi
	mkdir -p /run/prezerod
	pzd_alive && pz_fail "pzd_start: prezerod $PZD_PID still runs"
	prezerod -c "$PZD_CONF" "$@" >"$PZD_LOG" 2>&1 &
	PZD_PID=$!
	pzd_wait 15 pzd_serving_or_dead
	if ! pzd_serving; then
		if pzd_alive; then
			pz_fail "prezerod $PZD_PID does not answer status within 15 s"
		else
			wait "$PZD_PID"
			pz_fail "prezerod exited with status $? at start"
		fi
		pzd_show_log
		return 1
	fi
	pz_log "prezerod $PZD_PID serves ($*)"
}

pzd_stop() {
	local n=0 rc
	if ! pzd_alive; then
		pz_fail "prezerod $PZD_PID is gone before SIGTERM"
		pzd_show_log
		wait "$PZD_PID"
		PZD_PID=""
		return 1
	fi
	kill -TERM "$PZD_PID"
	while pzd_alive && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if pzd_alive; then
		pz_fail "prezerod did not exit within 10 s of SIGTERM"
		kill -KILL "$PZD_PID"
	fi
	wait "$PZD_PID"
	rc=$?
	pz_expect_eq "$rc" 0 "prezerod exit status after SIGTERM" || pzd_show_log
	PZD_PID=""
	if pz_loaded; then
		pzd_mod_budgets_zero ||
			pz_fail "budgets after SIGTERM: $(pzd_mod nodes) (want rate 0, burst 0 on every node)"
	fi
	return 0
}

# Busybox sh has no clock but uptime: bound the wait by it, since one poll
# (two exec'd programs) takes a sizeable, varying share of 0.5 s under TCG.
pzd_wait() {
	local end
	end=$(awk -v s="$1" '{ printf "%d\n", ($1 + s) * 100 }' /proc/uptime)
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(awk '{ printf "%d\n", $1 * 100 }' /proc/uptime)" -ge "$end" ] &&
			break
		sleep 0.5
	done
	"$@" >/dev/null 2>&1
}

pzd_node_state_is() {
	[ "$(pzd_get "nodes.$1.state")" = "$2" ]
}

pzd_zero_rate_gt0() {
	local r
	r=$(pzd_get "nodes.${1:-0}.zero_rate") &&
		awk -v r="$r" 'BEGIN { exit !(r + 0 > 0) }'
}

pzd_mod_granted() {
	local r
	r=$(pzd_mod "nodes.$1.budget_rate") && [ "$r" -gt 0 ]
}

pzd_mod_zeroed_gt() {
	local z
	z=$(pzd_mod "nodes.$1.zeroed_bytes") && [ "$z" -gt "$2" ]
}

pzd_mod_budget_is() {
	[ "$(pzd_mod "nodes.$1.budget_rate" "nodes.$1.budget_burst" | tr '\n' ' ')" = "$2 $3 " ]
}

pzd_mod_scrubbed() {
	[ "$(pzd_mod "nodes.$1.scrubbed")" = true ]
}

pzd_mod_budgets_zero() {
	local j n i
	j=$(prezeroctl --socket "$PZD_NOSOCK" --json status) || return 1
	n=$(echo "$j" | pz-json 'nodes.#') || return 1
	i=0
	while [ "$i" -lt "$n" ]; do
		[ "$(echo "$j" | pz-json "nodes.$i.budget_rate" "nodes.$i.budget_burst" | tr '\n' ' ')" = "0 0 " ] ||
			return 1
		i=$((i + 1))
	done
}

# Idle share (percent, integer) of all CPUs over SECS seconds from
# /proc/stat (idle + iowait over all), for the log: what the daemon sees.
pzd_idle_pct() {
	local a b
	a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	sleep "$1"
	b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	echo "$a $b" | awk '{ d = $4 - $2; print (d > 0 ? int(($3 - $1) * 100 / d) : -1) }'
}

# pzd_expect_agree WHAT [moving]: the daemon's view of the module (status
# nodes[].module) agrees with the module's own numbers. The daemon reads
# the module every interval_ms, so its copy is at most that old: read the
# module (M0), wait longer than an interval, read the daemon (D), read the
# module again (M1). Then every monotone counter satisfies M0 <= D <= M1,
# and the settings (enabled, budget) are equal, as is the budget the daemon
# says it gave. If the budget changed between M0 and M1 (a state change in
# between) the settings cannot be compared: try again, at most 3 times.
# With "moving" (zeroing runs, the budget may change back and forth) only
# the counters are compared.
pzd_expect_agree() {
	local what=$1 moving=${2:-} try m0 d m1 n i k a b c stable=0
	for try in 1 2 3; do
		m0=$(prezeroctl --socket "$PZD_NOSOCK" --json status) || break
		sleep 1
		d=$(prezeroctl --json status) || break
		m1=$(prezeroctl --socket "$PZD_NOSOCK" --json status) || break
		# settings equal in M0 and M1: nothing changed in between
		n=$(echo "$m1" | pz-json 'nodes.#')
		i=0 a="" c=""
		while [ "$i" -lt "$n" ]; do
			a="$a $(echo "$m0" | pz-json "nodes.$i.enabled" "nodes.$i.budget_rate" "nodes.$i.budget_burst" | tr '\n' ' ')"
			c="$c $(echo "$m1" | pz-json "nodes.$i.enabled" "nodes.$i.budget_rate" "nodes.$i.budget_burst" | tr '\n' ' ')"
			i=$((i + 1))
		done
		[ "$a" = "$c" ] && stable=1 && break
		pz_log "$what: budgets changed while comparing, try $try ($a ->$c)"
	done
	if [ -z "${d:-}" ] || [ -z "${m1:-}" ]; then
		pz_fail "$what: prezeroctl status failed"
		return 1
	fi
	echo "$what: daemon's view: $(echo "$d" | pz-json nodes)"
	echo "$what: module before: $(echo "$m0" | pz-json nodes)"
	echo "$what: module after:  $(echo "$m1" | pz-json nodes)"
	echo "$d" | pz-json daemon >/dev/null 2>&1 ||
		pz_fail "$what: prezeroctl --json status has no daemon member while prezerod runs"
	echo "$m1" | pz-json daemon >/dev/null 2>&1 &&
		pz_fail "$what: prezeroctl --socket $PZD_NOSOCK shows a daemon"
	pz_expect_eq "$(echo "$d" | pz-json 'nodes.#')" "$n" "$what: number of nodes"
	pz_expect_eq "$(echo "$d" | pz-json module.nr_nodes)" "$n" "$what: module.nr_nodes"
	if [ "$moving" = moving ]; then
		stable=0
	elif [ "$stable" = 0 ]; then
		pz_fail "$what: the module's budgets changed within each of 3 comparisons"
	fi
	i=0
	while [ "$i" -lt "$n" ]; do
		pz_expect_eq "$(echo "$d" | pz-json "nodes.$i.id")" \
			"$(echo "$m1" | pz-json "nodes.$i.id")" "$what: node $i id"
		for k in zeroed_bytes zeroed_blocks zero_ns report_calls returned_blocks exhausted; do
			a=$(echo "$m0" | pz-json "nodes.$i.$k")
			b=$(echo "$d" | pz-json "nodes.$i.module.$k")
			c=$(echo "$m1" | pz-json "nodes.$i.$k")
			pz_expect_ge "$b" "$a" "$what: node $i $k: daemon's value against the module's before" &&
				pz_expect_ge "$c" "$b" "$what: node $i $k: module's value after against the daemon's"
		done
		if [ "$stable" = 1 ]; then
			for k in enabled budget_rate budget_burst; do
				pz_expect_eq "$(echo "$d" | pz-json "nodes.$i.module.$k")" \
					"$(echo "$m1" | pz-json "nodes.$i.$k")" "$what: node $i module $k"
			done
			for k in budget_rate budget_burst; do
				pz_expect_eq "$(echo "$d" | pz-json "nodes.$i.$k")" \
					"$(echo "$m1" | pz-json "nodes.$i.$k")" "$what: node $i $k the daemon gave"
			done
		fi
		i=$((i + 1))
	done
}
