# shellcheck shell=dash
# pz-timeout: 180
# Restart prezerod: the lists are rebuilt, their generations continue above
# the ones before the restart, and they agree with the truth (pzx_verify).
. /lib/prezero/tests/xen-lib.sh

for g in pv1 pvh1; do
	id=$(xg_need "$g") || continue
	gen=$(pzx_header "$(pzx_file "$id")" generation)
	[ -n "$gen" ] || pz_fail "$g: no list before the restart"
	eval "gen_$g=\${gen:-0}"
done
pzx_stop
pzx_start || exit 1
for g in pv1 pvh1; do
	old=0
	eval "old=\${gen_$g:-0}"
	pzx_wait_gen "$g" "$old" 60 || { pz_fail "$g: no rebuilt list above generation $old in 60 s"; continue; }
	pzx_verify "$g"
	pz_log "$g: generation $old -> $PZX_GEN after the restart"
done
pzx_log_on_fail
