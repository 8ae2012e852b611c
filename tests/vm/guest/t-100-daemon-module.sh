# shellcheck shell=dash
# prezerod follows the module: started without it, it runs "degraded"; an
# insmod is noticed (budget granted, zeroing); an rmmod while it runs is
# allowed and noticed (degraded again, the daemon keeps running); a second
# insmod gets budget again and zeroing resumes.
# pz-vm: mem=1024
# pz-timeout: 150
. /lib/prezero/tests/pz-kmod.sh
. /lib/prezero/tests/pz-daemon.sh

# pzd_loaded_is BOOL DAEMON_STATE: status shows the module (not) loaded.
pzd_loaded_is() {
	[ "$(pzd_get module.loaded daemon.state | tr '\n' ' ')" = "$1 $2 " ]
}

if pz_loaded; then
	rmmod prezero || pz_fail "rmmod before the scenario failed"
fi
pzd_conf
pzd_start || exit 1
prezeroctl status
pz_expect_eq "$(pzd_get daemon.state)" degraded "daemon.state without the module"
pz_expect_eq "$(pzd_get module.loaded)" false "module.loaded without the module"
r=$(pzd_get module.reason)
[ -n "$r" ] || pz_fail "no module.reason without the module"
pz_log "without the module: daemon.reason '$(pzd_get daemon.reason)', module.reason '$r'"
pz_expect_eq "$(pzd_get nodes.0.state)" no-module "node 0 state without the module"
pz_expect_eq "$(pzd_get nodes.0.module)" null "node 0 module numbers without the module"

# insmod: noticed, granted, zeroing.
insmod "$PZ_KO" || { pz_fail "insmod failed"; pzd_stop; exit 1; }
pzd_wait 10 pzd_loaded_is true running ||
	pz_fail "10 s after insmod: module.loaded/daemon.state $(pzd_get module.loaded daemon.state | tr '\n' ' ')"
pzd_wait 10 pzd_mod_granted 0 ||
	pz_fail "no budget for node 0 10 s after insmod: $(pzd_get nodes.0 2>&1)"
pz_dirty 40
pzd_wait 30 pzd_mod_zeroed_gt 0 0 ||
	pz_fail "nothing zeroed within 30 s after insmod: $(pzd_get nodes.0 2>&1)"

# rmmod while the daemon runs: allowed, noticed, the daemon stays.
t0=$(pz_now)
rmmod prezero || pz_fail "rmmod while prezerod runs failed"
pz_expect_gone
if pzd_wait 5 pzd_loaded_is false degraded; then
	pz_log "degraded $(awk -v a="$(pz_now)" -v b="$t0" 'BEGIN { printf "%.2f", a - b }') s after rmmod"
else
	pz_fail "5 s after rmmod: module.loaded/daemon.state $(pzd_get module.loaded daemon.state | tr '\n' ' ')"
fi
pz_expect_eq "$(pzd_get nodes.0.state)" no-module "node 0 state after rmmod"
sleep 2
pzd_alive || pz_fail "prezerod died after the rmmod"
pzd_serving || pz_fail "prezerod stopped answering after the rmmod"

# insmod again: a fresh module (budget 0, counters 0) gets budget and zeroes.
insmod "$PZ_KO" || { pz_fail "insmod again failed"; pzd_stop; exit 1; }
pzd_wait 10 pzd_loaded_is true running ||
	pz_fail "10 s after the second insmod: module.loaded/daemon.state $(pzd_get module.loaded daemon.state | tr '\n' ' ')"
pzd_wait 10 pzd_mod_granted 0 ||
	pz_fail "no budget for node 0 10 s after the second insmod: $(pzd_get nodes.0 2>&1)"
pz_dirty 40
pzd_wait 30 pzd_mod_zeroed_gt 0 0 ||
	pz_fail "nothing zeroed within 30 s after the second insmod: $(pzd_get nodes.0 2>&1)"
pzd_stop
pzd_show_log 20
rmmod prezero || pz_fail "rmmod failed"
