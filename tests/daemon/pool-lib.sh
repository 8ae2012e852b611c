# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# shellcheck shell=bash
# Helpers of the warm pool host tests (t-22-pool.sh, t-23-pool-kill.sh),
# sourced after lib.sh. The pool lives on a tmpfs or hugetlbfs mount made
# for the test in a private mount namespace: pool_in_namespace runs the
# scenario again inside one (unshare -m), so every mount vanishes with the
# scenario, whatever happens. The outer copy puts nr_overcommit_hugepages
# (2M) back on exit, which prezerod raises.
#
#   pool_in_namespace ARGS    (first thing a scenario does) re-run inside
#   pool_fs_list              "tmpfs" and, if the host has 2M hugetlbfs,
#                             "hugetlbfs"
#   pool_mount FS DIR         mount FS at DIR (hugetlbfs: pagesize=2M)
#   pool_conf DIR TARGET FILE_SIZE FILL_RATE [LINE...]
#                             write $CONF with a [pool] section; LINEs go
#                             to its end (e.g. "[node 0]", "pool_target = 0")
#   req JSON [TIMEOUT]        one raw request: the reply line in $OUT,
#                             REPLY_OK (true/false), REPLY_CODE (error code)
#   claim NODE SIZE PATH [UID GID MODE]   a pool-claim request, like req
#   pool_status               status into $ST ($PZ_TMP/status.json)
#   pnode FIELD [NODE]        nodes[NODE].pool.FIELD from $ST (default:
#                             the first node)
#   wait_pool N STATE SECS    until node N's pool is in STATE
#   wait_full N SECS          until node N's pool is full: at its target,
#                             no fill running (the directory is stable)
#   pool_list DIR             "name inode size blocks uid gid mode type"
#                             of each entry, sorted (dot files too)
#   ready_list DIR            the same for the n*.pool files only
#   check_ready DIR PAGE      every n*.pool is root:root 0600, a non-zero
#                             multiple of PAGE, fully allocated
#   check_status_dir DIR N    node N's status bytes and files are those of
#                             the n<N>-*.pool files in DIR
#   hp_used                   2M huge pages in use (nr - free)
#   hp_check MNT DESC         the mount's huge pages are its files' pages
#   files_pages DIR           2M pages allocated to the files under DIR
#   roundup X PAGE

PZ_HP=/sys/kernel/mm/hugepages/hugepages-2048kB
ZC=$PZ_BUILD/tests/vm-tools/pz-zerocheck
DIRTY=$PZ_BUILD/tests/vm-tools/pz-dirty
ST=$PZ_TMP/status.json
REPLY_OK="" REPLY_CODE=""
HUGE=$((2 << 20))

# The settings put back on exit: "file=value" of $PZ_HP.
PZ_HP_SAVED=()
_pool_restore() {
	local kv
	for kv in "${PZ_HP_SAVED[@]}"; do
		if [ "$(cat "$PZ_HP/${kv%%=*}")" != "${kv#*=}" ]; then
			echo "# restoring $PZ_HP/${kv%%=*} = ${kv#*=} (was $(cat "$PZ_HP/${kv%%=*}"))"
			echo "${kv#*=}" >"$PZ_HP/${kv%%=*}"
		fi
	done
}

pool_in_namespace() {
	local f rc
	[ -n "${PZ_POOL_NS:-}" ] && return 0
	need unshare
	[ -x "$ZC" ] || fail "no $ZC (build the pz-zerocheck target)"
	[ -x "$DIRTY" ] || fail "no $DIRTY (build the pz-dirty target)"
	# Only what prezerod changes for the pool (vm-prepare, which raises
	# nr_hugepages, is not used here).
	f=nr_overcommit_hugepages
	[ -d "$PZ_HP" ] && PZ_HP_SAVED+=("$f=$(cat "$PZ_HP/$f")")
	trap '_cleanup; _pool_restore' EXIT
	PZ_POOL_NS=1 PZ_TMP=$PZ_TMP PZ_BUILD=$PZ_BUILD \
		unshare -m --propagation private bash "$0" "$@"
	rc=$?
	exit $rc
}

pool_fs_list() {
	echo tmpfs
	if [ -d "$PZ_HP" ] && grep -qw hugetlbfs /proc/filesystems; then
		echo hugetlbfs
	fi
}

pool_mount() {
	mkdir -p "$2"
	case $1 in
	tmpfs) mount -t tmpfs -o size=4G,mode=0755 pz-pool "$2" ;;
	# size=: a subpool, so statfs counts this mount's pages (hp_check)
	hugetlbfs) mount -t hugetlbfs -o pagesize=2M,size=16G,mode=0755 pz-pool "$2" ;;
	*) fail "pool_mount: unknown fs $1" ;;
	esac || fail "mount $1 on $2 failed"
	say "mounted $1 on $2"
}

pool_conf() {
	local dir=$1 target=$2 fsize=$3 rate=$4
	shift 4
	{
		conf_head
		echo "interval_ms = 250"
		echo "[pool]"
		echo "dir = $dir"
		echo "target = $target"
		echo "file_size = $fsize"
		echo "fill_rate = $rate"
		echo "state_file = $PZ_TMP/pool.json"
		local l
		for l; do echo "$l"; done
	} >"$CONF"
}

req() {
	run python3 "$RAWCLIENT" send "$SOCK" --timeout "${2:-10}" <<<"$1"
	REPLY_OK=$(python3 -c '
import json, sys
try:
    print("true" if json.loads(open(sys.argv[1]).readline())["ok"] else "false")
except Exception:
    print("none")' "$OUT")
	REPLY_CODE=""
	if [ "$REPLY_OK" = false ]; then
		REPLY_CODE=$(jget "$OUT" 'd["error"]["code"]')
	fi
}

claim() {
	local node=$1
	[[ $node =~ ^[0-9]+$ ]] || node="\"$node\""
	if [ $# -ge 6 ]; then
		req "{\"cmd\":\"pool-claim\",\"node\":$node,\"size\":$2,\"path\":\"$3\",\"uid\":$4,\"gid\":$5,\"mode\":$6}"
	else
		req "{\"cmd\":\"pool-claim\",\"node\":$node,\"size\":$2,\"path\":\"$3\"}"
	fi
}

# expect_reply_ok DESC / expect_reply_err CODE DESC
expect_reply_ok() {
	[ "$REPLY_OK" = true ] || { cat "$OUT"; fail "$1: not ok"; }
	say "ok: $1"
}
expect_reply_err() {
	if [ "$REPLY_OK" != false ] || [ "$REPLY_CODE" != "$1" ]; then
		cat "$OUT"
		fail "$2: expected error $1"
	fi
	say "ok: $2 ($1: $(jget "$OUT" 'd["error"]["message"]'))"
}

pool_status() {
	req '{"cmd":"status"}'
	[ "$REPLY_OK" = true ] || { cat "$OUT"; fail "status failed"; }
	cp "$OUT" "$ST"
}

first_node() { jget "$ST" 'd["nodes"][0]["id"]'; }

pnode() {
	local sel
	if [ -n "${2:-}" ]; then
		sel="[n for n in d[\"nodes\"] if n[\"id\"] == $2][0]"
	else
		sel='d["nodes"][0]'
	fi
	jget "$ST" "${sel}[\"pool\"][\"$1\"]"
}

# _pool_is N STATE [FILLING]: a status now shows node N's pool in STATE
# (and filling_bytes FILLING); no fail(), for wait_for.
_pool_is() {
	printf '{"cmd":"status"}\n' | python3 "$RAWCLIENT" send "$SOCK" 2>/dev/null |
		python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
p = [n for n in d["nodes"] if n["id"] == int(sys.argv[1])][0]["pool"]
ok = p["state"] == sys.argv[2]
if len(sys.argv) > 3:
    ok = ok and p["filling_bytes"] == int(sys.argv[3])
sys.exit(0 if ok else 1)' "$@"
}
# _pool_full N: full, nothing being filled, the ready bytes at the target.
_pool_full() {
	printf '{"cmd":"status"}\n' | python3 "$RAWCLIENT" send "$SOCK" 2>/dev/null |
		python3 -c '
import json, sys
d = json.loads(sys.stdin.readline())
p = [n for n in d["nodes"] if n["id"] == int(sys.argv[1])][0]["pool"]
sys.exit(0 if p["state"] == "full" and p["filling_bytes"] == 0 and
         p["bytes"] >= p["target_bytes"] else 1)' "$1"
}
# The pool's part of status, shown when a wait times out.
_pool_dump() {
	echo "--- last status ---"
	printf '{"cmd":"status"}\n' | python3 "$RAWCLIENT" send "$SOCK" 2>&1 |
		python3 -c 'import json, sys; d = json.loads(sys.stdin.readline()); print(json.dumps({"pool": d.get("pool"), "nodes": [n.get("pool") for n in d.get("nodes", [])]}, indent=1))' 2>&1
}
# _pool_wait SECS DESC CMD...: wait_for, showing the pool on a timeout.
_pool_wait() {
	WAIT_FOR_DUMP=_pool_dump wait_for "$@"
}
wait_pool() {
	_pool_wait "$3" "node $1 pool $2" _pool_is "$1" "$2"
	pool_status
}
wait_full() {
	_pool_wait "$2" "node $1 pool full" _pool_full "$1"
	pool_status
}

pool_list() {
	find "$1" -mindepth 1 -maxdepth 1 -printf '%f %i %s %b %U %G %m %y\n' | sort
}

ready_list() { pool_list "$1" | awk '$1 ~ /^n[0-9]+-[0-9]+\.pool$/'; }

check_ready() {
	local dir=$1 pg=$2 bad
	bad=$(ready_list "$dir" | awk -v pg="$pg" '
		$8 != "f" || $5 != 0 || $6 != 0 || $7 != 600 || $3 == 0 ||
		$3 % pg != 0 || $4 * 512 < $3 { print }')
	[ -z "$bad" ] || fail "pool files that are not root:root 0600 fully allocated multiples of $pg: $bad"
	say "ok: $(ready_list "$dir" | wc -l) ready files, root:root 0600, fully allocated"
}

check_status_dir() {
	local dir=$1 n=$2 files bytes
	files=$(ready_list "$dir" | awk -v n="n$n-" 'index($1, n) == 1' | wc -l)
	bytes=$(ready_list "$dir" | awk -v n="n$n-" 'index($1, n) == 1 { s += $3 } END { print s + 0 }')
	expect_eq "$(pnode files "$n")" "$files" "node $n status files = n$n-*.pool in $dir"
	expect_eq "$(pnode bytes "$n")" "$bytes" "node $n status bytes = their sizes"
}

hp_used() { echo $(($(cat "$PZ_HP/nr_hugepages") - $(cat "$PZ_HP/free_hugepages"))); }

# hp_mount_used MNT: 2M pages allocated on the hugetlbfs mount MNT (its
# subpool, from statfs): pages of its files, of deleted files still open
# or mapped, and of private mappings of them.
hp_mount_used() {
	local b f
	read -r b f < <(stat -f -c '%b %f' "$1")
	echo $((b - f))
}

# hp_check MNT DESC: the pages the kernel counts for the mount are those of
# the files on it. The system-wide numbers (nr - free) are shown but not
# asserted: on a shared host other programs use huge pages too (the VM
# scenarios assert them).
hp_check() {
	local files
	files=$(files_pages "$1")
	expect_eq "$(hp_mount_used "$1")" "$files" "$2: the mount's 2M pages in use (statfs) = pages of its files"
	say "system-wide: nr_hugepages $(cat "$PZ_HP/nr_hugepages"), free $(cat "$PZ_HP/free_hugepages"), surplus $(cat "$PZ_HP/surplus_hugepages")"
}

files_pages() {
	find "$1" -type f -printf '%b\n' | awk -v h="$HUGE" '{ s += $1 * 512 / h } END { print s + 0 }'
}

roundup() { echo $((($1 + $2 - 1) / $2 * $2)); }

# hp_room PAGES: let PAGES more 2M surplus pages be allocated (the test's
# own files while no prezerod runs); the outer copy restores the setting.
hp_room() {
	local want
	want=$(($(cat "$PZ_HP/surplus_hugepages") + $1))
	[ "$(cat "$PZ_HP/nr_overcommit_hugepages")" -ge "$want" ] ||
		echo "$want" >"$PZ_HP/nr_overcommit_hugepages"
}

# claim_burst [--status] NODE SIZE PATH...: one claim per PATH, sent at
# once on one connection (no refill can complete in between: after
# wait_full none runs, and one takes longer than the burst); the replies,
# one JSON line per PATH, in $OUT. With --status a status request follows
# on the same connection, its reply the last line.
claim_burst() {
	local node size st=0
	[ "$1" = --status ] && st=1 && shift
	node=$1 size=$2
	shift 2
	[[ $node =~ ^[0-9]+$ ]] || node="\"$node\""
	run python3 - "$SOCK" "$st" "$node" "$size" "$@" <<'PY'
import json, os, socket, sys
path, st, node, size = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
paths = sys.argv[5:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(10 * float(os.environ.get("PZ_TIMEOUT_SCALE", "1")))
msg = b"".join(json.dumps({"cmd": "pool-claim", "node": node, "size": size,
                           "path": p}).encode() + b"\n" for p in paths)
if st:
    msg += b'{"cmd":"status"}\n'
s.sendall(msg)
f = s.makefile("rb")
for _ in range(len(paths) + st):
    print(f.readline().decode().rstrip("\n"))
PY
	[ "$RC" -eq 0 ] || { cat "$OUT"; fail "claim_burst failed"; }
}

# pool_fs_end FS MNT DIR NR0 SURP0: after the daemon stopped, delete the
# pool directory; on hugetlbfs no 2M page may stay on the mount (the
# system-wide counters, NR0 and SURP0 at the start, are only shown: other
# users share this host). Then unmount.
pool_fs_end() {
	local fs=$1 mnt=$2
	rm -rf "$3"
	if [ "$fs" = hugetlbfs ]; then
		expect_eq "$(hp_mount_used "$mnt")" 0 "no file left: the mount has no 2M page"
		say "system-wide 2M pages: nr $4 -> $(cat "$PZ_HP/nr_hugepages"), surplus $5 -> $(cat "$PZ_HP/surplus_hugepages") (not asserted on a shared host)"
	fi
	umount "$mnt" || fail "umount $mnt"
}
