# shellcheck shell=dash
# Helpers for the prezero.ko scenarios, sourced after lib.sh:
#   . /lib/prezero/tests/pz-kmod.sh
# pz_json and pz_field read prezeroctl's --json output with sed: the guest
# has no JSON tool, and the keys we read are flat numbers and strings.

PZ_KO=/lib/modules/extra/prezero.ko

pz_loaded() {
	grep -q '^prezero ' /proc/modules
}

# Start from the module's load-time state: budget 0 unless PARAMS say so.
pz_fresh() {
	if pz_loaded; then
		rmmod prezero || pz_fail "rmmod before the scenario failed"
	fi
	insmod "$PZ_KO" "$@"
}

# pz_json KEY < JSON: the first value of KEY (number, string or bool)
pz_json() {
	sed -n "s/.*\"$1\" *: *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p" | head -n 1
}

# pz_field KEY: a field of node 0's status
# The module's own numbers, even while prezerod runs: with no daemon at
# the socket, prezeroctl status reads the module.
pz_status() {
	prezeroctl --socket /nonexistent/prezerod.sock --json status "$@"
}

pz_field() {
	pz_status 0 | pz_json "$1"
}

# pz_node_field NODE KEY: a field of NODE's status
pz_node_field() {
	pz_status "$1" | pz_json "$2"
}

# Seconds since boot, with hundredths.
pz_now() {
	cut -d' ' -f1 /proc/uptime
}

# Dirty PERCENT of the available memory and free it again: free blocks then
# hold a pattern (the guest boots with init_on_free=0).
pz_dirty() {
	local kb
	kb=$(pz_meminfo MemAvailable)
	pz-dirty "$((kb * $1 / 100 / 1024))M" || pz_fail "pz-dirty $1% failed"
}

# pz_scrubbed [NODE]: the module found every large free block of the node
# (default 0) zeroed; it checks a few seconds after the node's last report.
pz_scrubbed() {
	case $(pz_node_field "${1:-0}" scrubbed) in 1 | true) return 0 ;; esac
	return 1
}

# pz_wait_slowly SECS CMD...: like pz_wait_until, but polls every 2 s, so a
# benchmark's polling does not steal the CPU it measures.
pz_wait_slowly() {
	local n=0 secs=$1
	shift
	while [ "$n" -lt "$secs" ]; do
		"$@" && return 0
		sleep 2
		n=$((n + 2))
	done
	return 1
}

# Most large free memory of node 0 is zeroed: the module's own "scrubbed"
# flag, or at least 95 % of the large free blocks marked zeroed.
pz_mostly_scrubbed() {
	local j zf fl
	j=$(pz_status 0) || return 1
	[ "$(echo "$j" | pz_json scrubbed)" = 1 ] && return 0
	[ "$(echo "$j" | pz_json scrubbed)" = true ] && return 0
	zf=$(echo "$j" | pz_json zeroed_free_bytes)
	fl=$(echo "$j" | pz_json free_large_bytes)
	[ -n "$zf" ] && [ -n "$fl" ] && [ "$fl" -gt 0 ] &&
		[ "$((zf * 100))" -ge "$((fl * 95))" ]
}

# CPU seconds (user+sys) the node's zeroing worker thread has used.
pz_worker_cpu_s() {
	local f
	for f in /proc/[0-9]*/comm; do
		if [ "$(cat "$f" 2>/dev/null)" = "prezero/$1" ]; then
			awk '{ printf "%.2f\n", ($14 + $15) / 100 }' "${f%/comm}/stat"
			return 0
		fi
	done
	echo 0
}

# pz_zeroed_gt N: node 0 has zeroed more than N bytes since load
pz_zeroed_gt() {
	[ "$(pz_field zeroed_bytes)" -gt "$1" ]
}

# Nothing of the module is left after rmmod: no worker thread, no family.
pz_expect_gone() {
	local f
	for f in /proc/[0-9]*/comm; do
		case $(cat "$f" 2>/dev/null) in
		prezero/*) pz_fail "worker thread $(cat "$f") survived rmmod" ;;
		esac
	done
	[ -e /sys/module/prezero ] && pz_fail "/sys/module/prezero survived rmmod"
	prezeroctl caps >/dev/null 2>&1
	[ $? -eq 3 ] || pz_fail "the prezero family survived rmmod"
}

# pz_verify_settled NODE: the JSON of a 32-sample verify taken when nothing
# is in flight. Freed pages parked on per-cpu lists are not on the free lists,
# so free page reporting cannot offer them, and every program the test starts
# leaves some there; a verify drains those lists (alloc_contig_range) and
# would then sample them as fresh dirty blocks. So: drain with a one-sample
# verify, start nothing for a pass and a settle check (6 s), then verify.
pz_verify_settled() {
	prezeroctl verify "$1" --samples 1 >/dev/null || pz_fail "verify $1 failed"
	sleep 6
	prezeroctl --json verify "$1" --samples 32
}

# pz_expect_all_zero NODE WHAT: a settled verify finds only zero blocks. A
# live system keeps freeing dirty memory that the next pass has not reached
# yet, so one more settled verify is allowed; blocks the module marked as
# zeroed must be zero every time.
pz_expect_all_zero() {
	local v try
	for try in 1 2; do
		v=$(pz_verify_settled "$1") || pz_fail "verify $1 failed"
		echo "$2 (try $try): $v"
		pz_expect_eq "$(echo "$v" | pz_json reported_dirty)" 0 "$2: zeroed blocks found dirty"
		pz_expect_ge "$(echo "$v" | pz_json sampled)" 8 "$2: blocks sampled"
		pz_expect_ge "$(echo "$v" | pz_json reported)" 1 "$2: sampled blocks zeroed by the module"
		[ "$(echo "$v" | pz_json verdict)" = zero ] && return 0
		pz_log "$2: $(echo "$v" | pz_json dirty) dirty block(s) not yet offered to the module; settling again"
	done
	pz_fail "$2: verdict $(echo "$v" | pz_json verdict) twice"
}
