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
pz_field() {
	prezeroctl --json status 0 | pz_json "$1"
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

# Most large free memory of node 0 is zeroed: the module's own "scrubbed"
# flag, or at least 95 % of the large free blocks marked zeroed.
pz_mostly_scrubbed() {
	local j zf fl
	j=$(prezeroctl --json status 0) || return 1
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
