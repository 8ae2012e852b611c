# shellcheck shell=dash
# Smoke: the guest works, and prezero.ko (when built) loads and unloads.
# pz-timeout: 120

pz_expect_eq "$(uname -r)" "$PZ_KVER" "uname -r"

total=$(pz_meminfo MemTotal)
pz_expect_ge "${total:-0}" 1 "MemTotal kB"

if [ -f /lib/modules/extra/prezero.ko ]; then
	pz_insmod prezero || pz_fail "insmod prezero.ko failed"
	grep -q '^prezero ' /proc/modules || pz_fail "prezero not in /proc/modules"
	rmmod prezero || pz_fail "rmmod prezero failed"
	! grep -q '^prezero ' /proc/modules || pz_fail "prezero still loaded"
else
	pz_log "no prezero.ko in the initramfs: module checks not run"
fi
