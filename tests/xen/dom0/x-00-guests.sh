# shellcheck shell=dash
# pz-timeout: 240
# A PV and a PVH guest (256 MiB each, balloon driver built into the 6.1
# kernel) boot and answer through their xenstore tree; before any
# ballooning, pz-xenverify finds (almost) every frame below static-max
# populated.
. /lib/prezero/tests/xen-lib.sh

xg_ensure pv1 pv 256 || exit 1
xg_ensure pvh1 pvh 256 || exit 1
for g in pv1 pvh1; do
	xg_ask "$g" 30 || continue
	kb=$(xg_reply "$g" meminfo-kb)
	pz_expect_ge "$kb" 100000 "$g MemTotal (kB)"
	# No prezerod yet: nothing published for the guest to read.
	pz_expect_eq "$(xg_reply "$g" generation)" none "$g: prezero/exclude/generation before prezerod"
	line=$(xv_scan "$g") || { pz_fail "pz-xenverify scan $g failed"; continue; }
	pz_log "$g: $line"
	frames=$(xv_get "$line" frames)
	pz_expect_eq "$frames" $(($(xg_static_max_kb "$g") / 4)) "$g: frames scanned = static-max"
	# Unballooned: at most a few frames (firmware/ACPI holes) unpopulated.
	un=$(xv_get "$line" unpopulated)
	[ "${un:-99999}" -le 256 ] || pz_fail "$g: $un frames unpopulated before ballooning"
done
