# shellcheck shell=dash
# pz-timeout: 180
# prezerod starts in dom0 (settle_s 2, min_interval_s 1) with both guests
# ballooned to 128 MiB: each gets a list, and everything about it agrees
# (pzx_verify: the file, pz-xenverify's truth, the balloon, the JSON file,
# prezeroctl xen list/exclude --json, the xenstore copy, the guest's view,
# the guest cannot write there).
. /lib/prezero/tests/xen-lib.sh

pzx_conf
pzx_start || exit 1
for g in pv1 pvh1; do
	xg_need "$g" >/dev/null || continue
	if ! pzx_wait_gen "$g" 0 60; then
		tail -n 20 "$PZX_LOG" >/dev/console
		pz_fail "$g: no list in 60 s"
		continue
	fi
	pzx_verify "$g"
	pz_log "$g: generation $PZX_GEN, $PZX_EXCL frames excluded"
done
pzx_log_on_fail
