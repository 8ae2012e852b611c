# shellcheck shell=dash
# With init_on_alloc the allocator zeroes what verify takes, so verify must
# answer "inconclusive", never "zero", even for memory known to be dirty.
# pz-vm: append="init_on_alloc=1"
# pz-timeout: 180
. /lib/prezero/tests/pz-kmod.sh

grep -q 'init_on_alloc=1' /proc/cmdline || pz_fail "guest did not boot with init_on_alloc=1"
pz_fresh || { pz_fail "insmod failed"; exit 1; }
case $(prezeroctl --json caps | pz_json init_on_alloc) in
1 | true) ;;
*) pz_fail "caps init_on_alloc is not on" ;;
esac
pz_dirty 60
sleep 3
v=$(prezeroctl --json verify 0 --samples 16) || pz_fail "verify failed"
echo "$v"
pz_expect_ge "$(echo "$v" | pz_json sampled)" 1 "blocks sampled"
pz_expect_eq "$(echo "$v" | pz_json verdict)" inconclusive "verdict under init_on_alloc"
prezeroctl verify 0 | grep -qi 'inconclusive' || pz_fail "human verify output does not say inconclusive"
rmmod prezero || pz_fail "rmmod failed"
