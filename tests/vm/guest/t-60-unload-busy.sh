# shellcheck shell=dash
# Unloading while the module is zeroing is safe, at several moments of a
# pass; the kernel log check after the scenario catches any splat.
# pz-timeout: 400
. /lib/prezero/tests/pz-kmod.sh

for delay in 2.2 2.6 3 4; do
	pz_fresh || { pz_fail "insmod failed"; exit 1; }
	pz_dirty 60
	prezeroctl budget 0 1T || pz_fail "budget grant failed"
	sleep "$delay"
	calls=$(pz_field report_calls)
	rmmod prezero || pz_fail "rmmod during zeroing (after ${delay}s) failed"
	pz_expect_gone
	pz_log "unloaded ${delay}s after the grant, $calls report calls in"
done
# And it comes back working.
pz_fresh budget_rate=1099511627776 || pz_fail "insmod after busy unloads failed"
pz_dirty 40
pz_wait_until 60 pz_zeroed_gt 0 ||
	pz_fail "nothing zeroed after reload"
rmmod prezero || pz_fail "rmmod failed"
