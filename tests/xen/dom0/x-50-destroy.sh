# shellcheck shell=dash
# pz-timeout: 120
# xl destroy pv1: its files and its xenstore tree go away, prezeroctl no
# longer knows it, and pvh1's list stays.
. /lib/prezero/tests/xen-lib.sh

id=$(xg_need pv1) || exit 1
other=$(xg_id pvh1)
f=$(pzx_file "$id")
[ -f "$f" ] || pz_fail "no $f before destroy"
xl destroy pv1 || pz_fail "xl destroy pv1 failed"
pz_wait_until 30 sh -c "! test -e $f && ! test -e $f.json" || pz_fail "$f still there 30 s after destroy"
pz_wait_until 10 sh -c "! xenstore-exists /local/domain/$id" || pz_fail "/local/domain/$id still in xenstore"
pzx_dom_index "$id" >/dev/null && pz_fail "prezeroctl xen list still shows domain $id"
pzx_json xen exclude "$id" >/tmp/x50.out 2>&1 && pz_fail "prezeroctl xen exclude $id succeeded after destroy"
pzx_json xen exclude pv1 >/tmp/x50.out 2>&1 && pz_fail "prezeroctl xen exclude pv1 succeeded after destroy"
if [ -n "$other" ]; then
	[ -f "$(pzx_file "$other")" ] || pz_fail "pvh1's list went away too"
fi
pzx_stop
xg_check_consoles
pzx_log_on_fail
