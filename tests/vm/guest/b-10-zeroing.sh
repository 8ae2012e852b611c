# shellcheck shell=dash
# Benchmark: the module's zeroing throughput next to single-thread memset in
# the same guest, interleaved over three rounds; medians are reported.
#   module_gib_per_s   bytes zeroed / time inside the zeroing loop
#   memset_gib_per_s   pz-memset: memset() over a 256 MiB buffer, 8 passes
#   *_cpu_s_per_gib    CPU seconds per GiB (worker thread's utime+stime;
#                      pz-memset's thread CPU time)
#   scrub_wall_gib_per_s  bytes zeroed / wall time from grant to scrubbed:
#                      includes free page reporting's pacing (2 s between
#                      passes), so it is far below the zeroing speed
# pz-vm: mem=2048
# pz-timeout: 1500
. /lib/prezero/tests/pz-kmod.sh

median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

pz_fresh || { pz_fail "insmod failed"; exit 1; }
mod="" mem="" modcpu="" memcpu="" wall=""
for round in 1 2 3; do
	m=$(pz-memset 256M 8) || pz_fail "pz-memset failed"
	mem="$mem $(echo "$m" | pz_json memset_gib_per_s)"
	memcpu="$memcpu $(echo "$m" | pz_json cpu_s_per_gib)"

	prezeroctl budget 0 0 >/dev/null
	pz_dirty 70
	sleep 3
	z0=$(pz_field zeroed_bytes) n0=$(pz_field zero_ns) c0=$(pz_worker_cpu_s 0)
	t0=$(pz_now)
	prezeroctl budget 0 1T >/dev/null || pz_fail "budget grant failed"
	pz_wait_slowly 600 pz_mostly_scrubbed || pz_fail "round $round: not scrubbed in 600 s"
	t1=$(pz_now)
	z1=$(pz_field zeroed_bytes) n1=$(pz_field zero_ns) c1=$(pz_worker_cpu_s 0)
	if [ $((z1 - z0)) -lt $((256 << 20)) ]; then
		pz_fail "round $round: only $((z1 - z0)) bytes zeroed"
		exit 1
	fi
	r=$(awk -v z=$((z1 - z0)) -v n=$((n1 - n0)) -v c0="$c0" -v c1="$c1" \
		-v t0="$t0" -v t1="$t1" 'BEGIN {
		g = z / 1073741824
		printf "%.3f %.3f %.3f\n", g / (n / 1e9), (c1 - c0) / g, g / (t1 - t0) }')
	read -r g c w <<EOR
$r
EOR
	mod="$mod $g" modcpu="$modcpu $c" wall="$wall $w"
	pz_log "round $round: module $g GiB/s ($c CPU s/GiB, $w GiB/s wall), memset $(echo "$m" | pz_json memset_gib_per_s) GiB/s, $((z1 - z0)) bytes"
done
rmmod prezero

# shellcheck disable=SC2086 # word splitting of the value lists is intended
M=$(median3 $mod) S=$(median3 $mem) MC=$(median3 $modcpu) SC=$(median3 $memcpu) W=$(median3 $wall)
pz_bench "$(awk -v m="$M" -v s="$S" -v mc="$MC" -v sc="$SC" -v w="$W" 'BEGIN {
	printf "{\"what\":\"zeroing\",\"module_gib_per_s\":%s,\"memset_gib_per_s\":%s,", m, s
	printf "\"ratio\":%.3f,\"module_cpu_s_per_gib\":%s,\"memset_cpu_s_per_gib\":%s,", m / s, mc, sc
	printf "\"scrub_wall_gib_per_s\":%s,\"rounds\":3}", w }')"
