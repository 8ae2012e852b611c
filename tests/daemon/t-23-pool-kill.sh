#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# kill -9 of prezerod in the middle of filling and of claiming leaves
# nothing a restart does not adopt or free (pool-lib.sh: a tmpfs mount, and
# a 2M hugetlbfs mount when the host has one, in a private namespace).
# Each round: the pool is full; 4 claims of random sizes go out on one
# connection; then prezerod gets SIGKILL, either 0-10 ms after the claims
# were sent ("claim" rounds: often while it claims) or 20-900 ms after
# their replies ("fill" rounds: while it refills). Then:
# - before the restart: the pool directory holds only n*.pool, .fill-*
#   and .claim-* names; a claim that was answered ok has its file complete
#   at PATH (size, owner, mode, allocated), a refused one none, one without
#   a reply either a complete file or none;
# - after the restart (same config) and the refill: no .fill-*/.claim-*
#   file of before is left, every n*.pool of before is adopted (same
#   inode), status matches the directory; on hugetlbfs the 2M pages the
#   kernel counts for the mount (statfs of its subpool) are exactly those
#   of the files on it.
# At the end, with prezerod stopped and the files deleted, the mount holds
# no page (the system-wide counters are shown; the VM scenario
# t-110-pool-kill asserts them). The kill times are random (printed);
# no test code is in the daemon. Prints how many kills hit a fill or a
# claim; at least one kill must have left a .fill-* file behind.
# 10 rounds per filesystem; PZ_POOL_KILL_ROUNDS=N for more.
# pz-timeout: 300
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pool-lib.sh
. "$(dirname "$0")/pool-lib.sh"
pool_in_namespace "$@"

ROUNDS=${PZ_POOL_KILL_ROUNDS:-10}
FSIZE=$((64 << 20))

# kill_round MODE ROUND: the claims, then SIGKILL; the client's lines
# "PATH SIZE ok SIZE_NOW | PATH SIZE error CODE | PATH SIZE none" in
# $PZ_TMP/claims.
kill_round() {
	python3 - "$SOCK" "$DPID" "$1" "$V/r$2" "$FSIZE" "$N" >"$PZ_TMP/claims" <<'EOF' ||
import json, os, random, signal, socket, sys, time
path, pid, mode, prefix, fsize, node = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
sizes = [random.randint(1, fsize) for _ in range(4)]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(path)
s.settimeout(10)
s.sendall(b"".join(json.dumps({"cmd": "pool-claim", "node": node, "size": sz,
                               "path": f"{prefix}-{i}.ram"}).encode() + b"\n"
                   for i, sz in enumerate(sizes)))
replies = []
f = s.makefile("rb")
if mode == "claim":
    delay = random.uniform(0, 0.010)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
for _ in sizes:
    try:
        line = f.readline()
    except OSError:
        line = b""
    if not line:
        break
    replies.append(json.loads(line))
if mode == "fill":
    delay = random.uniform(0.02, 0.9)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
print(f"# kill {mode}: {delay * 1000:.1f} ms after the claims", file=sys.stderr)
for i, sz in enumerate(sizes):
    p = f"{prefix}-{i}.ram"
    if i >= len(replies):
        print(p, sz, "none")
    elif replies[i]["ok"]:
        print(p, sz, "ok", replies[i]["size"])
    else:
        print(p, sz, "error", replies[i]["error"]["code"])
EOF
		fail "the claim client failed"
	wait "$DPID" 2>/dev/null
	say "prezerod $DPID killed (status $?)"
}

# check_claims: each claimed PATH is complete or (not answered ok) absent.
check_claims() {
	local p sz st a want s
	while read -r p sz st a; do
		want=$(roundup "$sz" "$PG")
		case $st in
		ok) [ "$a" = "$want" ] || fail "$p: reply size $a, want $want" ;;
		error)
			[ "$a" = pool-empty ] || fail "$p: claim refused with $a"
			[ ! -e "$p" ] || fail "$p exists after a refused claim"
			continue
			;;
		none) [ -e "$p" ] || continue ;;
		esac
		[ -f "$p" ] || fail "$p: the claim was answered ok but the file is missing"
		s=$(stat -c '%s %u %g %a' "$p")
		[ "$s" = "$want 0 0 600" ] || fail "$p ($st): '$s', want '$want 0 0 600': an incomplete claim"
		[ $(($(stat -c %b "$p") * 512)) -ge "$want" ] || fail "$p ($st): not fully allocated"
	done <"$PZ_TMP/claims"
}

suite() {
	local fs=$1 mnt=$PZ_TMP/mnt-$1 surp0=0 nr0=0 r mode
	local fills=0 claims=0 unanswered=0 unanswered_done=0
	P=$mnt/pool V=$mnt/vm
	say "=============== $fs"
	pool_mount "$fs" "$mnt"
	mkdir "$V"
	if [ "$fs" = hugetlbfs ]; then
		PG=$HUGE
		surp0=$(cat "$PZ_HP/surplus_hugepages") nr0=$(cat "$PZ_HP/nr_hugepages")
	else
		PG=$(getconf PAGESIZE)
	fi
	pool_conf "$P" 256M 64M 256M
	daemon_start
	pool_status
	N=$(first_node)
	wait_full "$N" 30

	for r in $(seq 1 "$ROUNDS"); do
		mode=fill
		[ $((r % 2)) = 0 ] && mode=claim
		say "--- $fs round $r ($mode)"
		kill_round "$mode" "$r"
		sed 's/^/#   /' "$PZ_TMP/claims"

		# Before the restart: what the kill left.
		pool_list "$P" >"$PZ_TMP/before"
		sed 's/^/#   left: /' "$PZ_TMP/before"
		awk '$1 !~ /^(n[0-9]+-[0-9]+\.pool|\.fill-n[0-9]+-[0-9]+|\.claim-n[0-9]+-[0-9]+)$/' \
			"$PZ_TMP/before" | grep . && fail "unexpected names in the pool directory (above)"
		grep -q '^\.fill-' "$PZ_TMP/before" && fills=$((fills + 1))
		grep -q '^\.claim-' "$PZ_TMP/before" && claims=$((claims + 1))
		if grep -q ' none$' "$PZ_TMP/claims"; then
			unanswered=$((unanswered + 1))
			awk '$3 == "none" { print $1 }' "$PZ_TMP/claims" |
				while read -r p; do [ -e "$p" ] && echo x; done | grep -q x &&
				unanswered_done=$((unanswered_done + 1))
		fi
		check_claims

		# The restart adopts or frees everything.
		daemon_start
		wait_full "$N" 30
		pool_list "$P" >"$PZ_TMP/after"
		while read -r name ino _; do
			case $name in
			n*.pool)
				grep -q "^$name $ino " "$PZ_TMP/after" ||
					fail "$name (inode $ino) was not adopted after the kill"
				;;
			*)
				grep -q "^$name $ino " "$PZ_TMP/after" &&
					fail "$name (inode $ino) is still there after the restart"
				;;
			esac
		done <"$PZ_TMP/before"
		if grep -v '\.pool ' "$PZ_TMP/after" | grep .; then
			fail "the full pool has other files than n*.pool (above)"
		fi
		check_ready "$P" "$PG"
		check_status_dir "$P" "$N"
		if [ "$fs" = hugetlbfs ]; then
			hp_check "$mnt" "after the restart"
		fi
		rm -f "$V"/*.ram
	done
	say "$fs: $ROUNDS kills; $fills left a .fill-* file, $claims a .claim-* file;" \
		"$unanswered cut claims short, $unanswered_done of them with an unanswered claim complete at its PATH"
	[ "$fills" -gt 0 ] || fail "no kill hit a fill: the test did not test what it says"

	daemon_stop
	pool_fs_end "$fs" "$mnt" "$P" "$nr0" "$surp0"
}

for fs in $(pool_fs_list); do
	suite "$fs"
done
