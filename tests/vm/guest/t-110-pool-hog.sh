# shellcheck shell=dash
# A memory hog makes the warm pool give its memory back within 1 s, and
# the hog is not OOM-killed because of the pool.
#
# The pool (hugetlbfs, 2M pages, 64M files) fills about 75% of the free
# memory. Then pz-zerocheck --alloc (the hog) faults in the free memory
# left plus three pool files' worth, page by page, checking that every
# page it gets reads zero, and holds it for 3 s. Measured, on the guest's
# CLOCK_BOOTTIME (/proc/uptime):
# - T_need: the hog's last progress time (every 8M) at which it had
#   allocated at most F0 - R, where F0 is MemFree when it started and R the
#   pool's reserve (reserve_pct 5 of the node's memory): from the next
#   step on, the hog alone has taken the node below the reserve, the point
#   where the pool must give back (prezerod.conf(5)). T_need is at or
#   before the real crossing.
# - T_rel: the first sample (every 50 ms, a shell loop reading
#   /proc/meminfo) with a lower HugePages_Total than at the hog's start:
#   the pool's surplus pages went back to the buddy allocator (a file was
#   deleted). At or after the real release.
# So T_rel - T_need is an upper bound of the release latency; it must be
# at most 1 s (the issue's bound). Also: the hog exits 0 with every page
# zero, the kernel log has no OOM kill, prezerod still runs and its
# released_bytes covers the files that went. Prints the samples.
# pz-timeout: 120
. /lib/prezero/tests/pz-kmod.sh
. /lib/prezero/tests/pz-daemon.sh
. /lib/prezero/tests/pz-pool.sh

FSIZE=67108864
pzp_mount || exit 1
total0=$(pz_meminfo HugePages_Total) surp0=$(pzp_surplus)
node_total=$(awk '/MemTotal/ { print $(NF - 1) * 1024 }' /sys/devices/system/node/node0/meminfo)
reserve=$((node_total * 5 / 100))
free_kb=$(pz_meminfo MemFree)
target=$((free_kb * 1024 * 3 / 4 / FSIZE * FSIZE))
pz_log "node 0: $node_total bytes, MemFree $free_kb kB, reserve $reserve bytes; pool target $target"
pzp_conf "$target" 64M 4G reserve_pct=5
pzd_start || exit 1
pzp_wait_full 90 || { pzp_cleanup; exit 1; }
files0=$(pzd_get nodes.0.pool.files)
pz_expect_eq "$(pzd_get nodes.0.pool.released_bytes)" 0 "released_bytes before the hog"

watch=$PZ_STATE/hog.watch
hogout=$PZ_STATE/hog.out
rm -f "$PZ_STATE/watch.stop"
# "time HugePages_Total MemFree_kB pool_files", every 50 ms; builtins
# only but sleep. Under memory pressure a read may fail: "?" then (an
# empty glob match is "?" too: the directory may not have been read).
watch_pool() {
	local up k v hp mf n
	while [ ! -e "$PZ_STATE/watch.stop" ]; do
		up="?" hp="?" mf="?"
		read -r up _ </proc/uptime
		while read -r k v _; do
			case $k in
			MemFree:) mf=$v ;;
			HugePages_Total:) hp=$v; break ;;
			esac
		done </proc/meminfo
		set -- "$PZP_DIR"/n*.pool
		n=$#
		[ -e "$1" ] || n="?"
		echo "$up $hp $mf $n"
		sleep 0.05
	done
}
hp0=$(pz_meminfo HugePages_Total)
watch_pool >"$watch" &
watcher=$!
f0=$(($(pz_meminfo MemFree) * 1024))
hog_size=$((f0 + 3 * FSIZE))
pz-zerocheck --alloc "$hog_size" --step 8M --hold 3 >"$hogout" 2>&1 &
hog=$!
wait "$hog"
hog_rc=$?
: >"$PZ_STATE/watch.stop"
wait "$watcher"

t0=$(sed -n 's/^alloc: .* started at \([0-9.]*\)$/\1/p' "$hogout")
# the last progress line at or below F0 - R (the start if none)
tneed=$(awk -v x=$((f0 - reserve)) -v t0="$t0" '
	BEGIN { t = t0 }
	/^alloc: [0-9]+ bytes at / { if ($2 <= x) t = $5 }
	END { print t }' "$hogout")
trel=$(awk -v h="$hp0" -v t0="${t0:-0}" '$1 != "?" && $2 != "?" && $1 >= t0 && $2 < h { print $1; exit }' "$watch")
# the fewest pool pages seen
minhp=$(awk -v h="$hp0" -v t0="${t0:-0}" 'BEGIN { m = h } $1 != "?" && $2 != "?" && $1 >= t0 && $2 < m { m = $2 } END { print m }' "$watch")
pz_log "hog: $hog_size bytes (MemFree $f0 + 3 files), exit $hog_rc:"
sed 's/^/  /' "$hogout" >/dev/console
pz_log "samples from the hog's start (time HugePages_Total MemFree_kB pool_files), where they change:"
awk -v t0="${t0:-0}" '$1 == "?" || $1 >= t0 - 0.2 { k = $2 " " int($3 / 16384) " " $4; if (k != prev) print; prev = k }' \
	"$watch" | sed 's/^/  /' >/dev/console

pz_expect_eq "$hog_rc" 0 "the hog's exit status"
grep -q "^alloc: done $hog_size bytes at .* nonzero_pages=0$" "$hogout" ||
	pz_fail "the hog did not get all its memory, or a page was not zero: $(tail -n 1 "$hogout")"
oom=$(pzp_oom_seen)
[ -z "$oom" ] || pz_fail "OOM in the kernel log: $(echo "$oom" | head -n 1)"
pzd_alive || pz_fail "prezerod is gone after the hog"
if [ -z "$t0" ]; then
	pz_fail "the hog did not start: $(cat "$hogout")"
elif [ -z "$trel" ]; then
	pz_fail "the pool never gave back a page while the hog ran (HugePages_Total stayed $hp0)"
else
	lat=$(awk -v a="$trel" -v b="$tneed" 'BEGIN { printf "%.2f", a - b }')
	pz_log "T0 (hog start) $t0, T_need $tneed ($(awk -v a="$tneed" -v b="$t0" 'BEGIN { printf "%.2f", a - b }') s after T0)," \
		"T_rel (first pages given back) $trel: release latency <= $lat s" \
		"($(awk -v a="$trel" -v b="$t0" 'BEGIN { printf "%.2f", a - b }') s from the hog's start);" \
		"HugePages_Total $hp0 -> $minhp ($files0 pool files at the start)"
	awk -v l="$lat" 'BEGIN { exit !(l <= 1.0) }' ||
		pz_fail "the pool gave back ${lat} s after the hog needed the memory (bound 1 s)"
fi
pz_log "prezerod: pressure valid/trigger armed: $(pzd_get pressure.valid pressure.memory_trigger | tr '\n' ' ');" \
	"its pool log since the hog:"
grep 'pool:' "$PZD_LOG" | grep -v ' ready (' | tail -n 8 | sed 's/^/  prezerod: /' >/dev/console
rel=$(pzd_get nodes.0.pool.released_bytes)
pz_expect_ge "$rel" $(((hp0 - minhp) * PZP_HUGE)) "released_bytes covers the pages that went"
pz_log "released_bytes $rel; pool now: $(pzd_get nodes.0.pool.state nodes.0.pool.files nodes.0.pool.reason | tr '\n' ' ')"

pzd_stop
rm -rf "$PZP_VM" "$PZP_DIR"
pz_expect_eq "$(pzp_used) $(pzp_surplus) $(pz_meminfo HugePages_Total)" "0 $surp0 $total0" \
	"files deleted: 2M pages in use, surplus, HugePages_Total as before"
pzp_cleanup
