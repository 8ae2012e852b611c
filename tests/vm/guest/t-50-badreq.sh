# shellcheck shell=dash
# Malformed requests get an error with an extack message and change nothing;
# callers without CAP_NET_ADMIN may read but not change.
# pz-timeout: 180
. /lib/prezero/tests/pz-kmod.sh

pz_fresh || { pz_fail "insmod failed"; exit 1; }
prezeroctl budget 0 5M 7M || pz_fail "budget failed"
pz-badreq || pz_fail "pz-badreq found wrong answers"
pz-badreq --unpriv || pz_fail "pz-badreq --unpriv found wrong answers"

# The same through prezeroctl as an unprivileged user.
pz_as_nobody prezeroctl caps >/dev/null || pz_fail "caps as nobody failed"
pz_as_nobody prezeroctl status >/dev/null || pz_fail "status as nobody failed"
pz_as_nobody prezeroctl budget 0 1G >/tmp/out 2>&1
pz_expect_eq "$?" 1 "budget as nobody: exit code"
grep -qi 'not permitted' /tmp/out || pz_fail "budget as nobody: $(cat /tmp/out)"
pz_as_nobody prezeroctl verify 0 >/tmp/out 2>&1
pz_expect_eq "$?" 1 "verify as nobody: exit code"
pz_expect_eq "$(pz_field budget_rate)" $((5 << 20)) "budget after refused requests"
pz_expect_eq "$(pz_field budget_burst)" $((7 << 20)) "burst after refused requests"

# prezeroctl refuses bad input before sending anything.
for bad in "budget 0 -1" "budget 0 12Q" "budget 0 2T" "budget x 1G" "verify 0 --samples 0"; do
	# shellcheck disable=SC2086
	prezeroctl $bad >/tmp/out 2>&1
	rc=$?
	[ $rc -ne 0 ] || pz_fail "prezeroctl $bad succeeded"
	[ -s /tmp/out ] || pz_fail "prezeroctl $bad printed no reason"
done
pz_expect_eq "$(pz_field budget_rate)" $((5 << 20)) "budget after bad input"
rmmod prezero || pz_fail "rmmod failed"
