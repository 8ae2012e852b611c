# shellcheck shell=dash
# pz-timeout: 240
# hvm_scan = query (prezerod.conf(5)): prezerod restarted with it never
# maps a PVH/HVM guest's frames and asks HVMOP_get_mem_type frame by
# frame, the method auto uses for guests with populate-on-demand entries
# or paged frames. The PVH guest's list made that way agrees with the
# truth like a mapped one (pzx_verify), and says which method made it; the
# PV guest is read from its p2m either way. Back to the default after.
. /lib/prezero/tests/xen-lib.sh

for g in pv1 pvh1; do
	id=$(xg_need "$g") || continue
	# shellcheck disable=SC2034 # read through eval
	gen=$(pzx_header "$(pzx_file "$id")" generation)
	eval "gen_$g=\${gen:-0}"
done
pzx_stop
pzx_conf hvm_scan=query
pzx_start || exit 1
pz_expect_eq "$(pzx_json config show | pz-json config.xen.hvm_scan)" query "config show: hvm_scan"
for g in pv1 pvh1; do
	xg_need "$g" >/dev/null || continue
	old=0
	eval "old=\${gen_$g:-0}"
	pzx_wait_gen "$g" "$old" 120 || { pz_fail "$g: no list above generation $old in 120 s"; continue; }
	pzx_verify "$g"
	case $g in
	pv1) want=p2m ;;
	*) want=get-mem-type ;;
	esac
	pz_expect_eq "$(pzx_exclude_info "$g" method)" "$want" "$g: method with hvm_scan = query"
	pz_log "$g: generation $PZX_GEN by $want, $PZX_EXCL frames excluded"
done
pzx_stop
pzx_conf
pzx_start || exit 1
id=$(xg_need pvh1) &&
	pzx_wait_gen pvh1 "$(pzx_header "$(pzx_file "$id")" generation)" 60 &&
	pz_expect_eq "$(pzx_exclude_info pvh1 method)" foreign-map "pvh1: method with hvm_scan = auto"
pzx_log_on_fail
