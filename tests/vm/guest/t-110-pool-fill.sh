# shellcheck shell=dash
# The warm pool on hugetlbfs (2M pages) in a guest with two NUMA nodes,
# made from memory that was dirty just before (pz-dirty), so "zero" is the
# kernel's doing and not the untouched RAM of a new guest:
# - fill: each node reaches its 128M target in 32M files n<node>-*.pool,
#   root 0600, fully allocated; status matches the directory; the node's
#   own 2M page counters grew by exactly the pages of its files (the pages
#   are on the node the name says), and the system-wide ones by all files;
# - claim on each node and on "any": the file moves to PATH, shrunk to the
#   size rounded up to 2M, owner and mode as asked, and reads back zero
#   (pz-zerocheck, with a pattern written as a control); the node refills;
# - restart: the files are adopted (same inodes); a file renamed to the
#   other node's name (its pages are on node 0) and one with mode 0644 are
#   deleted, and the log says why;
# - the end: prezerod stopped and the files deleted, surplus and
#   HugePages_Total are back where they were.
# pz-vm: numa=2 mem=2048
# pz-timeout: 110
. /lib/prezero/tests/pz-kmod.sh
. /lib/prezero/tests/pz-daemon.sh
. /lib/prezero/tests/pz-pool.sh

FSIZE=33554432 TARGET=134217728
pz_expect_eq "$(pzp_nodes)" "0 1" "guest NUMA nodes" || exit 1
pzp_mount || exit 1
total0=$(pz_meminfo HugePages_Total) surp0=$(pzp_surplus)
pz_expect_eq "$(pzp_used)" 0 "2M pages in use before the pool"
pz_log "before: HugePages_Total $total0, surplus $surp0"
# Dirty 70% of the available memory and free it: the pool's pages come
# from it.
pz_dirty 70

pzp_conf 128M 32M 1G
pzd_start || exit 1
if ! pzp_wait_full 60; then
	pzd_show_log 30
	pzp_cleanup
	exit 1
fi

# ---- fill
pz_expect_eq "$(pzd_get pool.fs pool.page_size pool.state | tr '\n' ' ')" \
	"hugetlbfs $PZP_HUGE ok " "pool fs, page size, state"
pz_expect_eq "$(stat -c '%u %g %a' "$PZP_DIR")" "0 0 700" "pool directory created root 0700"
for n in 0 1; do
	pz_expect_eq "$(pzp_check_ready "$n" "$FSIZE")" 4 "node $n: ready files"
	pz_expect_eq "$(pzd_get "nodes.$n.pool.files" "nodes.$n.pool.bytes" "nodes.$n.pool.target_bytes" | tr '\n' ' ')" \
		"4 $TARGET $TARGET " "node $n status: files bytes target_bytes"
	# shellcheck disable=SC2046 # a list of files
	pz_expect_eq "$(pzp_node_used "$n")" "$(pzp_pages $(pzp_ready "$n"))" \
		"node $n: 2M pages in use on the node = pages of n$n-*.pool"
done
# shellcheck disable=SC2046 # a list of files
pz_expect_eq "$(pzp_used)" "$(pzp_pages $(pzp_ready))" "2M pages in use = pages of the pool files"

# ---- claims
inodes() { for f in $(pzp_ready "$1"); do stat -c %i "$f"; done | tr '\n' ' '; }
for n in 0 1; do
	before=$(inodes "$n")
	p=$PZP_VM/n$n.ram
	pzp_claim "$n" 21M "$p" 65534:65534 0640
	pz_expect_eq "$PZP_RC" 0 "claim 21M on node $n" || cat "$PZP_OUT"
	pz_expect_eq "$(pz-json path node size file_bytes page_size <"$PZP_OUT" | tr '\n' ' ')" \
		"$p $n 23068672 $FSIZE $PZP_HUGE " "node $n claim reply: path node size (22M) file_bytes page_size"
	pz_expect_eq "$(stat -c '%s %u %g %a %b' "$p")" "23068672 65534 65534 640 45056" \
		"$p: size uid gid mode blocks"
	case " $before " in
	*" $(stat -c %i "$p") "*) ;;
	*) pz_fail "$p: inode $(stat -c %i "$p") was not a ready file of node $n ($before)" ;;
	esac
	out=$(pz-zerocheck "$p")
	pz_expect_eq "$?" 0 "pz-zerocheck $p: $out"
	case $out in
	*"checked=23068672 nonzero=0 zero=yes") pz_log "$out" ;;
	*) pz_fail "$p does not read back all zero: $out" ;;
	esac
done
pz-zerocheck --pattern --from "$PZP_HUGE" "$PZP_VM/n0.ram" >/dev/null ||
	pz_fail "pz-zerocheck --pattern failed"
out=$(pz-zerocheck "$PZP_VM/n0.ram")
pz_expect_eq "$?" 1 "pz-zerocheck finds the pattern (control)"
case $out in
*"zero=no first=$PZP_HUGE byte=0xa5") ;;
*) pz_fail "control: pz-zerocheck says '$out'" ;;
esac
pzp_claim any 32M "$PZP_VM/any.ram"
pz_expect_eq "$PZP_RC" 0 "claim 32M on node any" || cat "$PZP_OUT"
an=$(pz-json node <"$PZP_OUT")
case $an in 0 | 1) ;; *) pz_fail "claim on node any: node '$an'" ;; esac
out=$(pz-zerocheck "$PZP_VM/any.ram")
pz_expect_eq "$?" 0 "pz-zerocheck any.ram: $out"
pzp_wait_full 60
for n in 0 1; do
	pz_expect_eq "$(pzd_get "nodes.$n.pool.files" "nodes.$n.pool.claims" | tr '\n' ' ')" \
		"4 $(if [ "$n" = "$an" ]; then echo 2; else echo 1; fi) " "node $n refilled: files claims"
	claimed=$PZP_VM/n$n.ram
	[ "$n" = "$an" ] && claimed="$claimed $PZP_VM/any.ram"
	# shellcheck disable=SC2046,SC2086 # lists of files
	pz_expect_eq "$(pzp_node_used "$n")" "$(pzp_pages $(pzp_ready "$n") $claimed)" \
		"node $n: 2M pages in use = its pool files and the files claimed from it"
done

# ---- restart: adopted, or deleted with a reason
pzd_stop
# shellcheck disable=SC2046 # the ready files, words
set -- $(pzp_ready 0)
wrong=$1 keep0=$2
# shellcheck disable=SC2046 # the ready files, words
set -- $(pzp_ready 1)
mode=$1 keep1=$2
ki0=$(stat -c %i "$keep0") ki1=$(stat -c %i "$keep1")
mv "$wrong" "$PZP_DIR/n1-900.pool"
chmod 0644 "$mode"
pzd_start || exit 1
pzp_wait_full 60
pz_expect_eq "$(stat -c %i "$keep0") $(stat -c %i "$keep1")" "$ki0 $ki1" "valid files adopted (same inodes)"
[ -e "$PZP_DIR/n1-900.pool" ] && pz_fail "n1-900.pool, with its pages on node 0, was adopted"
[ -e "$mode" ] && [ "$(stat -c %a "$mode")" = 644 ] && pz_fail "$mode with mode 0644 was adopted"
grep -q 'n1-900.pool' "$PZD_LOG" || pz_fail "the log does not say why n1-900.pool was deleted"
for n in 0 1; do
	pz_expect_eq "$(pzp_check_ready "$n" "$FSIZE")" 4 "node $n: ready files after the restart"
	claimed=$PZP_VM/n$n.ram
	[ "$n" = "$an" ] && claimed="$claimed $PZP_VM/any.ram"
	# shellcheck disable=SC2046,SC2086 # lists of files
	pz_expect_eq "$(pzp_node_used "$n")" "$(pzp_pages $(pzp_ready "$n") $claimed)" \
		"node $n after the restart: 2M pages in use = its files"
done

# ---- the end: nothing left behind
pzd_stop
rm -rf "$PZP_VM" "$PZP_DIR"
pz_expect_eq "$(pzp_used) $(pzp_surplus) $(pz_meminfo HugePages_Total)" "0 $surp0 $total0" \
	"files deleted: 2M pages in use, surplus, HugePages_Total as before"
pzp_cleanup
