# shellcheck shell=dash
# The main promise: with budget the module zeroes dirty free memory, a fair
# sample shows dirty blocks before and only zero blocks after, and budget 0
# stops zeroing.
# pz-timeout: 600
. /lib/prezero/tests/pz-kmod.sh

pz_fresh || { pz_fail "insmod failed"; exit 1; }
pz_dirty 70
sleep 5 # passes run two seconds after a large free, and are refused

pz_expect_eq "$(pz_field zeroed_bytes)" 0 "bytes zeroed with budget 0"
pz_expect_ge "$(pz_field report_calls)" 1 "report calls with budget 0"
pz_expect_ge "$(pz_field returned_blocks)" 1 "blocks handed back with budget 0"

v=$(prezeroctl --json verify 0 --samples 16) || pz_fail "verify failed"
echo "before: $v"
pz_expect_ge "$(echo "$v" | pz_json sampled)" 8 "blocks sampled before"
pz_expect_ge "$(echo "$v" | pz_json dirty)" 1 "dirty blocks before scrubbing"
case $(echo "$v" | pz_json verdict) in
dirty | mixed) ;;
*) pz_fail "verdict before scrubbing: $(echo "$v" | pz_json verdict)" ;;
esac

prezeroctl budget 0 1T || pz_fail "budget grant failed"
pz_wait_until 10 pz_zeroed_gt 0 ||
	pz_fail "nothing zeroed 10 s after the grant"
# The module's own verdict, not "most of it": the sample below must find
# nothing but zero blocks.
pz_wait_slowly 400 pz_scrubbed || pz_fail "node 0 not scrubbed within 400 s"
prezeroctl status

zb=$(pz_field zeroed_bytes)
pz_expect_ge "$zb" $((256 << 20)) "bytes zeroed"
pz_expect_all_zero 0 "after scrubbing"

# Budget 0 stops zeroing: dirty memory again and nothing more is zeroed.
prezeroctl budget 0 0 || pz_fail "budget 0 failed"
sleep 1
z0=$(pz_field zeroed_bytes)
r0=$(pz_field returned_blocks)
pz_dirty 60
sleep 8
pz_expect_eq "$(pz_field zeroed_bytes)" "$z0" "bytes zeroed after budget 0"
pz_expect_ge "$(pz_field returned_blocks)" $((r0 + 1)) "blocks handed back after budget 0"
case $(pz_field scrubbed) in
1 | true) pz_fail "node still says scrubbed while it holds dirty blocks" ;;
esac
v=$(prezeroctl --json verify 0 --samples 16)
pz_expect_ge "$(echo "$v" | pz_json dirty)" 1 "dirty blocks after budget 0"

# Disabled wins over any budget.
prezeroctl budget 0 1T || pz_fail "budget grant failed"
prezeroctl disable 0 || pz_fail "disable failed"
sleep 6
pz_expect_eq "$(pz_field zeroed_bytes)" "$z0" "bytes zeroed while disabled"
prezeroctl enable 0 || pz_fail "enable failed"
pz_wait_until 30 pz_zeroed_gt "$z0" ||
	pz_fail "zeroing did not resume after enable"
rmmod prezero || pz_fail "rmmod failed"
