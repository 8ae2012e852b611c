# shellcheck shell=dash
# Budgets are per node: on a two-node guest, node 1 is zeroed while node 0
# has no budget (node 0's blocks are held, and do not stop the kernel's
# reporting pass), and node 0 catches up once it gets a budget.
# pz-vm: numa=2
# pz-timeout: 600
. /lib/prezero/tests/pz-kmod.sh

pz_fresh || { pz_fail "insmod failed"; exit 1; }
pz_expect_eq "$(prezeroctl --json caps | pz_json nr_nodes)" 2 "nodes with memory"
prezeroctl status
# Dirty both nodes: more than one node's worth, from a task on each node.
pz_dirty 80
sleep 4
pz_expect_eq "$(pz_node_field 1 zeroed_bytes)" 0 "node 1 zeroed before any budget"

prezeroctl budget 1 1T || pz_fail "budget for node 1 failed"
pz_wait_slowly 400 pz_scrubbed 1 || pz_fail "node 1 not scrubbed within 400 s"
prezeroctl status
pz_expect_ge "$(pz_node_field 1 zeroed_bytes)" $((128 << 20)) "node 1 bytes zeroed"
pz_expect_eq "$(pz_node_field 0 zeroed_bytes)" 0 "node 0 bytes zeroed without budget"
pz_expect_ge "$(pz_node_field 0 returned_blocks)" 1 "node 0 blocks held"

pz_expect_all_zero 1 "node 1"
v=$(prezeroctl --json verify 0 --samples 32) || pz_fail "verify 0 failed"
echo "node 0: $v"
pz_expect_ge "$(echo "$v" | pz_json dirty)" 1 "node 0 dirty blocks"
pz_expect_eq "$(echo "$v" | pz_json reported_dirty)" 0 "node 0 held blocks counted as zeroed"

# Node 0 gets a budget: its held blocks are offered again and zeroed.
prezeroctl budget 0 1T || pz_fail "budget for node 0 failed"
pz_wait_slowly 400 pz_scrubbed 0 || pz_fail "node 0 not scrubbed within 400 s"
prezeroctl status
pz_expect_all_zero 0 "node 0 after its grant"
rmmod prezero || pz_fail "rmmod failed"
pz_expect_gone
