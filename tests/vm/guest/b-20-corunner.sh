# shellcheck shell=dash
# Benchmark: how much prezerod slows a co-running workload. pz-corunner
# does a fixed amount of CPU-bound work (integer hashing) and of
# memory-bound work (read-modify-write passes over 256 MiB), each timed, in
#   full: prezerod granting its full budget all the time (idle_min_pct 0,
#         PSI limits off, rate = burst = 1T: the module's speed is the
#         limit), so the module zeroes on the other vCPU while the co-runner
#         runs: the worst case;
#   base: no daemon (module loaded, budget 0: nothing is zeroed);
#   policy: prezerod with the default policy (it sees the co-runner and
#         withdraws the budget), for comparison.
# Before every run the same amount of free memory is dirtied (pz-dirty 70%)
# and the run starts 3 s later, so there is zeroing work in "full". The
# variants are interleaved, rotating their order, for ROUNDS rounds;
# medians are reported:
#   cpu_slowdown_pct, mem_slowdown_pct   full against base (goal: <= 2)
#   *_policy_slowdown_pct                policy against base
#   cpu_s_base, cpu_s_full, mem_s_base, mem_s_full   median run times
#   zeroing_busy_pct   share of a "full" run during which the module was
#                      zeroing (its zero_ns over the run's wall time): how
#                      much the runs overlapped zeroing
#   zeroed_mib_per_run module bytes zeroed during a "full" run
# pz-vm: mem=2048
# pz-timeout: 1500
. /lib/prezero/tests/pz-kmod.sh
. /lib/prezero/tests/pz-daemon.sh

ROUNDS=5
CPU_MITER=800		# ~3 s under TCG
MEM_SIZE=256M MEM_PASSES=16	# ~3 s under TCG

# median VALUE...: the middle one (the lower middle for an even count)
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# run VARIANT WORK: dirty, settle 3 s, time one co-runner; appends
# "seconds zeroed_bytes zero_ns" to $PZ_STATE/VARIANT.WORK
run() {
	local out s z0 n0 z1 n1
	pz_dirty 70
	sleep 3
	z0=$(pzd_mod nodes.0.zeroed_bytes) n0=$(pzd_mod nodes.0.zero_ns)
	if [ "$2" = cpu ]; then
		out=$(pz-corunner cpu "$CPU_MITER") || pz_fail "pz-corunner cpu failed"
	else
		out=$(pz-corunner mem "$MEM_SIZE" "$MEM_PASSES") || pz_fail "pz-corunner mem failed"
	fi
	z1=$(pzd_mod nodes.0.zeroed_bytes) n1=$(pzd_mod nodes.0.zero_ns)
	s=$(echo "$out" | pz-json seconds)
	echo "$s $((z1 - z0)) $((n1 - n0))" >>"$PZ_STATE/$1.$2"
	pz_log "round $round $1 $2: $s s, $(((z1 - z0) >> 20)) MiB zeroed meanwhile"
}

variant() {
	case $1 in
	full)
		pzd_conf idle_min_pct=0 psi_cpu_max=100 psi_memory_max=100 \
			psi_trigger_ms=0 rate=1T burst=1T
		pzd_start || exit 1
		pzd_wait 10 pzd_mod_granted 0 || pz_fail "full: no budget granted"
		;;
	policy)
		# the defaults but for the socket and a quick interval
		{
			echo "[daemon]"
			echo "socket = $PZD_SOCK"
			echo "interval_ms = 250"
			echo "[policy]"
			echo "rate = 1T"
			echo "burst = 1T"
		} >"$PZD_CONF"
		pzd_start || exit 1
		;;
	esac
	run "$1" cpu
	run "$1" mem
	[ "$1" = base ] || pzd_stop
}

pz_fresh || { pz_fail "insmod failed"; exit 1; }
for v in full base policy; do
	: >"$PZ_STATE/$v.cpu"
	: >"$PZ_STATE/$v.mem"
done
round=1
while [ "$round" -le "$ROUNDS" ]; do
	case $((round % 3)) in
	1) order="full base policy" ;;
	2) order="base policy full" ;;
	0) order="policy full base" ;;
	esac
	for v in $order; do
		variant "$v"
	done
	round=$((round + 1))
done
rmmod prezero

# col FILE N: field N of every line
col() { awk -v n="$2" '{ print $n }' "$PZ_STATE/$1"; }
# shellcheck disable=SC2046 # one value per word
{
	CB=$(median $(col base.cpu 1)) CF=$(median $(col full.cpu 1)) CP=$(median $(col policy.cpu 1))
	MB=$(median $(col base.mem 1)) MF=$(median $(col full.mem 1)) MP=$(median $(col policy.mem 1))
	ZB=$(median $(awk '{ print $3 / 1e9 / $1 * 100 }' "$PZ_STATE/full.cpu" "$PZ_STATE/full.mem"))
	ZM=$(median $(awk '{ print $2 / 1048576 }' "$PZ_STATE/full.cpu" "$PZ_STATE/full.mem"))
}
pz_log "medians: cpu base $CB s, full $CF s, policy $CP s; mem base $MB s, full $MF s, policy $MP s"
awk -v z="$ZB" 'BEGIN { exit !(z > 0) }' ||
	pz_fail "the module zeroed nothing during the full-budget runs: no measurement"
pz_bench "$(awk -v cb="$CB" -v cf="$CF" -v cp="$CP" -v mb="$MB" -v mf="$MF" -v mp="$MP" \
	-v zb="$ZB" -v zm="$ZM" -v r="$ROUNDS" 'BEGIN {
	printf "{\"what\":\"corunner\",\"cpu_slowdown_pct\":%.2f,\"mem_slowdown_pct\":%.2f,", \
		(cf / cb - 1) * 100, (mf / mb - 1) * 100
	printf "\"cpu_policy_slowdown_pct\":%.2f,\"mem_policy_slowdown_pct\":%.2f,", \
		(cp / cb - 1) * 100, (mp / mb - 1) * 100
	printf "\"cpu_s_base\":%.3f,\"cpu_s_full\":%.3f,\"mem_s_base\":%.3f,\"mem_s_full\":%.3f,", \
		cb, cf, mb, mf
	printf "\"zeroing_busy_pct\":%.1f,\"zeroed_mib_per_run\":%.0f,\"rounds\":%d}", zb, zm, r }')"
