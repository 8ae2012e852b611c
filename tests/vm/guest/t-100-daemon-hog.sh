# shellcheck shell=dash
# A CPU hog on every guest CPU stops zeroing within 2 s, and zeroing resumes
# once the hog is gone.
#
# "Stops" means: (1) within 2 s of the hog's start (pz-hog's own timestamp)
# the module's budget for node 0 is rate 0, burst 0, read from the module
# itself, so no new batch can start; (2) after that moment zeroed_bytes
# changes at most once, by at most one batch (PZD_BATCH_MAX: the batch that
# was in flight; the module adds a batch's bytes when it is done, and its
# nice-19 worker finishes it slowly under the hog); (3) the counter is then
# constant for 3 s; (4) the daemon says "busy". The module is sampled every
# 100 ms by pz-nodewatch; times are on the guest's clock (CLOCK_BOOTTIME,
# as /proc/uptime) and are upper bounds: a sample's time is taken after its
# read. The module must have had its budget just before the hog started.
# pz-vm: mem=1024
# pz-timeout: 150
. /lib/prezero/tests/pz-kmod.sh
. /lib/prezero/tests/pz-daemon.sh

pz_fresh || { pz_fail "insmod failed"; exit 1; }
# idle_min_pct 40 (pzd_conf): prezero's own worker can keep one of the two
# vCPUs busy while it zeroes, and the daemon counts that as load (see
# t-100-daemon-grant); at 40 only the hog (0% idle) makes the node busy.
pzd_conf
pzd_start || exit 1
# Work for the module, so there is zeroing to stop.
pz_dirty 80
if ! pzd_wait 30 pzd_mod_zeroed_gt 0 0; then
	pz_fail "nothing zeroed within 30 s of dirtying: $(pzd_get nodes.0 2>&1)"
	pzd_stop
	rmmod prezero
	exit 1
fi
pzd_wait 5 pzd_node_state_is 0 granted ||
	pz_fail "node 0 not granted while zeroing: $(pzd_get nodes.0 2>&1)"

ncpu=$(nproc)
hogout=$PZ_STATE/hog.out
watch=$PZ_STATE/hog.watch
states=$PZ_STATE/hog.states
: >"$states"
# The module's side, 10 samples a second from one process (pz-nodewatch):
# "time rate burst zeroed_bytes zero_ns".
pz-nodewatch 0 100 90 >"$watch" &
watcher=$!
# Start the hog at a moment the module has its budget.
granted_now() {
	[ "$(tail -n 1 "$watch" | awk '{ print ($2 > 0 && $3 > 0) }')" = 1 ]
}
pz_wait_until 10 granted_now || pz_fail "the module had no budget before the hog"
pz-hog "$ncpu" 120 >"$hogout" &
hog=$!
tl=$(pz_now)

# analyse TH: from the samples at or after TH (the hog's start) print
# "t_stop z_stop changes t_change z_end steady_s before" ("-" for what did
# not happen yet): the first sample with budget 0, the zeroed_bytes
# changes after it, how long the counter has been constant since, and the
# budget rate of the last sample before TH.
analyse() {
	awk -v th="$1" '
	$1 < th { before = $2; next }
	!stop && $2 == 0 && $3 == 0 { stop = 1; ts = $1; zs = $4; z = $4; tc = $1 }
	stop && $4 != z { n++; z = $4; tc = $1 }
	{ last = $1 }
	END {
		if (!stop) { print "- - - - - - " before; exit }
		printf "%s %s %d %s %s %.2f %s\n", ts, zs, n, tc, z, last - tc, before
	}' "$watch"
}

th=""
while :; do
	echo "$(pz_now) $(pzd_get nodes.0.state nodes.0.idle_pct | tr '\n' ' ')" >>"$states"
	[ -n "$th" ] || th=$(sed -n 's/.* started at \([0-9.]*\)$/\1/p' "$hogout")
	if [ -n "$th" ]; then
		read -r ts zs n tc ze steady before <<EOF
$(analyse "$th")
EOF
		[ "$ts" != - ] && awk -v s="$steady" 'BEGIN { exit !(s >= 3) }' && break
	fi
	awk -v t="$(pz_now)" -v l="$tl" 'BEGIN { exit !(t - l > 30) }' && break
	sleep 0.5
done
kill "$watcher"
wait "$watcher"
pz_log "module samples (time budget_rate budget_burst zeroed_bytes zero_ns)" \
	"from 1 s before the hog, where they change, and the last:"
awk -v th="${th:-0}" '$1 >= th - 1 && $2 " " $3 " " $4 != prev { print; shown = $0 }
	{ prev = $2 " " $3 " " $4; last = $0 } END { if (last != shown) print last }' \
	"$watch" | sed 's/^/  /' >/dev/console
pz_log "daemon samples (time state idle_pct):"
sed 's/^/  /' "$states" >/dev/console

if [ -z "$th" ]; then
	pz_fail "pz-hog did not start: $(cat "$hogout")"
	ts=-
fi
since() { awk -v a="$1" -v b="$th" 'BEGIN { printf "%.2f\n", a - b }'; }
tb=$(awk -v th="${th:-0}" '$1 >= th && $2 == "busy" { print $1; exit }' "$states")
st=$(tail -n 1 "$states" | awk '{ print $2 }')
if [ "$ts" = - ]; then
	pz_fail "the module still has a budget 30 s after the hog started"
else
	pz_log "hog on $ncpu CPUs at $th (module budget rate before: $before):" \
		"module budget 0 after $(since "$ts") s, state busy seen after" \
		"$(if [ -n "$tb" ]; then since "$tb"; else echo never; fi) s;" \
		"after the stop zeroed_bytes changed $n time(s) by $((ze - zs)) bytes," \
		"last change $(since "$tc") s after the hog started"
	[ "${before:-0}" -gt 0 ] ||
		pz_fail "the module had no budget when the hog started (rate $before): nothing to stop"
	awk -v a="$ts" -v b="$th" 'BEGIN { exit !(a - b <= 2.0) }' ||
		pz_fail "budget withdrawn $(since "$ts") s after the hog started (bound 2 s)"
	[ "$n" -le 1 ] ||
		pz_fail "zeroed_bytes changed $n times after the budget went to 0 (one batch in flight allowed)"
	[ $((ze - zs)) -le "$PZD_BATCH_MAX" ] ||
		pz_fail "$((ze - zs)) bytes zeroed after the budget went to 0 (one batch is at most $PZD_BATCH_MAX)"
	awk -v s="$steady" 'BEGIN { exit !(s >= 3) }' ||
		pz_fail "zeroed_bytes not constant for 3 s within 30 s of the hog's start"
fi
[ -n "$tb" ] || pz_fail "the daemon never said busy while the hog ran"
pz_expect_eq "$st" busy "node 0 state at the end of the hog window"

# The hog goes: the node is granted again and zeroing resumes.
case ${ze:-} in '' | -) ze=$(pzd_mod nodes.0.zeroed_bytes) ;; esac
kill -TERM "$hog"
wait "$hog"
tk=$(pz_now)
if pzd_wait 15 pzd_node_state_is 0 granted; then
	pz_log "granted again $(awk -v a="$(pz_now)" -v b="$tk" 'BEGIN { printf "%.2f", a - b }') s after the hog ended"
else
	pz_fail "node 0 not granted 15 s after the hog ended: $(pzd_get nodes.0 2>&1)"
fi
pzd_wait 30 pzd_mod_zeroed_gt 0 "$ze" ||
	pz_fail "zeroing did not resume within 30 s of the hog's end (scrubbed: $(pzd_mod nodes.0.scrubbed))"
pz_log "zeroing resumed $(awk -v a="$(pz_now)" -v b="$tk" 'BEGIN { printf "%.2f", a - b }') s after the hog ended"
pzd_stop
rmmod prezero || pz_fail "rmmod failed"
