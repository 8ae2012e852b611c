# shellcheck shell=dash
# Helpers for the Xen test's dom0 scenarios (sourced after lib.sh):
#   xg_create NAME TYPE MIB    xl create a test guest (pv|pvh|hvm), memory =
#                              maxmem = MIB, the 6.1 kernel + domu.cpio.gz
#   xg_ensure NAME TYPE MIB    create it unless it runs; wait until it answers
#   xg_id NAME                 domid (empty if none)
#   xg_need NAME               domid, or fail and show the guest's console
#   xg_ready NAME SECS         the guest's init wrote data/pz-ready
#   xg_ask NAME SECS           have the guest read prezero/exclude/ and answer
#                              (tests/xen/domu/init); 0 once it acked
#   xg_reply NAME KEY          a value of that answer (data/pz-reply/KEY)
#   xg_mem_kb NAME             pages the domain holds now, in KiB (tot_pages)
#   xg_static_max_kb NAME      memory/static-max in KiB
#   xg_balloon NAME MIB [SECS] xl mem-set, then wait until the domain's pages
#                              stop moving near the target; 1 if they do not
#   xg_console NAME            the guest's console log (last lines)
#   xg_check_consoles          fail on BUG/WARNING/Oops/... in any guest's log
#   xv_scan NAME [ARGS]        pz-xenverify scan (key=value line)
#   xv_get LINE KEY            a key of such a line
#   pzx_conf / pzx_start / pzx_stop   prezerod with Xen tracking (log:
#                              /tmp/pz/prezerod.log; pzx_log_on_fail prints
#                              its tail when the scenario failed)
#   pzx_json CMD...            prezeroctl --json CMD... (the daemon's socket)
#   pzx_file ID                /run/prezerod/xen/ID.exclude
#   pzx_header FILE KEY        a header value of an exclude file
#   pzx_wait_gen NAME OLD SECS wait until NAME's file has a generation > OLD
#   pzx_exclude_info NAME KEY...  KEYs of NAME's list in `xen list --json`
#                              (exclude.KEY), one line, space-separated
# Guests are named pv1, pvh1 (hvm1); they persist across the boot's scenarios.

XG_LOGDIR=/var/log/xen/console
PZX_DIR=/run/prezerod/xen
PZX_SOCK=/run/prezerod/prezerod.sock
PZX_LOG=/tmp/pz/prezerod.log

xg_id() {
	xl domid "$1" 2>/dev/null
}

# xg_need NAME: its domid on stdout; if it is not running, fail and show
# its console log (xenconsoled keeps it after the domain died)
xg_need() {
	local id
	id=$(xg_id "$1")
	[ -n "$id" ] && { echo "$id"; return 0; }
	pz_fail "guest $1 is not running"
	xl list >/dev/console 2>&1
	xg_console "$1"
	return 1
}

xg_create() {
	local name=$1 type=$2 mib=$3 cfg=/tmp/$1.cfg extra="console=hvc0 rdinit=/init"
	[ "$type" = hvm ] && extra="$extra pci=noearly console=ttyS0"
	{
		echo "name = \"$name\""
		echo "type = \"$type\""
		echo "memory = $mib"
		echo "maxmem = $mib"
		echo "vcpus = 1"
		echo "kernel = \"/boot/vmlinuz\""
		echo "ramdisk = \"/boot/domu.cpio.gz\""
		echo "extra = \"$extra\""
		echo 'on_poweroff = "destroy"'
		echo 'on_crash = "preserve"'
		# a triple fault is a reboot: do not hide a crash behind a new domain
		echo 'on_reboot = "destroy"'
		[ "$type" = hvm ] && echo 'vga = "none"' && echo 'serial = "pty"'
	} >"$cfg"
	xl create "$cfg" >/tmp/xl-create-"$name".log 2>&1 || {
		cat /tmp/xl-create-"$name".log
		pz_fail "xl create $name ($type) failed: $(tail -n1 /tmp/xl-create-"$name".log)"
		return 1
	}
}

xg_ready() {
	local id
	id=$(xg_id "$1") || return 1
	pz_wait_until "$2" xenstore-read "/local/domain/$id/data/pz-ready"
}

# xg_dead NAME: gone (a triple fault is a reboot, which destroys it) or
# crashed (preserved, state 'c')
xg_dead() {
	local st
	[ -z "$(xg_id "$1")" ] && return 0
	st=$(xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }')
	case $st in *c*) return 0 ;; esac
	return 1
}

# Setting up a guest is not what is tested: a guest that dies while it
# boots (under nested TCG a PVH guest sometimes triple-faults before its
# first line) is made again, at most twice. Each retry prints a
# PZ-BOOTRETRY line, which lets run.sh tell that crash from one during a
# test (README.md, "Known flake").
xg_ensure() {
	local try=1 n
	[ -n "$(xg_id "$1")" ] && xg_ready "$1" 120 && return 0
	while :; do
		[ -n "$(xg_id "$1")" ] || xg_create "$1" "$2" "$3" || return 1
		n=0
		while [ $n -lt 1200 ]; do
			xg_ready "$1" 0 && return 0
			xg_dead "$1" && break
			sleep 0.1
			n=$((n + 1))
		done
		xg_console "$1"
		if ! xg_dead "$1"; then
			pz_fail "guest $1 did not come up in 120 s"
			return 1
		fi
		if [ $try -ge 3 ]; then
			pz_fail "guest $1 died while booting, $try times"
			return 1
		fi
		pz_log "guest $1 died while booting (attempt $try): making it again"
		pz_out "PZ-BOOTRETRY $1"
		xl destroy "$1" 2>/dev/null
		try=$((try + 1))
	done
}

XG_SEQ=0
xg_ask() {
	local name=$1 secs=$2 id seq
	id=$(xg_id "$name") || { pz_fail "no guest $name"; return 1; }
	seq=$(($(date +%s) * 100 + XG_SEQ))
	XG_SEQ=$((XG_SEQ + 1))
	xenstore-write "/local/domain/$id/data/pz-seq" "$seq"
	# shellcheck disable=SC2016
	pz_wait_until "$secs" sh -c '[ "$(xenstore-read "$0" 2>/dev/null)" = "$1" ]' \
		"/local/domain/$id/data/pz-ack" "$seq" && return 0
	xg_console "$name"
	pz_fail "guest $name did not answer in $secs s"
}

xg_reply() {
	xenstore-read "/local/domain/$(xg_id "$1")/data/pz-reply/$2" 2>/dev/null
}

xg_mem_kb() {
	# xl list -l would need a JSON parser; the domain's pages via pz-xenverify
	# would scan. `xl list` reports MiB from tot_pages.
	xl list "$1" 2>/dev/null | awk 'NR == 2 { print $3 * 1024 }'
}

xg_static_max_kb() {
	xenstore-read "/local/domain/$(xg_id "$1")/memory/static-max"
}

xg_balloon() {
	local name=$1 mib=$2 secs=${3:-60} n=0 last="" same=0 cur
	xl mem-set "$name" "${mib}m" || { pz_fail "xl mem-set $name ${mib}m failed"; return 1; }
	while [ $n -lt "$secs" ]; do
		cur=$(xg_mem_kb "$name")
		# settled: within 8 MiB of the target and unchanged for 3 s
		if [ -n "$cur" ] && [ "$cur" = "$last" ]; then
			same=$((same + 1))
		else
			same=0
		fi
		last=$cur
		if [ $same -ge 3 ] && [ "$cur" -le $(((mib + 8) * 1024)) ] &&
			[ "$cur" -ge $(((mib - 8) * 1024)) ]; then
			pz_log "$name: ${cur} kB after mem-set ${mib}m (${n} s)"
			return 0
		fi
		sleep 1
		n=$((n + 1))
	done
	xg_console "$name"
	pz_fail "$name: balloon did not settle at ${mib} MiB in $secs s (now ${cur:-?} kB)"
}

xg_console() {
	local f=$XG_LOGDIR/guest-$1.log
	[ -f "$f" ] || return 0
	pz_log "console of $1 (last 30 lines):"
	tail -n 30 "$f" | sed "s/^/  [$1] /" >/dev/console
}

# xg_check_consoles: no guest kernel said BUG, WARNING, Oops, ... (lib.sh's
# PZ_DMESG_BAD) on its console
xg_check_consoles() {
	local f bad
	for f in "$XG_LOGDIR"/guest-*.log; do
		[ -f "$f" ] || continue
		bad=$(grep -E "$PZ_DMESG_BAD" "$f" | head -n 5)
		[ -z "$bad" ] && continue
		echo "$bad" >/dev/console
		pz_fail "$(basename "$f" .log): $(echo "$bad" | head -n1 | sed 's/^\[[^]]*\] *//')"
	done
}

# pzx_log_on_fail: the tail of prezerod's log when the scenario failed
pzx_log_on_fail() {
	[ -s "$PZ_STATE/$PZ_SCENARIO.fail" ] || return 0
	pz_log "prezerod's log (last 30 lines):"
	tail -n 30 "$PZX_LOG" | sed 's/^/  [prezerod] /' >/dev/console
}

xv_scan() {
	local name=$1 id
	shift
	id=$(xg_id "$name") || return 1
	pz-xenverify scan "$id" "$@"
}

# xv_get "k1=v1 k2=v2" KEY
xv_get() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n1
}

# ---- prezerod -----------------------------------------------------------------

# pzx_conf [KEY=VALUE]...: /tmp/prezerod-xen.conf, [xen] keys override
# shellcheck disable=SC2120 # scenarios may pass keys
pzx_conf() {
	local kv
	{
		echo "[daemon]"
		echo "socket = $PZX_SOCK"
		echo "[xen]"
		echo "enabled = yes"
		echo "settle_s = 2"
		echo "min_interval_s = 1"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >/tmp/prezerod-xen.conf
}

# prezerod in a session of its own: the runner kills each scenario's
# process group when it ends, and the daemon must outlive the scenario that
# started it.
pzx_start() {
	[ -f /tmp/prezerod-xen.conf ] || pzx_conf
	mkdir -p /run/prezerod
	echo "--- prezerod started by $PZ_SCENARIO" >>"$PZX_LOG"
	setsid prezerod -c /tmp/prezerod-xen.conf >>"$PZX_LOG" 2>&1 &
	echo $! >/tmp/prezerod.pid
	pz_wait_until 20 test -S "$PZX_SOCK" && return 0
	tail -n 20 "$PZX_LOG" >/dev/console
	pz_fail "prezerod did not open its socket"
}

# gone PID: no such process, or a zombie (an orphan that init has not reaped)
pzx_gone() {
	[ ! -e "/proc/$1/stat" ] || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# SIGTERM; it must be gone within 10 s and say nothing bad on the way out.
# (A daemon started by an earlier scenario is not our child: no exit status.)
pzx_stop() {
	local pid
	pid=$(cat /tmp/prezerod.pid 2>/dev/null) || return 0
	rm -f /tmp/prezerod.pid
	pzx_gone "$pid" && { pz_fail "prezerod (pid $pid) died before it was stopped"; return 1; }
	kill -TERM "$pid"
	pz_wait_until 10 pzx_gone "$pid" && return 0
	pz_fail "prezerod still running 10 s after SIGTERM"
	kill -KILL "$pid"
}

pzx_json() {
	prezeroctl --socket "$PZX_SOCK" --json "$@"
}

pzx_file() {
	echo "$PZX_DIR/$1.exclude"
}

pzx_header() {
	awk -v k="$2" 'NR > 1 && $0 == "" { exit } NR > 1 { i = index($0, ": ");
		if (substr($0, 1, i - 1) == k) { print substr($0, i + 2); exit } }' "$1" 2>/dev/null
}

pzx_wait_gen() {
	local f
	f=$(pzx_file "$(xg_id "$1")")
	# shellcheck disable=SC2016
	pz_wait_until "$3" sh -c '. /lib/prezero/tests/xen-lib.sh; g=$(pzx_header "$0" generation); [ -n "$g" ] && [ "$g" -gt "$1" ]' "$f" "$2"
}

# pzx_ranges FILE: the ranges of an exclude file, "START END" in decimal
pzx_ranges() {
	local s e
	awk 'body && NF { print } !body && $0 == "" { body = 1 }' "$1" |
		while read -r s e; do echo "$((s)) $((e))"; done
}

# pzx_xs_ranges DOMID: the xenstore copy's list/N nodes, "START END" decimal
pzx_xs_ranges() {
	local n=0 v w s e
	while v=$(xenstore-read "/local/domain/$1/prezero/exclude/list/$n" 2>/dev/null); do
		for w in $v; do
			s=${w%-*} e=${w#*-}
			echo "$((0x${s#0x})) $((0x${e#0x}))"
		done
		n=$((n + 1))
	done
}

# pzx_xs_md5 DOMID: md5 of the list/N values, each with a newline (as the
# guest's /init computes it)
pzx_xs_md5() {
	local n=0 v
	while v=$(xenstore-read "/local/domain/$1/prezero/exclude/list/$n" 2>/dev/null); do
		echo "$v"
		n=$((n + 1))
	done | md5sum | cut -d' ' -f1
}

# pzx_exclude_info NAME KEY...: the KEYs of NAME's list summary in `xen
# list --json` (domains.N.exclude.KEY) on one line, space-separated; fails
# when NAME or a key is missing
pzx_exclude_info() {
	local i k v paths=""
	i=$(pzx_dom_index "$(xg_id "$1")") || return 1
	shift
	for k in "$@"; do paths="$paths domains.$i.exclude.$k"; done
	# shellcheck disable=SC2086 # one argument per path
	v=$(pzx_json xen list | pz-json $paths) || return 1
	# shellcheck disable=SC2086 # the lines joined by spaces
	echo $v
}

# pzx_dom_index ID: index of domain ID in `xen list --json`'s domains
pzx_dom_index() {
	local j n i=0
	j=$(pzx_json xen list) || return 1
	n=$(echo "$j" | pz-json domains.#) || return 1
	while [ "$i" -lt "$n" ]; do
		[ "$(echo "$j" | pz-json "domains.$i.domid")" = "$1" ] && { echo "$i"; return 0; }
		i=$((i + 1))
	done
	return 1
}

# pzx_verify NAME: everything about NAME's published list agrees -- the
# file's header, pz-xenverify's truth, the balloon, the JSON file,
# prezeroctl xen list/exclude, the xenstore copy and what the guest reads.
# Sets PZX_GEN and PZX_EXCL (decimal) for the caller.
pzx_verify() {
	local g=$1 id f j line sum nr frames tot want d i x gen
	id=$(xg_id "$g") || { pz_fail "no guest $g"; return 1; }
	f=$(pzx_file "$id")
	[ -f "$f" ] || { pz_fail "$g: no $f"; return 1; }
	PZX_GEN=$(pzx_header "$f" generation)
	PZX_EXCL=$(($(pzx_header "$f" excluded-frames)))
	gen=$PZX_GEN
	# -- the file itself
	pz_expect_eq "$(head -n1 "$f")" "prezero-xen-exclude 1" "$g: magic line"
	pz_expect_eq "$(pzx_header "$f" domid)" "$id" "$g: domid header"
	pz_expect_eq "$(pzx_header "$f" name)" "$g" "$g: name header"
	pz_expect_eq "$(pzx_header "$f" type)" "$(xenstore-read "/libxl/$id/type")" "$g: type header"
	pz_expect_eq "$(pzx_header "$f" page-size)" 4096 "$g: page-size"
	pz_expect_eq "$(pzx_header "$f" complete)" yes "$g: complete"
	frames=$(($(xg_static_max_kb "$g") / 4))
	pz_expect_eq "$(($(pzx_header "$f" scanned-frames)))" "$frames" "$g: scanned-frames = static-max"
	pzx_ranges "$f" >"/tmp/ranges.$id"
	sum=$(awk '{ s += $2 - $1 } END { print s + 0 }' "/tmp/ranges.$id")
	nr=$(wc -l <"/tmp/ranges.$id")
	pz_expect_eq "$sum" "$PZX_EXCL" "$g: excluded-frames = sum of the ranges"
	pz_expect_eq "$nr" "$(pzx_header "$f" ranges)" "$g: ranges header"
	# -- the truth
	line=$(pz-xenverify check "$id" "$f") || pz_fail "$g: pz-xenverify: $line"
	pz_log "$g: $line"
	tot=$(xv_get "$line" tot_pages)
	want=$((frames - tot))
	d=$((PZX_EXCL - want))
	[ $d -lt 0 ] && d=$((-d))
	[ $d -le 64 ] || pz_fail "$g: list holds $PZX_EXCL frames, the balloon gave back $want"
	# -- the JSON file
	j=$(cat "$f.json") || pz_fail "$g: no $f.json"
	pz_expect_eq "$(echo "$j" | pz-json domid)" "$id" "$g: json domid"
	pz_expect_eq "$(echo "$j" | pz-json generation)" "$gen" "$g: json generation"
	pz_expect_eq "$(echo "$j" | pz-json excluded_frames)" "$PZX_EXCL" "$g: json excluded_frames"
	pz_expect_eq "$(echo "$j" | pz-json ranges.#)" "$nr" "$g: json ranges"
	pz_expect_eq "$(echo "$j" | pz-json complete)" true "$g: json complete"
	if [ "$nr" -gt 0 ]; then
		pz_expect_eq "$(echo "$j" | pz-json ranges.0.0) $(echo "$j" | pz-json ranges.0.1)" \
			"$(head -n1 "/tmp/ranges.$id")" "$g: json first range"
		i=$((nr - 1))
		pz_expect_eq "$(echo "$j" | pz-json ranges.$i.0) $(echo "$j" | pz-json ranges.$i.1)" \
			"$(tail -n1 "/tmp/ranges.$id")" "$g: json last range"
	fi
	# -- prezeroctl xen list --json / xen exclude DOM --json
	i=$(pzx_dom_index "$id") || pz_fail "$g: domain $id not in prezeroctl xen list --json"
	if [ -n "$i" ]; then
		j=$(pzx_json xen list)
		pz_expect_eq "$(echo "$j" | pz-json xen.state)" active "$g: xen list: xen.state"
		pz_expect_eq "$(echo "$j" | pz-json "domains.$i.name")" "$g" "$g: xen list: name"
		pz_expect_eq "$(echo "$j" | pz-json "domains.$i.static_max_bytes")" "$((frames * 4096))" "$g: xen list: static_max_bytes"
		pz_expect_eq "$(echo "$j" | pz-json "domains.$i.exclude.generation")" "$gen" "$g: xen list: generation"
		pz_expect_eq "$(echo "$j" | pz-json "domains.$i.exclude.excluded_frames")" "$PZX_EXCL" "$g: xen list: excluded_frames"
		pz_expect_eq "$(echo "$j" | pz-json "domains.$i.exclude.path")" "$f" "$g: xen list: path"
	fi
	for x in "$id" "$g"; do
		j=$(pzx_json xen exclude "$x") || { pz_fail "$g: prezeroctl xen exclude $x failed: $j"; continue; }
		pz_expect_eq "$(echo "$j" | pz-json generation)" "$gen" "$g: xen exclude $x: generation"
		pz_expect_eq "$(echo "$j" | pz-json excluded_frames)" "$PZX_EXCL" "$g: xen exclude $x: excluded_frames"
		pz_expect_eq "$(echo "$j" | pz-json ranges.#)" "$nr" "$g: xen exclude $x: ranges"
		pz_expect_eq "$(echo "$j" | pz-json path)" "$f" "$g: xen exclude $x: path"
	done
	# -- the xenstore copy, as dom0 reads it
	x=/local/domain/$id/prezero/exclude
	pz_expect_eq "$(xenstore-read "$x"/generation)" "$gen" "$g: xenstore generation"
	pz_expect_eq "$(($(xenstore-read "$x"/excluded-frames)))" "$PZX_EXCL" "$g: xenstore excluded-frames"
	pz_expect_eq "$(xenstore-read "$x"/list-complete)" yes "$g: xenstore list-complete"
	pzx_xs_ranges "$id" >"/tmp/xsranges.$id"
	cmp -s "/tmp/ranges.$id" "/tmp/xsranges.$id" ||
		pz_fail "$g: xenstore list differs from the file ($(wc -l <"/tmp/xsranges.$id") vs $nr ranges)"
	# -- and as the guest reads it
	xg_ask "$g" 30 || return 1
	pz_expect_eq "$(xg_reply "$g" generation)" "$gen" "$g: guest reads generation"
	pz_expect_eq "$(($(xg_reply "$g" excluded-frames)))" "$PZX_EXCL" "$g: guest reads excluded-frames"
	pz_expect_eq "$(xg_reply "$g" list-complete)" yes "$g: guest reads list-complete"
	pz_expect_eq "$(xg_reply "$g" list-md5)" "$(pzx_xs_md5 "$id")" "$g: guest reads the list nodes"
	pz_expect_eq "$(xg_reply "$g" write-refused)" yes "$g: guest's write into prezero/ refused"
	pz_expect_eq "$(xenstore-read "$x"/generation)" "$gen" "$g: generation unchanged by the guest"
	xenstore-exists "$x/pz-guest-was-here" 2>/dev/null && pz_fail "$g: the guest created a node in prezero/exclude"
	return 0
}
