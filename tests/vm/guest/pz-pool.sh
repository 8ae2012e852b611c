# shellcheck shell=dash
# Helpers for the warm pool scenarios (t-110-pool-*.sh), sourced after
# lib.sh, pz-kmod.sh and pz-daemon.sh:
#   . /lib/prezero/tests/pz-kmod.sh
#   . /lib/prezero/tests/pz-daemon.sh
#   . /lib/prezero/tests/pz-pool.sh
#
#   pzp_mount                 mount hugetlbfs (2M pages) on $PZP_MNT; the
#                             pool is $PZP_DIR (the default [pool] dir),
#                             claimed files go to $PZP_VM
#   pzp_conf TARGET FILE_SIZE FILL_RATE [KEY=VALUE]...
#                             pzd_conf, then a [pool] section with these
#                             and the KEY=VALUE lines
#   pzp_full N                node N's pool is full: at its target, no fill
#   pzp_wait_full SECS        every node's pool is full (pzd_wait)
#   pzp_claim NODE SIZE PATH [OWNER MODE]
#                             prezeroctl --json pool claim; the reply in
#                             $PZP_OUT, the exit status in $PZP_RC
#   pzp_nodes                 the node ids, "0 1"
#   pzp_used                  2M pages in use, system-wide (nr - free)
#   pzp_node_used N           the same on node N
#   pzp_surplus [N]           surplus 2M pages (of node N)
#   pzp_pages FILE...         2M pages allocated to the FILEs (st_blocks)
#   pzp_ready [N]             the ready files n<N>-*.pool (all nodes
#                             without N), one path a line
#   pzp_check_ready N SIZE    node N's ready files are root:root 0600,
#                             SIZE bytes, fully allocated
#   pzp_oom_seen              the kernel log since the scenario began has
#                             an OOM kill
#   pzp_cleanup               stop prezerod if it runs, delete the files,
#                             unmount

PZP_MNT=/dev/hugepages
PZP_DIR=$PZP_MNT/prezero
PZP_VM=$PZP_MNT/vm
PZP_HP=hugepages/hugepages-2048kB
PZP_HUGE=2097152
PZP_OUT=$PZ_STATE/pool.out
PZP_RC=0

pzp_mount() {
	mkdir -p "$PZP_MNT"
	mount -t hugetlbfs -o pagesize=2M none "$PZP_MNT" ||
		{ pz_fail "mount hugetlbfs on $PZP_MNT failed"; return 1; }
	mkdir -p "$PZP_VM"
}

pzp_conf() {
	local target=$1 fsize=$2 rate=$3 kv
	shift 3
	pzd_conf
	{
		echo "[pool]"
		echo "dir = $PZP_DIR"
		echo "target = $target"
		echo "file_size = $fsize"
		echo "fill_rate = $rate"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >>"$PZD_CONF"
}

pzp_full() {
	local s
	s=$(pzd_get "nodes.$1.pool.state" "nodes.$1.pool.filling_bytes" \
		"nodes.$1.pool.bytes" "nodes.$1.pool.target_bytes" | tr '\n' ' ') || return 1
	# shellcheck disable=SC2086 # four words
	set -- $s
	[ "$1" = full ] && [ "$2" = 0 ] && [ "$3" -ge "$4" ]
}

pzp_all_full() {
	local n
	for n in $(pzp_nodes); do
		pzp_full "$n" || return 1
	done
}

pzp_wait_full() {
	pzd_wait "$1" pzp_all_full && return 0
	pz_fail "the pool is not full within $1 s: $(pzd_get nodes 2>&1 | head -c 600)"
	return 1
}

pzp_claim() {
	if [ $# -ge 5 ]; then
		prezeroctl pool claim --node "$1" --size "$2" --to "$3" \
			--owner "$4" --mode "$5" --json >"$PZP_OUT" 2>&1
	else
		prezeroctl pool claim --node "$1" --size "$2" --to "$3" \
			--json >"$PZP_OUT" 2>&1
	fi
	# shellcheck disable=SC2034 # for the scenarios
	PZP_RC=$?
}

pzp_nodes() {
	local d
	for d in /sys/devices/system/node/node[0-9]*; do
		echo "${d##*node}"
	done | sort -n | tr '\n' ' ' | sed 's/ $//'
}

pzp_used() {
	echo $(($(pz_meminfo HugePages_Total) - $(pz_meminfo HugePages_Free)))
}

pzp_node_used() {
	local d=/sys/devices/system/node/node$1/$PZP_HP
	echo $(($(cat "$d/nr_hugepages") - $(cat "$d/free_hugepages")))
}

pzp_surplus() {
	if [ -n "${1:-}" ]; then
		cat "/sys/devices/system/node/node$1/$PZP_HP/surplus_hugepages"
	else
		pz_meminfo HugePages_Surp
	fi
}

pzp_pages() {
	local f s=0
	for f; do
		[ -f "$f" ] && s=$((s + $(stat -c %b "$f") * 512 / PZP_HUGE))
	done
	echo "$s"
}

pzp_ready() {
	local f
	# shellcheck disable=SC2231 # the node (or *) is part of the glob
	for f in "$PZP_DIR"/n${1:-*}-*.pool; do
		[ -e "$f" ] && echo "$f"
	done
}

pzp_check_ready() {
	local f n=0 want
	want="0 0 600 $2 $(($2 / 512))"
	for f in $(pzp_ready "$1"); do
		n=$((n + 1))
		pz_expect_eq "$(stat -c '%u %g %a %s %b' "$f")" "$want" \
			"$f: uid gid mode size blocks"
	done
	echo "$n"
}

pzp_oom_seen() {
	local mark
	mark=$(cat "$PZ_STATE/$PZ_SCENARIO.mark" 2>/dev/null)
	dmesg | awk -v m="$mark" 'seen { print } index($0, m) { seen = 1 }' |
		grep -E 'invoked oom-killer|Out of memory|oom-kill:|Killed process'
}

pzp_cleanup() {
	pzd_alive && pzd_stop
	rm -rf "$PZP_VM" "$PZP_DIR"
	umount "$PZP_MNT" 2>/dev/null
	return 0
}
