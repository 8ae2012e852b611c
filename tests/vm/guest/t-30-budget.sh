# shellcheck shell=dash
# A rate budget is respected; running out is an event; and once budget
# returns, zeroing resumes within seconds on an idle guest where nothing
# frees memory (the module re-arms free page reporting itself).
# pz-timeout: 400
. /lib/prezero/tests/pz-kmod.sh

pz_fresh || { pz_fail "insmod failed"; exit 1; }
prezeroctl --json watch --timeout 120 --count 1 >/tmp/events 2>&1 &
watcher=$!
sleep 1
pz_dirty 70
sleep 4

rate=$((32 << 20))
t0=$(pz_now)
prezeroctl budget 0 $rate $((2 * rate)) || pz_fail "budget grant failed"
sleep 12
zb=$(pz_field zeroed_bytes)
t1=$(pz_now)
# Allowed: the burst, the rate over the time, one batch (32 blocks of 4 MiB).
max=$(awk -v r=$rate -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", 2 * r + r * (b - a) + 128 * 1048576 }')
echo "zeroed $zb bytes in $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s at $rate B/s (at most $max)"
# And it keeps going: at least half the rate once the first pass ran (two
# seconds after the grant); passes every two seconds make it lumpy.
min=$(awk -v r=$rate -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", r * (b - a - 2) / 2 }')
pz_expect_ge "$zb" "$min" "bytes zeroed under a rate budget"
pz_expect_ge "$max" "$zb" "bytes zeroed within the rate budget (max >= zeroed)"
pz_expect_ge "$(pz_field exhausted)" 1 "budget exhaustion count"

wait $watcher
cat /tmp/events
grep -q 'budget-exhausted' /tmp/events || pz_fail "no budget-exhausted event"

# Idle with budget 0: passes stop, nothing frees memory.
prezeroctl budget 0 0 || pz_fail "budget 0 failed"
pz_dirty 60
sleep 8
c1=$(pz_field report_calls)
z1=$(pz_field zeroed_bytes)
sleep 4
pz_log "report calls while idle with budget 0: $c1 -> $(pz_field report_calls)"
t0=$(pz_now)
prezeroctl budget 0 1T || pz_fail "budget grant failed"
if pz_wait_until 15 pz_zeroed_gt "$z1"; then
	pz_log "zeroing resumed $(awk -v a="$t0" -v b="$(pz_now)" 'BEGIN { print b - a }') s after the grant"
else
	pz_fail "zeroing did not resume within 15 s of the grant"
fi
rmmod prezero || pz_fail "rmmod failed"
