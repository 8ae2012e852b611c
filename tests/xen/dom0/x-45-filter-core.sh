# shellcheck shell=dash
# pz-timeout: 180
# A dump of a ballooned guest filtered with its list: pvh1 down to 128 MiB,
# a new list; pz-xenverify writes a core as a dump tool without a list
# would (one PT_LOAD over [0, static-max)); prezeroctl xen filter-core
# rewrites it with the list; the result covers exactly the frames outside
# the list, once each, with the same bytes (pz-xenverify corecheck).
. /lib/prezero/tests/xen-lib.sh

g=pvh1
id=$(xg_need $g) || exit 1
f=$(pzx_file "$id")
gen=$(pzx_header "$f" generation)
[ -n "$gen" ] || { pz_fail "$g: no list"; exit 1; }
xg_balloon $g 128 || exit 1
pzx_wait_gen $g "$gen" 60 || { pz_fail "$g: no new list 60 s after mem-set"; exit 1; }
cp "$f" /tmp/core.exclude
line=$(pz-xenverify check "$id" /tmp/core.exclude) || pz_fail "$g: list disagrees: $line"
excl=$(($(pzx_header /tmp/core.exclude excluded-frames)))
pz_expect_ge "$excl" 30000 "$g: excluded frames at 128 MiB"
line=$(pz-xenverify core "$id" /tmp/core.in) || { pz_fail "pz-xenverify core failed: $line"; exit 1; }
pz_log "$line"
out=$(prezeroctl xen filter-core /tmp/core.in /tmp/core.out --exclude /tmp/core.exclude 2>&1) ||
	{ pz_fail "filter-core failed: $out"; exit 1; }
pz_log "filter-core: $out"
line=$(pz-xenverify corecheck /tmp/core.in /tmp/core.out /tmp/core.exclude) ||
	pz_fail "filtered core is wrong: $line"
pz_log "corecheck: $line"
pz_expect_eq "$(xv_get "$line" covered)" "$(($(xv_get "$line" frames) - excl))" "frames left in the core"
# A malformed core is refused and leaves no output.
head -c 100 /tmp/core.in >/tmp/core.bad
prezeroctl xen filter-core /tmp/core.bad /tmp/core.out2 --exclude /tmp/core.exclude >/dev/null 2>&1 &&
	pz_fail "filter-core accepted a truncated core"
[ -e /tmp/core.out2 ] && pz_fail "filter-core left /tmp/core.out2 after refusing"
rm -f /tmp/core.in /tmp/core.out /tmp/core.bad /tmp/core.exclude
pzx_log_on_fail
