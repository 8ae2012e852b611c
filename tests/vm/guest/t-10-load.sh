# shellcheck shell=dash
# Load and unload, capabilities, the load-time budget and its module
# parameters, and prezeroctl without the module.
# pz-timeout: 180
. /lib/prezero/tests/pz-kmod.sh

pz_fresh || { pz_fail "insmod prezero.ko failed"; exit 1; }
dmesg | grep -q 'prezero: zeroing free blocks of order' ||
	pz_fail "no load message in the kernel log"

out=$(prezeroctl caps) || pz_fail "prezeroctl caps failed"
echo "$out"
echo "$out" | grep -qx 'fault_skip: unsupported' ||
	pz_fail "caps does not say 'fault_skip: unsupported'"

j=$(prezeroctl --json caps) || pz_fail "prezeroctl --json caps failed"
echo "$j"
pz_expect_eq "$(echo "$j" | pz_json release)" "$(uname -r)" "caps release"
pz_expect_eq "$(echo "$j" | pz_json fault_skip)" unsupported "caps fault_skip"
pz_expect_eq "$(echo "$j" | pz_json reporting)" registered "caps reporting"
pz_expect_eq "$(echo "$j" | pz_json reporting_order)" 9 "caps reporting_order"
case $(echo "$j" | pz_json init_on_alloc) in
0 | false) ;;
*) pz_fail "caps init_on_alloc: the guest boots with init_on_alloc=0" ;;
esac
nodes=$(find /sys/devices/system/node -maxdepth 1 -name 'node[0-9]*' | wc -l)
pz_expect_eq "$(echo "$j" | pz_json nr_nodes)" "$nodes" "caps nr_nodes"

# At load the module waits for a daemon: no budget.
pz_expect_eq "$(pz_field budget_rate)" 0 "budget_rate at load"
pz_expect_eq "$(pz_field budget_burst)" 0 "budget_burst at load"
pz_expect_eq "$(pz_field enabled | sed 's/true/1/')" 1 "enabled at load"

rmmod prezero || pz_fail "rmmod failed"
pz_loaded && pz_fail "module still loaded after rmmod"
prezeroctl caps >/tmp/out 2>&1
pz_expect_eq "$?" 3 "prezeroctl exit code without the module"
grep -qi 'not loaded' /tmp/out || pz_fail "prezeroctl does not say the module is not loaded: $(cat /tmp/out)"

# Module parameters give every node a budget at load.
pz_fresh budget_rate=1048576 || pz_fail "insmod with budget_rate failed"
pz_expect_eq "$(pz_field budget_rate)" 1048576 "budget_rate from the parameter"
pz_expect_eq "$(pz_field budget_burst)" 1048576 "burst defaults to the rate"
rmmod prezero || pz_fail "rmmod failed"

# Repeated load/unload leaves nothing behind.
i=0
while [ $i -lt 5 ]; do
	insmod "$PZ_KO" || pz_fail "insmod #$i failed"
	prezeroctl status >/dev/null || pz_fail "status after insmod #$i failed"
	rmmod prezero || pz_fail "rmmod #$i failed"
	i=$((i + 1))
done
pz_expect_gone
