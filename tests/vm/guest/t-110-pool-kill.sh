# shellcheck shell=dash
# kill -9 of prezerod while it fills and while it claims, on hugetlbfs (2M
# pages), then a restart: nothing is orphaned. Six rounds, from a full pool
# (256M in 64M files): three claims of random sizes, then SIGKILL at a
# random time, either while the claims are under way ("claim" rounds:
# 0-400 ms after starting them, prezeroctl's own start-up under TCG
# included) or while the pool refills after them ("fill" rounds: 50-800
# ms after they were answered; the pool refills at 128M/s). Then:
# - before the restart: the pool directory holds only n*.pool, .fill-*
#   and .claim-* names; a claim that exited 0 has its complete file at
#   PATH (size rounded up to 2M, root 0600, allocated), one that failed
#   either none or a complete one;
# - after the restart and the refill: no .fill-*/.claim-* file of before
#   is left (same name and inode), every n*.pool of before is adopted, and
#   HugePages_Total - HugePages_Free is exactly the pages of the files on
#   the mount.
# At the end (prezerod stopped, files deleted) surplus and HugePages_Total
# are as before. At least one kill must have left a .fill-* file.
# pz-timeout: 150
. /lib/prezero/tests/pz-kmod.sh
. /lib/prezero/tests/pz-daemon.sh
. /lib/prezero/tests/pz-pool.sh

ROUNDS=6
pzp_mount || exit 1
total0=$(pz_meminfo HugePages_Total) surp0=$(pzp_surplus)
# 128M/s: a refill of three files takes 1.5 s at least, so a "fill"
# round's kill lands in it.
pzp_conf 256M 64M 128M
pzd_start || exit 1
pzp_wait_full 60 || { pzp_cleanup; exit 1; }

# r16: a random number 0..65535
r16() { od -An -tu2 -N2 /dev/urandom | tr -d ' '; }
# rnd MIN MAX: a random number of seconds in [MIN, MAX]
rnd() {
	awk -v r="$(r16)" -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a + (b - a) * r / 65535 }'
}

# listing: "name inode" of every entry of the pool directory
listing() {
	local f
	for f in "$PZP_DIR"/* "$PZP_DIR"/.[!.]*; do
		[ -e "$f" ] && echo "${f##*/} $(stat -c %i "$f")"
	done
}

fills=0 claims=0 r=1
while [ "$r" -le "$ROUNDS" ]; do
	mode=fill
	[ $((r % 2)) = 0 ] && mode=claim
	pids=""
	i=0
	: >"$PZ_STATE/claims"
	for sz in $(($(r16) % 60 + 1))M $(($(r16) % 60 + 1))M $(($(r16) % 30000 * 2048 + 1)); do
		p=$PZP_VM/r$r-$i.ram
		if [ "$mode" = claim ]; then
			(prezeroctl pool claim --node 0 --size "$sz" --to "$p" >/dev/null 2>&1
			 echo "$p $sz $?" >>"$PZ_STATE/claims") &
			pids="$pids $!"
		else
			prezeroctl pool claim --node 0 --size "$sz" --to "$p" >/dev/null 2>&1
			echo "$p $sz $?" >>"$PZ_STATE/claims"
		fi
		i=$((i + 1))
	done
	if [ "$mode" = claim ]; then
		d=$(rnd 0 0.4)
	else
		d=$(rnd 0.05 0.8)
	fi
	sleep "$d"
	kill -KILL "$PZD_PID"
	wait "$PZD_PID" 2>/dev/null
	PZD_PID=""
	# shellcheck disable=SC2086 # a list of pids
	[ -n "$pids" ] && wait $pids
	listing >"$PZ_STATE/before"
	pz_log "round $r ($mode): SIGKILL ${d}s after the claims; left: $(tr '\n' ' ' <"$PZ_STATE/before")"
	pz_log "round $r claims (path size status): $(tr '\n' ' ' <"$PZ_STATE/claims")"
	grep -q '^\.fill-' "$PZ_STATE/before" && fills=$((fills + 1))
	grep -q '^\.claim-' "$PZ_STATE/before" && claims=$((claims + 1))
	bad=$(grep -v -E '^(n[0-9]+-[0-9]+\.pool|\.fill-n[0-9]+-[0-9]+|\.claim-n[0-9]+-[0-9]+) ' "$PZ_STATE/before")
	[ -z "$bad" ] || pz_fail "round $r: unexpected names in the pool directory: $bad"

	# Each claim: complete at PATH, or (failed) absent.
	while read -r p sz rc; do
		want=$(awk -v s="$sz" -v h="$PZP_HUGE" 'BEGIN {
			n = s; u = substr(s, length(s)); if (u == "M") n = substr(s, 1, length(s) - 1) * 1048576
			printf "%d\n", int((n + h - 1) / h) * h }')
		if [ "$rc" != 0 ] && [ ! -e "$p" ]; then
			continue
		fi
		[ -e "$p" ] || { pz_fail "round $r: $p: claim exited 0 but there is no file"; continue; }
		pz_expect_eq "$(stat -c '%s %u %g %a %b' "$p")" "$want 0 0 600 $((want / 512))" \
			"round $r: $p (claim status $rc): complete"
	done <"$PZ_STATE/claims"

	pzd_start || break
	pzp_wait_full 60 || break
	listing >"$PZ_STATE/after"
	while read -r name ino; do
		case $name in
		n*.pool)
			grep -q "^$name $ino\$" "$PZ_STATE/after" ||
				pz_fail "round $r: $name (inode $ino) was not adopted"
			;;
		*)
			grep -q "^$name $ino\$" "$PZ_STATE/after" &&
				pz_fail "round $r: $name (inode $ino) is still there after the restart"
			;;
		esac
	done <"$PZ_STATE/before"
	grep -q -v '\.pool ' "$PZ_STATE/after" &&
		pz_fail "round $r: the full pool has other files: $(tr '\n' ' ' <"$PZ_STATE/after")"
	# shellcheck disable=SC2046 # lists of files
	pz_expect_eq "$(pzp_used)" "$(pzp_pages $(pzp_ready) "$PZP_VM"/*)" \
		"round $r: HugePages_Total - HugePages_Free = pages of the files"
	rm -f "$PZP_VM"/*
	r=$((r + 1))
done
pz_log "$ROUNDS kills: $fills left a .fill-* file, $claims a .claim-* file"
[ "$fills" -gt 0 ] || pz_fail "no kill hit a fill: the scenario did not test what it says"

pzd_alive && pzd_stop
rm -rf "$PZP_VM" "$PZP_DIR"
pz_expect_eq "$(pzp_used) $(pzp_surplus) $(pz_meminfo HugePages_Total)" "0 $surp0 $total0" \
	"files deleted: 2M pages in use, surplus, HugePages_Total as before"
pzp_cleanup
