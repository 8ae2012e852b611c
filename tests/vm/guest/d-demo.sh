# shellcheck shell=dash
# The quick-start demo (make demo): what prezero.ko does, step by step.
# pz-timeout: 900
. /lib/prezero/tests/pz-kmod.sh

say() {
	printf '\n==> %s\n' "$*"
}

say "Load prezero.ko. Its budget is 0 until someone (prezerod) grants one."
pz_fresh || { pz_fail "insmod failed"; exit 1; }
prezeroctl caps

say "Dirty 70 % of the free memory with a pattern, then free it again."
pz_dirty 70
sleep 3
prezeroctl status

say "A fair sample of free 2 MiB blocks: taken at random frames, checked, freed."
prezeroctl verify 0 --samples 32

say "Start prezerod (default policy): node 0 gets 256 MiB/s once idle for 2 s."
. /lib/prezero/tests/pz-daemon.sh
printf '[daemon]\nsocket = %s\n' "$PZD_SOCK" >"$PZD_CONF"
pzd_start || exit 1
prezeroctl watch --count 1 --timeout 600 &
watcher=$!
t0=$(pz_now)
while ! pz_mostly_scrubbed; do
	sleep 5
	printf '%6.1fs  node 0 %s, zeroed %s MiB, zeroed-free %s of %s MiB large free\n' \
		"$(awk -v a="$t0" -v b="$(pz_now)" 'BEGIN { print b - a }')" \
		"$(pzd_get nodes.0.state)" \
		"$(($(pz_field zeroed_bytes) >> 20))" \
		"$(($(pz_field zeroed_free_bytes) >> 20))" \
		"$(($(pz_field free_large_bytes) >> 20))"
	[ "$(awk -v a="$t0" -v b="$(pz_now)" 'BEGIN { print (b - a > 600) }')" = 1 ] && break
done
wait $watcher
prezeroctl status

say "The same sample after scrubbing."
prezeroctl verify 0 --samples 32

say "Stop prezerod: it takes every node's budget back (rate 0, burst 0)."
pzd_stop
prezeroctl status

say "Page faults still zero their pages on this kernel (fault_skip: unsupported): the module scrubs free memory; it does not make faults faster."
rmmod prezero
