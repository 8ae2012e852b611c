#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# The warm pool of the real prezerod, on a tmpfs mount and (when the host
# has 2M hugetlbfs) on a hugetlbfs mount, each made for the test in a
# private mount namespace (pool-lib.sh):
# - fill: a 64M target of 16M files becomes "full"; the files are
#   n<node>-<seq>.pool, root:root 0600, fully allocated; status matches
#   the directory; on hugetlbfs the 2M pages the kernel counts for the
#   mount (statfs) are those of its files, and none when they are deleted.
# - claim: the file moves to PATH, shrunk to the size rounded up to the
#   page size, with the owner and mode asked; it reads back all zero
#   (pz-zerocheck; a written pattern is found, as a control), also when
#   the pool was refilled right after 1G of memory was dirtied and freed;
#   the pool refills.
# - refusals (PATH exists, relative, parent missing or not a directory,
#   another filesystem, too large, no such node, bad values, a non-admin
#   peer) are the contract's codes and change nothing.
# - concurrency: 8 claims at once against 4 ready files: each file is
#   handed out once, the others get pool-empty.
# - restart: the same files are adopted (same inodes); files that are not
#   root 0600 fully allocated page multiples on an existing node, symlinks,
#   .fill-* and .claim-* files are deleted; other names are left alone.
# pz-timeout: 300
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pool-lib.sh
. "$(dirname "$0")/pool-lib.sh"
need setpriv
pool_in_namespace "$@"

NOBODY=65534
TARGET=$((64 << 20)) FSIZE=$((16 << 20)) NFILES=4
# nobody may not reach the build tree
cp "$RAWCLIENT" "$PZ_TMP/rawclient.py"
chmod 0755 "$PZ_TMP/rawclient.py"

# inodes DIR: the inode numbers of the ready files, one line
inodes() { ready_list "$1" | awk '{ printf "%s ", $2 }'; }
# has_word LIST WORD
has_word() { [[ " $1 " == *" $2 "* ]]; }

# expect_claimed PATH SIZE UID GID MODE INODES: the claimed file is
# complete: size, owner, mode, fully allocated, one of INODES ("-": any).
expect_claimed() {
	local p=$1 size=$2 uid=$3 gid=$4 mode=$5 pool=$6 st
	[ -f "$p" ] || fail "claimed $p does not exist"
	read -r -a st < <(stat -c '%s %u %g %a %i %b' "$p")
	expect_eq "${st[0]}" "$size" "$p size"
	expect_eq "${st[1]}:${st[2]}" "$uid:$gid" "$p owner"
	expect_eq "${st[3]}" "$mode" "$p mode"
	[ $((st[5] * 512)) -ge "$size" ] ||
		fail "$p: only $((st[5] * 512)) of $size bytes allocated: not a populated pool file"
	if [ "$pool" != - ]; then
		has_word "$pool" "${st[4]}" || fail "$p: inode ${st[4]} was not a ready file of the pool ($pool)"
	fi
	say "ok: $p is complete (inode ${st[4]})"
}

# expect_zero PATH SIZE: pz-zerocheck finds SIZE bytes, all zero.
expect_zero() {
	run "$ZC" "$1"
	expect_rc 0 "pz-zerocheck $1"
	expect_out "checked=$2 nonzero=0 zero=yes" "every byte of $1 reads zero"
}

# refused CODE DESC NODE SIZE PATH [UID GID MODE]: a claim is refused
# with CODE and PATH is not created.
refused() {
	local code=$1 desc=$2 p=$5
	shift 2
	claim "$@"
	expect_reply_err "$code" "$desc"
	[ ! -e "$p" ] || [ "$p" = "$V/exists" ] || fail "$desc: $p was created"
}

suite() {
	local fs=$1 mnt=$PZ_TMP/mnt-$1
	local surp0=0 nr0=0
	P=$mnt/pool V=$mnt/vm
	say "=============== $fs"
	pool_mount "$fs" "$mnt"
	mkdir "$V"
	if [ "$fs" = hugetlbfs ]; then
		PG=$HUGE
		surp0=$(cat "$PZ_HP/surplus_hugepages") nr0=$(cat "$PZ_HP/nr_hugepages")
		say "2M huge pages before: nr $nr0, surplus $surp0, in use $(hp_used)"
	else
		PG=$(getconf PAGESIZE)
	fi
	pool_conf "$P" 64M 16M 128M
	daemon_start
	pool_status
	N=$(first_node)

	# ---- fill
	wait_full "$N" 30
	expect_eq "$(jget "$ST" 'd["pool"]["fs"]')" "$fs" "pool.fs"
	expect_eq "$(jget "$ST" 'd["pool"]["dir"]')" "$P" "pool.dir"
	expect_eq "$(jget "$ST" 'd["pool"]["page_size"]')" "$PG" "pool.page_size"
	expect_eq "$(jget "$ST" 'd["pool"]["state"]')" ok "pool.state"
	expect_eq "$(pnode target_bytes "$N")" "$TARGET" "node $N target_bytes"
	expect_eq "$(pnode files "$N")" "$NFILES" "node $N files"
	expect_eq "$(pnode bytes "$N")" "$TARGET" "node $N bytes"
	expect_eq "$(pnode reserved_bytes "$N")" 0 "node $N reserved_bytes"
	expect_eq "$(pnode claims "$N") $(pnode claimed_bytes "$N") $(pnode released_bytes "$N")" \
		"0 0 0" "node $N claims, claimed_bytes, released_bytes"
	expect_eq "$(stat -c '%u %g %a' "$P")" "0 0 700" "the pool directory was created root:root 0700"
	pool_list "$P" >"$PZ_TMP/list"
	[ "$(wc -l <"$PZ_TMP/list")" -eq "$NFILES" ] || { cat "$PZ_TMP/list"; fail "the pool directory has other entries than $NFILES files"; }
	expect_eq "$(ready_list "$P" | awk -v n="n$N-" -v s="$FSIZE" 'index($1, n) == 1 && $3 == s' | wc -l)" \
		"$NFILES" "$NFILES ready files n$N-*.pool of 16M"
	check_ready "$P" "$PG"
	check_status_dir "$P" "$N"
	if [ "$fs" = hugetlbfs ]; then
		hp_check "$mnt" "full pool"
	fi

	# ---- claim
	local ino0 size want p
	ino0=$(inodes "$P")
	size=$(((10 << 20) + 1))
	want=$(roundup "$size" "$PG")
	p=$V/a.ram
	claim "$N" "$size" "$p" "$NOBODY" "$NOBODY" $((8#640))
	expect_reply_ok "claim $size bytes on node $N"
	expect_eq "$(jget "$OUT" '[d["path"], d["node"], d["size"], d["file_bytes"], d["page_size"]]')" \
		"[\"$p\", $N, $want, $FSIZE, $PG]" "claim reply: path, node, size (rounded up), file_bytes, page_size"
	expect_claimed "$p" "$want" "$NOBODY" "$NOBODY" 640 "$ino0"
	has_word "$(inodes "$P")" "$(stat -c %i "$p")" && fail "the claimed file's inode is still in the pool"
	expect_zero "$p" "$want"
	# The control: the check finds what is not zero.
	run "$ZC" --pattern --from "$PG" "$p"
	expect_rc 0 "write a pattern into $p from offset $PG"
	run "$ZC" "$p"
	expect_rc 1 "pz-zerocheck on the patterned file"
	expect_out "nonzero=$((want - PG)) zero=no first=$PG byte=0xa5" "pz-zerocheck finds the pattern at $PG"
	wait_full "$N" 30
	expect_eq "$(pnode files "$N")" "$NFILES" "the pool refilled to $NFILES files"
	expect_eq "$(pnode claims "$N")" 1 "node $N claims"
	case $(pnode claimed_bytes "$N") in
	"$want" | "$FSIZE") say "ok: claimed_bytes $(pnode claimed_bytes "$N")" ;;
	*) fail "claimed_bytes $(pnode claimed_bytes "$N"), expected $want (size) or $FSIZE (file)" ;;
	esac
	check_ready "$P" "$PG"
	if [ "$fs" = hugetlbfs ]; then
		hp_check "$mnt" "pool and claimed files"
	fi

	# ---- zero after dirty memory: dirty 1G and free it, then empty the
	# pool (node "any"), so that its refill takes the memory just freed.
	local i
	run "$DIRTY" 1G
	expect_rc 0 "pz-dirty 1G"
	ino0=$(inodes "$P")
	claim_burst --status any "$FSIZE" "$V"/b{1,2,3,4}.ram
	tail -n 1 "$OUT" >"$ST"
	head -n 4 "$OUT" >"$PZ_TMP/replies"
	expect_eq "$(python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["node"]) if json.loads(l)["ok"] else "error"
               for l in open(sys.argv[1])))' "$PZ_TMP/replies")" "$N $N $N $N" "4 claims on node any served by node $N"
	# The status right after them (same connection) shows the empty pool.
	expect_eq "$(pnode files "$N") $(pnode bytes "$N")" "0 0" "status right after emptying the pool: files, bytes"
	case $(pnode state "$N") in
	full | idle) fail "status right after emptying the pool: state $(pnode state "$N") with 0 of $TARGET bytes" ;;
	*) say "ok: status right after emptying the pool: state $(pnode state "$N")" ;;
	esac
	for i in 1 2 3 4; do
		expect_claimed "$V/b$i.ram" "$FSIZE" 0 0 600 "$ino0"
		expect_zero "$V/b$i.ram" "$FSIZE"
	done
	wait_full "$N" 30
	ino0=$(inodes "$P")
	claim_burst "$N" "$FSIZE" "$V"/c{1,2,3,4}.ram
	expect_eq "$(grep -c '"ok": *true' "$OUT")" 4 "4 claims of files filled after the dirtying"
	for i in 1 2 3 4; do
		expect_claimed "$V/c$i.ram" "$FSIZE" 0 0 600 "$ino0"
		expect_zero "$V/c$i.ram" "$FSIZE"
	done
	rm -f "$V"/b?.ram "$V"/c?.ram

	# ---- refusals change nothing
	wait_full "$N" 30
	local before nclaims
	before=$(pool_list "$P")
	nclaims=$(pnode claims "$N")
	# (hugetlbfs has no write(): the content is a pattern, by mmap)
	fallocate -l "$PG" "$V/exists" || fail "fallocate $V/exists"
	run "$ZC" --pattern "$V/exists"
	expect_rc 0 "a pattern in $V/exists"
	local eino
	eino=$(stat -c '%i %s' "$V/exists")
	refused bad-path "PATH exists" "$N" "$FSIZE" "$V/exists"
	expect_eq "$(stat -c '%i %s' "$V/exists")" "$eino" "the existing file is still there"
	run "$ZC" "$V/exists"
	expect_out "nonzero=$PG zero=no first=0 " "the existing file's content is untouched"
	refused bad-path "relative PATH" "$N" "$FSIZE" "vm/rel.ram"
	refused bad-path "parent missing" "$N" "$FSIZE" "$V/nodir/x.ram"
	refused bad-path "parent not a directory" "$N" "$FSIZE" "$V/exists/x.ram"
	refused cross-device "PATH on another filesystem" "$N" "$FSIZE" "$PZ_TMP/x.ram"
	refused pool-empty "larger than any file" "$N" "$((FSIZE + 1))" "$V/big.ram"
	expect_out "node $N" "the pool-empty message says what node $N has"
	# Fast: no waiting for a fill, which at 128M/s would take longer than 3 s.
	claim "$N" $((1 << 30)) "$V/big.ram"
	expect_reply_err pool-empty "1G on node $N"
	run python3 "$RAWCLIENT" send "$SOCK" --timeout 3 \
		<<<"{\"cmd\":\"pool-claim\",\"node\":\"any\",\"size\":$((FSIZE + PG)),\"path\":\"$V/big.ram\"}"
	expect_out '"pool-empty"' "pool-empty for node any, answered within 3 s"
	[ -d /sys/devices/system/node/node255 ] ||
		refused no-such-node "node 255" 255 "$FSIZE" "$V/n255.ram"
	refused bad-request "size 0" "$N" 0 "$V/zero.ram"
	refused bad-request "mode 01000" "$N" "$FSIZE" "$V/mode.ram" 0 0 $((8#1000))
	refused bad-request "uid -1" "$N" "$FSIZE" "$V/uid.ram" -1 0 384
	req "{\"cmd\":\"pool-claim\",\"node\":$N,\"size\":$FSIZE,\"path\":\"$V/x.ram\",\"colour\":1}"
	expect_reply_err bad-request "an unknown member"
	[ ! -e "$V/x.ram" ] || fail "the request with an unknown member created $V/x.ram"
	run setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		/usr/bin/python3 "$PZ_TMP/rawclient.py" send "$SOCK" \
		<<<"{\"cmd\":\"pool-claim\",\"node\":$N,\"size\":$FSIZE,\"path\":\"$V/nobody.ram\"}"
	expect_eq "$(jget "$OUT" 'd["error"]["code"]')" permission-denied "a claim from nobody"
	[ ! -e "$V/nobody.ram" ] || fail "nobody's claim created $V/nobody.ram"
	pool_status
	expect_eq "$(pool_list "$P")" "$before" "the refusals left the pool directory as it was"
	expect_eq "$(pnode claims "$N")" "$nclaims" "the refusals are not counted as claims"
	rm -f "$V/exists"

	# ---- 8 claims at once against 4 ready files
	wait_full "$N" 30
	ino0=$(inodes "$P")
	python3 - "$SOCK" 8 "$FSIZE" "$V" "$N" >"$PZ_TMP/cc" <<'EOF' || fail "the concurrent client failed"
import json, os, socket, sys
path, n, size, vdir, node = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
scale = float(os.environ.get("PZ_TIMEOUT_SCALE", "1"))
conns = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(10 * scale)
    conns.append(s)
# All connections are open before the first request goes out.
for i, s in enumerate(conns):
    s.sendall(json.dumps({"cmd": "pool-claim", "node": node, "size": size,
                          "path": f"{vdir}/cc{i}.ram"}).encode() + b"\n")
for i, s in enumerate(conns):
    buf = b""
    while b"\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    r = json.loads(buf.split(b"\n")[0])
    print(i, "ok" if r["ok"] else r["error"]["code"])
EOF
	sed 's/^/#   /' "$PZ_TMP/cc"
	local nok nempty okino newino=0
	nok=$(awk '$2 == "ok"' "$PZ_TMP/cc" | wc -l)
	nempty=$(awk '$2 == "pool-empty"' "$PZ_TMP/cc" | wc -l)
	expect_eq "$((nok + nempty))" 8 "every concurrent claim is ok or pool-empty"
	okino=""
	while read -r i _; do
		expect_claimed "$V/cc$i.ram" "$FSIZE" 0 0 600 -
		okino+="$(stat -c %i "$V/cc$i.ram")"$'\n'
	done < <(awk '$2 == "ok"' "$PZ_TMP/cc")
	okino=${okino%$'\n'}
	expect_eq "$(echo "$okino" | sort -u | wc -l)" "$nok" "the $nok successful claims got distinct files"
	for i in $okino; do has_word "$ino0" "$i" || newino=$((newino + 1)); done
	# A file that became ready during the burst may be handed out too
	# (not one of the inodes before it, and distinct, as checked).
	[ "$newino" -eq 0 ] || say "$newino claim(s) got a file filled during the burst"
	expect_eq "$((nok - newino))" "$NFILES" "each of the $NFILES ready files was handed out exactly once"
	while read -r i _; do
		[ ! -e "$V/cc$i.ram" ] || fail "claim $i got pool-empty but $V/cc$i.ram exists"
	done < <(awk '$2 == "pool-empty"' "$PZ_TMP/cc")
	rm -f "$V"/cc*.ram

	# ---- restart: the same files are adopted
	wait_full "$N" 30
	local keep
	keep=$(ready_list "$P" | awk '{ print $1, $2, $3 }')
	daemon_stop
	if [ "$fs" = hugetlbfs ]; then
		hp_check "$mnt" "daemon stopped"
	fi
	daemon_start
	wait_full "$N" 30
	expect_eq "$(ready_list "$P" | awk '{ print $1, $2, $3 }')" "$keep" "after a restart the same files (names, inodes, sizes) are adopted"
	expect_eq "$(pnode bytes "$N") $(pnode files "$N")" "$TARGET $NFILES" "status after the restart"

	# ---- restart: what is not a valid ready file is deleted
	daemon_stop
	# Room for the test's own huge pages while no prezerod runs.
	[ "$fs" = hugetlbfs ] && hp_room 64
	local f1 f2 f3 f4 bad=() gone=() other
	read -r f1 f2 f3 f4 < <(ready_list "$P" | awk '{ printf "%s ", $1 }')
	chmod 0644 "$P/$f1" || fail "chmod $f1"
	chown "$NOBODY" "$P/$f2" || fail "chown $f2"
	fallocate --punch-hole --offset 0 --length "$PG" "$P/$f3" || fail "punch a hole into $f3"
	bad=("$f1" "$f2" "$f3")
	truncate -s "$FSIZE" "$P/n$N-900.pool" || fail "truncate n$N-900.pool"
	: >"$P/n$N-901.pool" || fail "create n$N-901.pool"
	bad+=("n$N-900.pool" "n$N-901.pool")
	if [ "$fs" = tmpfs ]; then
		head -c $((FSIZE - 1)) /dev/zero >"$P/n$N-902.pool" || fail "write n$N-902.pool"
		bad+=("n$N-902.pool")
	fi
	other=254
	if [ ! -d /sys/devices/system/node/node$other ]; then
		fallocate -l "$FSIZE" "$P/n$other-903.pool" || fail "fallocate n$other-903.pool"
		bad+=("n$other-903.pool")
	fi
	# A symlink to a file that would be valid (hugetlbfs has no symlinks).
	fallocate -l "$FSIZE" "$mnt/target.bin" || fail "fallocate target.bin"
	chmod 0600 "$mnt/target.bin"
	if [ "$fs" = tmpfs ]; then
		ln -s "$mnt/target.bin" "$P/n$N-904.pool" || fail "ln -s"
		bad+=("n$N-904.pool")
	fi
	fallocate -l "$FSIZE" "$P/.fill-n$N-905" || fail "fallocate .fill-n$N-905"
	fallocate -l "$FSIZE" "$P/.claim-n$N-906" || fail "fallocate .claim-n$N-906"
	bad+=(".fill-n$N-905" ".claim-n$N-906")
	chmod 0600 "$P"/n*.pool "$P"/.fill-* "$P"/.claim-* 2>/dev/null
	chmod 0644 "$P/$f1"
	: >"$P/README.txt"
	local tino rino
	tino=$(stat -c %i "$mnt/target.bin") rino=$(stat -c %i "$P/README.txt")
	for i in "${bad[@]}"; do gone+=("$i $(stat -c %i "$P/$i")"); done
	local f4ino logstart
	f4ino=$(stat -c %i "$P/$f4")
	logstart=$(wc -l <"$DLOG")
	daemon_start
	wait_full "$N" 30
	expect_eq "$(stat -c %i "$P/$f4" 2>/dev/null)" "$f4ino" "the intact file $f4 is adopted"
	local e
	for e in "${gone[@]}"; do
		if [ "$(stat -c %i "$P/${e% *}" 2>/dev/null)" = "${e#* }" ]; then
			fail "${e% *} (inode ${e#* }) was not deleted at start"
		fi
		say "ok: ${e% *} was deleted at start"
	done
	for e in "$f1" "$f2" "$f3" "n$N-900.pool"; do
		tail -n +$((logstart + 1)) "$DLOG" | grep -q -- "$e" ||
			fail "the daemon log does not say why $e was deleted"
	done
	expect_eq "$(stat -c %i "$P/README.txt")" "$rino" "README.txt is left alone"
	expect_eq "$(stat -c '%i %s' "$mnt/target.bin")" "$tino $FSIZE" "the symlink's target is untouched"
	rm -f "$mnt/target.bin"
	check_ready "$P" "$PG"
	pool_status
	check_status_dir "$P" "$N"
	expect_eq "$(pool_list "$P" | awk '$1 != "README.txt"' | wc -l)" "$NFILES" "only $NFILES ready files and README.txt are left"
	if [ "$fs" = hugetlbfs ]; then
		hp_check "$mnt" "full pool"
	fi

	# ---- the end: with the files gone, so are the huge pages
	daemon_stop
	rm -f "$p"
	pool_fs_end "$fs" "$mnt" "$P" "$nr0" "$surp0"
}

for fs in $(pool_fs_list); do
	suite "$fs"
done
