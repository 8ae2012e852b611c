# shellcheck shell=dash
# prezero guest helpers, sourced by /init (the runner) and by every scenario.
# Busybox ash: POSIX sh plus `local`. Scenario-facing API:
#   pz_log MSG...             progress line on the console
#   pz_fail MSG...            record a failure, keep going (returns 1)
#   pz_skip REASON            mark the scenario skipped and exit it
#   pz_expect_eq GOT WANT [WHAT]   string equality, pz_fail otherwise
#   pz_expect_ge GOT MIN [WHAT]    integer >=, pz_fail otherwise
#   pz_wait_until SECS CMD... poll CMD every 0.1 s; 0 once it succeeds, 1 on timeout
#   pz_check_dmesg            fail if the kernel log since the scenario began
#                             shows BUG/WARNING/Oops/stalls/... (the runner
#                             also calls it after every scenario)
#   pz_dmesg_allow ERE        lines matching ERE are ignored by the check
#   pz_bench JSON             emit `PZ-BENCH {...}` (one object, one line)
#   pz_as_nobody CMD...       run CMD as uid/gid 65534 without capabilities
#   pz_meminfo KEY            value of KEY from /proc/meminfo (kB)
#   pz_insmod NAME [PARAMS]   insmod /lib/modules/extra/NAME.ko
# Variables: PZ_SCENARIO (name), PZ_KVER (expected uname -r), PZ_STATE (dir).

PZ_STATE=/tmp/pz
PZ_EXTRA=/lib/modules/extra

# Result lines go to the console and, when boot.sh gave us a second serial
# port, to ttyS1 as well: kernel messages never interleave there.
pz_out() {
	echo "$*" >/dev/console
	[ -c /dev/ttyS1 ] && echo "$*" >/dev/ttyS1
	return 0
}

pz_log() {
	echo "pz[${PZ_SCENARIO:-init}]: $*" >/dev/console
}

pz_fail() {
	pz_log "FAIL: $*"
	echo "$*" >>"$PZ_STATE/$PZ_SCENARIO.fail"
	return 1
}

pz_skip() {
	pz_log "SKIP: $*"
	echo "$*" >"$PZ_STATE/$PZ_SCENARIO.skip"
	exit 0
}

pz_expect_eq() {
	[ "$1" = "$2" ] && return 0
	pz_fail "${3:-value}: got '$1', want '$2'"
}

pz_expect_ge() {
	case $1 in '' | *[!0-9-]*) pz_fail "${3:-value}: '$1' is not an integer"; return 1 ;; esac
	[ "$1" -ge "$2" ] && return 0
	pz_fail "${3:-value}: got $1, want >= $2"
}

pz_wait_until() {
	local secs=$1 n=0
	shift
	# 10 polls per second; the count bounds the wait without a clock
	while [ "$n" -lt $((secs * 10)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n + 1))
	done
	"$@" >/dev/null 2>&1
}

pz_bench() {
	pz_out "PZ-BENCH $*"
}

# Absolute path: busybox ash prefers its own (smaller) setpriv applet to PATH.
pz_as_nobody() {
	/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all --no-new-privs -- "$@"
}

pz_meminfo() {
	awk -v k="$1:" '$1 == k { print $2; exit }' /proc/meminfo
}

pz_insmod() {
	local name=$1
	shift
	insmod "$PZ_EXTRA/$name.ko" "$@"
}

# kmod's tools, not busybox applets (which ash runs for bare names): busybox
# insmod retries a failed finit_module() with init_module(), running a
# failing module init twice.
if [ -x /usr/bin/kmod ]; then
	insmod() { /sbin/insmod "$@"; }
	rmmod() { /sbin/rmmod "$@"; }
	lsmod() { /sbin/lsmod "$@"; }
	modinfo() { /sbin/modinfo "$@"; }
fi

# ---- kernel log checks ------------------------------------------------------

PZ_DMESG_BAD='\bBUG\b|\bWARNING\b|Oops|RCU stall|rcu_sched self-detected stall|rcu: INFO|general protection|KASAN|UBSAN|soft lockup|hard LOCKUP|blocked for more than'

# A unique line in the kernel log marks where a scenario begins.
pz_dmesg_mark() {
	PZ_MARK="PZ-MARK $PZ_SCENARIO $$.$(cut -d' ' -f1 /proc/uptime)"
	echo "$PZ_MARK" >"$PZ_STATE/$PZ_SCENARIO.mark"
	echo "<5>$PZ_MARK" >/dev/kmsg
}

pz_dmesg_allow() {
	echo "$1" >>"$PZ_STATE/$PZ_SCENARIO.allow"
}

pz_check_dmesg() {
	local mark log since bad allow=$PZ_STATE/$PZ_SCENARIO.allow
	mark=$(cat "$PZ_STATE/$PZ_SCENARIO.mark" 2>/dev/null)
	log=$(dmesg)
	# Everything after the scenario's mark; the whole buffer if it rotated out.
	if ! since=$(echo "$log" | awk -v m="$mark" 'seen { print }
			m != "" && index($0, m) { seen = 1; n++ }
			END { if (!n) exit 3 }'); then
		since=$log
	fi
	bad=$(echo "$since" | grep -E "$PZ_DMESG_BAD")
	[ -s "$allow" ] && bad=$(echo "$bad" | grep -v -E -f "$allow")
	[ -n "$bad" ] || return 0
	pz_log "kernel log since scenario start:"
	echo "$bad" | head -n 40 >/dev/console
	pz_fail "dmesg: $(echo "$bad" | head -n1 | sed 's/^\[[^]]*\] *//')"
}
