#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# prezeroctl's warm pool commands (pool, pool claim, vm reserve, unreserve,
# release, prepare) and the pool in status:
# - usage errors exit 2 with a message naming the command, and send
#   nothing (a missing socket would be exit 5; with a daemon, nothing
#   changes);
# - without a daemon every command exits 5;
# - against prezerod with a small pool on a tmpfs mounted in a private
#   mount namespace: each command's text and --json output, the files a
#   claim makes, exit 6 for pool-empty and no-pool, 1 for the other
#   refusals (bad-path, cross-device, no-such-reservation,
#   permission-denied), vm prepare's table with nothing changed on the
#   host (--no-compact, --no-topup).
# pz-timeout: 180
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pool-lib.sh
. "$(dirname "$0")/pool-lib.sh"
need setpriv unshare

# The pool's tmpfs is mounted in a private mount namespace: it vanishes
# with the scenario, whatever happens.
if [ -z "${PZ_T21_NS:-}" ]; then
	PZ_T21_NS=1 PZ_TMP=$PZ_TMP PZ_BUILD=$PZ_BUILD \
		unshare -m --propagation private bash "$0" "$@"
	exit $?
fi

NONE=$PZ_TMP/nonexistent/prezerod.sock
MNT=$PZ_TMP/poolfs
P=$MNT/prezero
NOBODY_UID=$(getent passwd nobody | cut -d: -f3)
NOBODY_GID=$(getent passwd nobody | cut -d: -f4)
[ -n "$NOBODY_UID" ] || fail "no user nobody on this host"

# nctl ARGS...: prezeroctl on a socket nobody listens on.
nctl() { run "$PREZEROCTL" --socket "$NONE" "$@"; }

# ---- usage errors: exit 2, the command named, nothing sent -------------
# "CMD ARGS|REGEX" per line: prezeroctl's message must match REGEX.
usage_cases() {
	cat <<EOF
pool frob|^prezeroctl: pool: unknown subcommand 'frob'
pool status 0|^prezeroctl: pool status: unexpected argument '0'
pool --frob|^prezeroctl: pool: unknown option '--frob'
pool claim|^prezeroctl: pool claim: missing --node
pool claim --node 0 --to /x|^prezeroctl: pool claim: missing --size
pool claim --node 0 --size 4M|^prezeroctl: pool claim: missing --to
pool claim --node x --size 4M --to /x|^prezeroctl: pool claim: invalid --node 'x'
pool claim --node 0 --size 0 --to /x|^prezeroctl: pool claim: invalid --size '0'
pool claim --node 0 --size 4GB --to /x|^prezeroctl: pool claim: invalid --size '4GB'
pool claim --node 0 --size 2P --to /x|^prezeroctl: pool claim: invalid --size '2P': too large
pool claim --node 0 --size 4M --to rel/x|^prezeroctl: pool claim: --to 'rel/x' is not an absolute path
pool claim --node 0 --size 4M --to /x --owner pz-no-such-user|^prezeroctl: pool claim: invalid --owner 'pz-no-such-user': no such user
pool claim --node 0 --size 4M --to /x --owner root:pz-no-such-group|^prezeroctl: pool claim: invalid --owner 'root:pz-no-such-group': no such group
pool claim --node 0 --size 4M --to /x --mode 0800|^prezeroctl: pool claim: invalid --mode '0800'
pool claim --node 0 --size 4M --to /x --mode 4755|^prezeroctl: pool claim: invalid --mode '4755'
pool claim --node 0 --size 4M --to /x --for a/b|^prezeroctl: pool claim: invalid --for 'a/b'
pool claim --node 0 --size 4M --to /x extra|^prezeroctl: pool claim: unexpected argument 'extra'
pool claim --node 0 --size 4M --to|^prezeroctl: pool claim: option '--to' needs a value
vm|^prezeroctl: vm: usage
vm frob|^prezeroctl: vm: unknown subcommand 'frob'
vm reserve --size 4M|^prezeroctl: vm reserve: missing --node
vm reserve --node 0|^prezeroctl: vm reserve: missing --size
vm reserve --node 0 --size 4M --ttl 0|^prezeroctl: vm reserve: invalid --ttl '0'
vm reserve --node 0 --size 4M --ttl 5x|^prezeroctl: vm reserve: invalid --ttl '5x'
vm reserve --node 0 --size 4M --ttl 9999999999|^prezeroctl: vm reserve: invalid --ttl '9999999999'
vm reserve --node any --size 4M|^prezeroctl: vm reserve: invalid --node 'any'
vm unreserve|^prezeroctl: vm unreserve: usage
vm unreserve 0|^prezeroctl: vm unreserve: invalid reservation ID '0'
vm unreserve x|^prezeroctl: vm unreserve: invalid reservation ID 'x'
vm unreserve 1 --for a|^prezeroctl: vm unreserve: give a reservation ID or --for NAME, not both
vm unreserve 1 2|^prezeroctl: vm unreserve: unexpected argument '2'
vm release|^prezeroctl: vm release: usage
vm release a b|^prezeroctl: vm release: unexpected argument 'b'
vm release a/b|^prezeroctl: vm release: invalid name 'a/b'
vm prepare|^prezeroctl: vm prepare: usage
vm prepare 0|^prezeroctl: vm prepare: invalid NODE:SIZE '0'
vm prepare 0:0|^prezeroctl: vm prepare: invalid NODE:SIZE '0:0'
vm prepare 0:4M 0:8M|^prezeroctl: vm prepare: invalid NODE:SIZE '0:8M': node given twice
vm prepare --backing hugetlb-2m 0:4M|^prezeroctl: vm prepare: invalid --backing 'hugetlb-2m'
vm prepare --force 0:4M|^prezeroctl: vm prepare: unknown option '--force'
EOF
}

# check_usage SOCKET-FUNCTION: every case exits 2 with its message.
check_usage() {
	local args re
	while IFS='|' read -r args re; do
		# shellcheck disable=SC2086 # args is a command line
		"$1" $args
		expect_rc 2 "$args"
		expect_out "$re" "$args: the message"
		expect_out "Try 'prezeroctl --help'" "$args: the help hint"
	done < <(usage_cases)
}

# With no daemon: 2, not 5, shows that the arguments were refused before
# any connection was tried.
check_usage nctl
# A name of 256 bytes, and a --to longer than PATH_MAX.
long=$(printf 'a%.0s' $(seq 256))
nctl vm release "$long"
expect_rc 2 "vm release with a 256-byte name"
nctl pool claim --node 0 --size 4M --to "/$(printf 'a%.0s' $(seq 4096))"
expect_rc 2 "pool claim with a --to longer than PATH_MAX"

# ---- no daemon: exit 5 ---------------------------------------------------
# "ARGS|COMMAND": COMMAND is what the message names.
while IFS='|' read -r args name; do
	# shellcheck disable=SC2086 # args is a command line
	nctl $args
	expect_rc 5 "$args without a daemon"
	expect_out "^prezeroctl: $name: prezerod not running" "$args: the message says so"
done <<EOF
pool|pool
pool --json|pool
pool status|pool status
pool claim --node any --size 4M --to /x --owner root --mode 0640 --for vm1|pool claim
vm reserve --node 0 --size 4M --for vm1 --ttl 5m|vm reserve
vm unreserve 1|vm unreserve
vm unreserve --for vm1|vm unreserve
vm release vm1|vm release
vm prepare --backing anon --no-compact 0:4M|vm prepare
EOF

# ---- a daemon with a pool --------------------------------------------------
pool_mount tmpfs "$MNT"
pool_conf "$P" 8M 4M 64M
daemon_start
pool_status
N=$(first_node)
wait_full "$N" 30

# pool --json: the pool object and, per node, its id and pool.
ctl pool --json
expect_rc 0 "pool --json"
cp "$OUT" "$PZ_TMP/pool.out"
expect_eq "$(jget "$PZ_TMP/pool.out" 'sorted(d)')" '["nodes", "pool"]' "pool --json members"
expect_eq "$(jget "$PZ_TMP/pool.out" 'd["pool"]["dir"]')" "$P" "pool --json: dir"
expect_eq "$(jget "$PZ_TMP/pool.out" 'd["pool"]["fs"]')" tmpfs "pool --json: fs"
expect_eq "$(jget "$PZ_TMP/pool.out" '[sorted(n) for n in d["nodes"]][0]')" '["id", "pool"]' "pool --json: node members"
expect_eq "$(jget "$PZ_TMP/pool.out" '[n["id"] for n in d["nodes"]]')" \
	"$(jget "$ST" '[n["id"] for n in d["nodes"]]')" "pool --json: the nodes of status"
# The pool is full and stable: the same numbers as status.
pool_status
for k in state bytes files target_bytes reserved_bytes claims; do
	expect_eq "$(jget "$PZ_TMP/pool.out" "d[\"nodes\"][0][\"pool\"][\"$k\"]")" \
		"$(pnode "$k")" "pool --json: node $N $k as in status"
done
expect_eq "$(pnode bytes)" $((8 << 20)) "the pool holds its target"
ctl pool status --json
expect_rc 0 "pool status --json"
expect_eq "$(jget "$OUT" 'sorted(d)')" '["nodes", "pool"]' "pool status --json is pool --json"

# pool, as text.
ctl pool
expect_rc 0 "pool"
expect_out "^pool: $P \\(tmpfs, [0-9]+ [KMG]iB pages\\)\$" "pool: the directory, fs and page size"
expect_out '^NODE +STATE +READY +FILES +FILLING +TARGET +RESERVED +RATE +RELEASED +CLAIMS$' "pool: the table's heading"
expect_out "^ +$N +full +8M +2 +0 +8M +0 +[^ ]+ +0 +0\$" "pool: node $N full, 8M in 2 files of the 8M target"
expect_out "^node $N: " "pool: node $N's reason"
expect_out '^no reservations$' "pool: no reservations"

# status: the POOL column is READY/TARGET.
ctl status
expect_rc 0 "status"
expect_out '^NODE .* POOL$' "status: the POOL column"
expect_out "^ +$N .* 8M/8M\$" "status: node $N's pool is 8M of 8M"
expect_no_out '^reservations:' "status: no reservations"

# Usage errors with a daemon change nothing.
check_usage ctl
pool_status
expect_eq "$(pnode claims)" 0 "no claim after the usage errors"
expect_eq "$(jget "$ST" 'd["pool"]["reservations"]')" '[]' "no reservation after the usage errors"

# ---- pool claim ------------------------------------------------------------
ctl pool claim --node "$N" --size 3M --to "$MNT/vm1.mem" --owner nobody --mode 0640 --for vm1
expect_rc 0 "pool claim 3M as nobody 0640"
expect_out "^$MNT/vm1.mem: 3.00 MiB from node $N\$" "pool claim: PATH: SIZE from node N"
expect_eq "$(stat -c '%s %u:%g %a' "$MNT/vm1.mem")" \
	"$((3 << 20)) $NOBODY_UID:$NOBODY_GID 640" "the claimed file: size, nobody's uid and primary group, mode"
ctl pool claim --node any --size 1M --to "$MNT/vm2.mem" --json
expect_rc 0 "pool claim --node any --json"
cp "$OUT" "$PZ_TMP/claim.out"
expect_eq "$(jget "$PZ_TMP/claim.out" 'd["path"]')" "$MNT/vm2.mem" "claim --json: path"
expect_eq "$(jget "$PZ_TMP/claim.out" 'd["size"]')" $((1 << 20)) "claim --json: size"
expect_eq "$(jget "$PZ_TMP/claim.out" 'd["node"]')" "$N" "claim --json: node"
expect_eq "$(jget "$PZ_TMP/claim.out" 'd["file_bytes"]')" $((4 << 20)) "claim --json: file_bytes, a 4M pool file"
expect_eq "$(stat -c '%s %u:%g %a' "$MNT/vm2.mem")" "$((1 << 20)) 0:0 600" "default owner root:root, mode 0600"
ctl pool claim --node "$N" --size 1M --to "$MNT/vm3.mem" --owner "$NOBODY_UID:0"
expect_rc 0 "pool claim --owner UID:GID"
expect_eq "$(stat -c '%u:%g' "$MNT/vm3.mem")" "$NOBODY_UID:0" "numeric owner and group"

# Refusals: the daemon's message and code, exit 1 or 6.
ctl pool claim --node "$N" --size 1M --to "$MNT/vm1.mem"
expect_rc 1 "pool claim to an existing path"
expect_out '^prezeroctl: pool claim: .*\(bad-path\)$' "the refusal names the command and the code"
expect_eq "$(stat -c '%s %u' "$MNT/vm1.mem")" "$((3 << 20)) $NOBODY_UID" "the existing file is untouched"
ctl pool claim --node "$N" --size 1M --to "$PZ_TMP/elsewhere.mem"
expect_rc 1 "pool claim onto another filesystem"
expect_out '^prezeroctl: pool claim: .*\(cross-device\)$' "cross-device"
[ ! -e "$PZ_TMP/elsewhere.mem" ] || fail "a cross-device claim left $PZ_TMP/elsewhere.mem"
ctl pool claim --node "$N" --size 64M --to "$MNT/big.mem"
expect_rc 6 "pool claim larger than any file: exit 6"
expect_out '^prezeroctl: pool claim: .*\(pool-empty\)$' "pool-empty, with the daemon's message"
[ ! -e "$MNT/big.mem" ] || fail "a pool-empty claim left $MNT/big.mem"
ctl pool claim --node 255 --size 1M --to "$MNT/x.mem"
expect_rc 1 "pool claim on a node this host lacks"
expect_out '\(no-such-node\)$' "no-such-node"
# An unprivileged peer (a copy of prezeroctl it can reach).
cp "$PREZEROCTL" "$PZ_TMP/prezeroctl"
chmod 0755 "$PZ_TMP/prezeroctl"
run setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups \
	"$PZ_TMP/prezeroctl" --socket "$SOCK" pool claim --node "$N" --size 1M --to "$MNT/nob.mem"
expect_rc 1 "pool claim as nobody"
expect_out '\(permission-denied\)$' "permission-denied"
[ ! -e "$MNT/nob.mem" ] || fail "a refused claim left $MNT/nob.mem"
run setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups \
	"$PZ_TMP/prezeroctl" --socket "$SOCK" pool
expect_rc 0 "pool (status) as nobody"
pool_status
expect_eq "$(pnode claims)" 3 "three claims counted"

# ---- vm reserve, unreserve, release ----------------------------------------
ctl vm reserve --node "$N" --size 4M --for vm4 --ttl 5m
expect_rc 0 "vm reserve --for --ttl"
expect_out "^reservation [0-9]+: 4.00 MiB on node $N for vm4, (waiting|ready), expires in [45]m [0-9]+s\$" "vm reserve: id, size, node, name, state, expiry"
id1=$(sed -n 's/^reservation \([0-9]*\):.*/\1/p' "$OUT")
ctl vm reserve --node "$N" --size 2M --json
expect_rc 0 "vm reserve --json"
cp "$OUT" "$PZ_TMP/resv.out"
expect_eq "$(jget "$PZ_TMP/resv.out" 'sorted(d)')" '["reservation"]' "vm reserve --json members"
expect_eq "$(jget "$PZ_TMP/resv.out" 'd["reservation"]["size"]')" $((2 << 20)) "vm reserve --json: size"
expect_eq "$(jget "$PZ_TMP/resv.out" 'd["reservation"]["node"]')" "$N" "vm reserve --json: node"
expect_eq "$(jget "$PZ_TMP/resv.out" 'd["reservation"]["for"]')" null "vm reserve --json: no name"
expect_eq "$(jget "$PZ_TMP/resv.out" 'd["reservation"]["expires_s"]')" null "vm reserve --json: no expiry"
id2=$(jget "$PZ_TMP/resv.out" 'd["reservation"]["id"]')
[ "$id1" != "$id2" ] || fail "two reservations with the same id $id1"

ctl pool
expect_rc 0 "pool with reservations"
expect_out '^reservations:$' "pool: the reservations"
expect_out '^ID +NODE +SIZE +FOR +STATE +EXPIRES$' "pool: the reservations' heading"
expect_out "^ *$id1 +$N +4M +vm4 +(waiting|ready) +[45]m [0-9]+s\$" "pool: reservation $id1"
expect_out "^ *$id2 +$N +2M +- +(waiting|ready) +never\$" "pool: reservation $id2"
ctl status
expect_rc 0 "status with reservations"
expect_out '^reservations:$' "status: the reservations"
expect_out "^ *$id1 +$N +4M +vm4 " "status: reservation $id1"
ctl pool --json
expect_eq "$(jget "$OUT" 'sorted(r["id"] for r in d["pool"]["reservations"])')" \
	"$(python3 -c "print(sorted([$id1, $id2]))")" "pool --json: both reservations"

ctl vm unreserve "$id1"
expect_rc 0 "vm unreserve ID"
expect_out "^removed 1 reservation \\(ID $id1\\)\$" "vm unreserve: what was removed"
ctl vm unreserve "$id1"
expect_rc 1 "vm unreserve of a removed ID"
expect_out '^prezeroctl: vm unreserve: .*\(no-such-reservation\)$' "no-such-reservation"
ctl vm unreserve --for pz-nobody-has-this
expect_rc 1 "vm unreserve --for an unknown name"
ctl vm unreserve --json "$id2"
expect_rc 0 "vm unreserve --json"
expect_eq "$(jget "$OUT" 'd')" '{"removed": 1}' "vm unreserve --json"
pool_status
expect_eq "$(jget "$ST" 'd["pool"]["reservations"]')" '[]' "both reservations gone"

ctl vm reserve --node "$N" --size 4M --for vm5
expect_rc 0 "vm reserve for vm5"
ctl vm reserve --node "$N" --size 1M --for vm5 --ttl 1h
expect_rc 0 "a second reservation for vm5 (replaces the first)"
ctl vm unreserve --for vm5
expect_rc 0 "vm unreserve --for vm5"
expect_out '^removed [0-9]+ reservations? of vm5$' "vm unreserve --for: the count and the name"

# A name too long for a table cell is cut and marked; --json has it whole.
name255=$(printf 'n%.0s' $(seq 255))
ctl vm reserve --node "$N" --size 1M --for "$name255"
expect_rc 0 "vm reserve for a 255-byte name"
ctl pool
expect_out "^ *[0-9]+ +$N +1M +n{36}\\.\\.\\. +(waiting|ready) +never\$" "pool: the long name is cut, marked ..."
ctl pool --json
expect_eq "$(jget "$OUT" '[r["for"] for r in d["pool"]["reservations"]]')" "[\"$name255\"]" "pool --json: the whole name"
ctl vm unreserve --for "$name255"
expect_rc 0 "vm unreserve the long name"

ctl vm release vm1
expect_rc 0 "vm release"
expect_out '^released vm1: (the pool refills [0-9.]+ [KMG]iB \(all nodes\)|nothing to refill)$' "vm release: the refill"
ctl vm release vm1 --json
expect_rc 0 "vm release --json"
expect_eq "$(jget "$OUT" 'type(d["refill_bytes"]).__name__')" int "vm release --json: refill_bytes"

# ---- vm prepare: nothing changed on the host -------------------------------
ctl vm prepare --no-compact "$N:4M"
expect_rc 0 "vm prepare anon"
expect_out '^NODE +SIZE +BACKING +SERVABLE +SHORT +ACTIONS$' "vm prepare: the table's heading"
expect_out "^ +$N +4M +anon +[^ ]+ +[^ ]+ +" "vm prepare: node $N's row"
ctl --json vm prepare --no-compact --for vm6 "$N:4M"
expect_rc 0 "vm prepare --json"
cp "$OUT" "$PZ_TMP/prep.out"
expect_eq "$(jget "$PZ_TMP/prep.out" '[(n["node"], n["size"], n["backing"], n["compacted"]) for n in d["nodes"]]')" \
	"[[$N, $((4 << 20)), \"anon\", false]]" "vm prepare --json: node, size, backing, not compacted"
expect_eq "$(jget "$PZ_TMP/prep.out" 'all(n["short_bytes"] == max(0, n["size"] - n["servable_bytes"]) for n in d["nodes"])')" \
	true "vm prepare --json: short = size - servable"
# A 1G-page backing no host test has: short, still exit 0; no top-up.
hp1g=/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
before=$(cat "$hp1g" 2>/dev/null || echo none)
ctl vm prepare --backing hugetlb-1G --no-topup --no-compact "$N:64G"
expect_rc 0 "vm prepare hugetlb-1G, short: still exit 0"
expect_out "^ +$N +64G +hugetlb-1G +" "vm prepare: the 1G row"
ctl vm prepare --json --backing hugetlb-1G --no-topup --no-compact "$N:64G"
expect_rc 0 "vm prepare hugetlb-1G --json"
cp "$OUT" "$PZ_TMP/prep.out"
expect_eq "$(jget "$PZ_TMP/prep.out" 'd["nodes"][0]["hugetlb_added_pages"]')" 0 "--no-topup added no page"
expect_eq "$(jget "$PZ_TMP/prep.out" 'd["nodes"][0]["short_bytes"] == max(0, 64 * 2**30 - d["nodes"][0]["servable_bytes"])')" \
	true "short_bytes = 64G - servable"
expect_eq "$(cat "$hp1g" 2>/dev/null || echo none)" "$before" "the 1G pool of the host is unchanged"
daemon_stop

# ---- no-pool: a pool directory that cannot be made -------------------------
: >"$PZ_TMP/afile"
pool_conf "$PZ_TMP/afile/prezero" 8M 4M 64M
daemon_start
pool_status
expect_eq "$(jget "$ST" 'd["pool"]["state"]')" error "the pool is unusable"
ctl pool claim --node "$N" --size 1M --to "$MNT/np.mem"
expect_rc 6 "pool claim without a usable pool: exit 6"
expect_out '^prezeroctl: pool claim: .*\(no-pool\)$' "no-pool, with the daemon's message"
ctl pool
expect_rc 0 "pool with an unusable pool"
expect_out "^pool: $PZ_TMP/afile/prezero: error: .+" "pool: the error and its reason"
expect_out "^ +$N +- +- +- +- +- +- +- +- +-\$" "pool: node $N has no pool"
ctl pool --json
expect_eq "$(jget "$OUT" 'd["nodes"][0]["pool"]')" null "pool --json: the node's pool is null"
ctl status
expect_rc 0 "status with an unusable pool"
expect_out "^ +$N .* -\$" "status: POOL is -"
expect_out "^pool: $PZ_TMP/afile/prezero: error: .+" "status: the pool's error"
daemon_stop
