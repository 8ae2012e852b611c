# shellcheck shell=dash
# The events group: a scrubbed node is announced.
# pz-timeout: 600
. /lib/prezero/tests/pz-kmod.sh

pz_fresh || { pz_fail "insmod failed"; exit 1; }
pz_dirty 50
prezeroctl --json watch --timeout 450 --count 1 >/tmp/events 2>&1 &
watcher=$!
sleep 1
prezeroctl budget 0 1T || pz_fail "budget grant failed"
wait $watcher
rc=$?
cat /tmp/events
pz_expect_eq "$rc" 0 "watch exit code"
grep -q 'node-scrubbed' /tmp/events || pz_fail "no node-scrubbed event"
pz_expect_eq "$(pz_json node </tmp/events)" 0 "event node"
rmmod prezero || pz_fail "rmmod failed"
