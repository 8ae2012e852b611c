# shellcheck shell=dash
# pz-timeout: 240
# xl mem-set both guests down to 128 MiB: the balloon drivers give the
# frames back, and pz-xenverify's truth finds (static-max - current) of the
# frames below static-max unpopulated (within XV_SLACK frames: PVH keeps 16
# special pages above static-max in tot_pages).
. /lib/prezero/tests/xen-lib.sh
XV_SLACK=64

for g in pv1 pvh1; do
	xg_need "$g" >/dev/null || continue
	xg_balloon "$g" 128 || continue
	line=$(xv_scan "$g") || { pz_fail "pz-xenverify scan $g failed"; continue; }
	pz_log "$g: $line"
	un=$(xv_get "$line" unpopulated)
	frames=$(xv_get "$line" frames)
	tot=$(xv_get "$line" tot_pages)
	want=$((frames - tot))
	d=$((un - want))
	[ $d -lt 0 ] && d=$((-d))
	pz_log "$g: unpopulated $un, static-max - tot_pages = $want (diff $d)"
	[ $d -le $XV_SLACK ] || pz_fail "$g: $un frames unpopulated, balloon gave back $want"
	pz_expect_ge "$un" 30000 "$g: unpopulated frames after mem-set 128m"
	xg_ask "$g" 30 && pz_expect_ge "$(xg_reply "$g" meminfo-kb)" 1 "$g meminfo"
done
