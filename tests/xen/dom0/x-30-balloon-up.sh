# shellcheck shell=dash
# pz-timeout: 180
# xl mem-set both guests up to 192 MiB: a new list (generation moves) that
# is shorter, and agrees with the truth everywhere (pzx_verify).
. /lib/prezero/tests/xen-lib.sh

for g in pv1 pvh1; do
	id=$(xg_need "$g") || continue
	f=$(pzx_file "$id")
	gen=$(pzx_header "$f" generation)
	excl=$(($(pzx_header "$f" excluded-frames)))
	[ -n "$gen" ] || { pz_fail "$g: no list before mem-set"; continue; }
	xg_balloon "$g" 192 || continue
	pzx_wait_gen "$g" "$gen" 60 || { pz_fail "$g: generation still $gen 60 s after mem-set"; continue; }
	pzx_verify "$g"
	[ "$PZX_EXCL" -lt "$excl" ] || pz_fail "$g: list did not shrink ($excl -> $PZX_EXCL frames)"
	pz_log "$g: generation $gen -> $PZX_GEN, $excl -> $PZX_EXCL frames"
done
pzx_log_on_fail
