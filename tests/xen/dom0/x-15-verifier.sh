# shellcheck shell=dash
# pz-timeout: 180
# The checker itself, without prezerod (after x-10-balloon): an exclude
# list made from pz-xenverify's own scan of pvh1 and pv1 agrees with the
# truth; the same list with one populated frame added, or one unpopulated
# range left out, or a wrong excluded-frames header, disagrees. A core
# checks good against an empty list and bad against the real one (it still
# holds the listed frames). So the verdicts the later scenarios rely on can
# fail.
. /lib/prezero/tests/xen-lib.sh

# mklist ID FRAMES EXCLUDED < ranges: an exclude file on stdout
mklist() {
	printf 'prezero-xen-exclude 1\ndomid: %s\nuuid: \nname: t\ntype: pv\ngeneration: 1\n' "$1"
	printf 'page-size: 4096\ntime: 0\nscanned-frames: 0x%x\nexcluded-frames: 0x%x\n' "$2" "$3"
	printf 'ranges: 0\ncomplete: yes\n\n'
	cat
}

expect_verdict() { # WANT ID FILE WHAT
	local line rc=0
	line=$(pz-xenverify check "$2" "$3" 2>&1) || rc=$?
	case $1 in
	agree) [ $rc -eq 0 ] && [ "$(xv_get "$line" verdict)" = agree ] && return 0 ;;
	disagree) [ $rc -eq 1 ] && return 0 ;;
	esac
	pz_fail "$4: want $1, got status $rc: $line"
}

for g in pv1 pvh1; do
	id=$(xg_need "$g") || continue
	line=$(xv_scan "$g" --ranges) || { pz_fail "scan $g failed"; continue; }
	echo "$line" | sed 1d >"/tmp/r.$id"
	first=$(echo "$line" | head -n1)
	frames=$(xv_get "$first" frames)
	un=$(xv_get "$first" unpopulated)
	[ "$un" -gt 0 ] || { pz_fail "$g: nothing unpopulated (did x-10-balloon run?)"; continue; }
	mklist "$id" "$frames" "$un" <"/tmp/r.$id" >"/tmp/good.$id"
	expect_verdict agree "$id" "/tmp/good.$id" "$g: list from the truth"
	# one populated frame more: a frame of the first populated gap of 3 or
	# more frames, so the new range touches no other (the format forbids
	# adjacent ranges)
	while read -r s e; do echo "$((s)) $((e))"; done <"/tmp/r.$id" |
		awk -v total="$frames" '
			function out(a, b) { printf "0x%x 0x%x\n", a, b }
			{ if (!done && $1 - prev >= 3) { out(prev + 1, prev + 2); done = 1 }
			  out($1, $2); prev = $2 }
			END { if (!done && total - prev >= 3) out(prev + 1, prev + 2) }' |
		mklist "$id" "$frames" $((un + 1)) >"/tmp/bad1.$id"
	expect_verdict disagree "$id" "/tmp/bad1.$id" "$g: list with a populated frame"
	sed '$d' "/tmp/r.$id" >"/tmp/r2.$id"
	read -r s e <<EOT
$(tail -n1 "/tmp/r.$id")
EOT
	mklist "$id" "$frames" $((un - e + s)) <"/tmp/r2.$id" >"/tmp/bad2.$id"
	expect_verdict disagree "$id" "/tmp/bad2.$id" "$g: list without its last range"
	mklist "$id" "$frames" $((un + 7)) <"/tmp/r.$id" >"/tmp/bad3.$id"
	expect_verdict disagree "$id" "/tmp/bad3.$id" "$g: wrong excluded-frames header"
done

# corecheck: IN against itself with no list is good; with the list it is
# bad, since IN still covers the listed frames.
id=$(xg_id pvh1)
if [ -n "$id" ] && [ -f "/tmp/good.$id" ]; then
	line=$(pz-xenverify core "$id" /tmp/x15.core) || pz_fail "core: $line"
	pz_log "$line"
	mklist "$id" 1 0 </dev/null >"/tmp/empty.$id"
	line=$(pz-xenverify corecheck /tmp/x15.core /tmp/x15.core "/tmp/empty.$id") ||
		pz_fail "core vs itself, empty list: $line"
	line=$(pz-xenverify corecheck /tmp/x15.core /tmp/x15.core "/tmp/good.$id") &&
		pz_fail "core vs itself with the list passed: $line"
	pz_log "corecheck with the list (must be bad): $line"
	line=$(pz-xenverify dump "$id") || pz_fail "dump: $line"
	pz_log "dump without list: $line"
	line=$(pz-xenverify dump "$id" --exclude "/tmp/good.$id") || pz_fail "dump: $line"
	pz_log "dump with list: $line"
	pz_expect_eq "$(xv_get "$line" frames_failed)" 0 "dump with the list: frames failed"
	rm -f /tmp/x15.core
fi
