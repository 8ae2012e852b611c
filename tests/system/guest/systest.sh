#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# The system test inside the booted Debian 12 guest, run once by
# prezero-systest.service after boot; powers the guest off when done.
# Kernel command line: prezero.systest=check (the checks) or bench (virsh
# start with the pool against without). Result lines go to the second
# serial port (ttyS1), free of kernel messages:
#   PZ-PASS name | PZ-FAIL name: reason | PZ-BENCH {json} | PZ-DONE
# Details go to the journal and the console (ttyS0).
set -o pipefail

DIR=/usr/local/lib/prezero-systest
CONF=/etc/prezero/prezerod.conf
POOL=/dev/shm/prezero
RAMDIR=/dev/shm/libvirt-ram	# qemu.conf memory_backing_dir (image build)
MIB=512				# the domains' memory, and the pool file size
VM=systest			# its memory is reserved in the pool
COLD=systest-cold		# the same domain without a reservation
ST=/run/systest
mkdir -p "$ST"

# out LINE: a result line (one line: newlines and runs of blanks squeezed)
out() {
	local l
	l=$(printf '%s' "$*" | tr -s '\n\t ' '   ' | cut -c1-1500)
	echo "$l" >/dev/ttyS1
	echo "systest: $l"
}
say() { echo "systest: $*"; }
WHY=""
why() { WHY="$*"; return 1; }

# check NAME FUNC: one test; FUNC sets WHY when it fails
check() {
	WHY=""
	say "--- $1"
	if "$2"; then
		out "PZ-PASS $1"
	else
		out "PZ-FAIL $1: ${WHY:-failed}"
	fi
}

# wait_for SECS CMD...: poll CMD every 0.5 s until it succeeds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 0.5
	done
}

# st: prezeroctl status --json into $ST/st.json; q JQ: query it
st() { prezeroctl status --json >"$ST/st.json" 2>"$ST/st.err"; }
q() { jq -r "$1" "$ST/st.json"; }
pool_bytes() { st && q ".nodes[$1].pool.bytes // 0"; }
claimed() { st && q ".nodes[$1].pool.claimed_bytes // 0"; }
active() { [ "$(systemctl is-active "$1")" = active ]; }

write_conf() {
	cat >"$CONF" <<EOF
# Written by the system test (tests/system/guest/systest.sh).
[daemon]
interval_ms = ${1:-250}
${2:-}
# Under TCG the emulation itself keeps the CPU busy and system-wide cpu
# PSI high: with the defaults (90 %, 20 %) no node would ever be idle.
[policy]
idle_min_pct = 40
psi_cpu_max = 100
[pool]
dir = $POOL
target = 0
file_size = ${MIB}M
fill_rate = 1G
reserve_pct = 1
[node 1]
pool_target = 256M
EOF
}

# ---- the checks -------------------------------------------------------------

c_installed() {
	local p
	for p in prezero prezero-dkms prezero-libvirt-hook; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			{ why "package $p is not installed"; return 1; }
	done
	modinfo -F filename prezero >"$ST/modinfo" 2>&1 || { why "modinfo prezero: $(cat "$ST/modinfo")"; return 1; }
	grep -q "^/lib/modules/$(uname -r)/\|^/usr/lib/modules/$(uname -r)/" "$ST/modinfo" ||
		{ why "prezero.ko is not built for $(uname -r): $(cat "$ST/modinfo")"; return 1; }
	say "module: $(cat "$ST/modinfo"); dkms: $(dkms status -m prezero 2>&1)"
	[ -x /etc/libvirt/hooks/qemu.d/prezero ] || { why "no executable /etc/libvirt/hooks/qemu.d/prezero"; return 1; }
}

c_not_started() {
	local u s
	for u in prezerod.service prezerod.socket; do
		s=$(systemctl is-active "$u")
		[ "$s" != active ] || { why "$u is active right after boot"; return 1; }
		s=$(systemctl is-enabled "$u" 2>&1)
		case $s in enabled*) why "$u is enabled after install ($s)"; return 1 ;; esac
	done
	[ ! -d /sys/module/prezero ] || { why "the prezero module is loaded right after boot"; return 1; }
}

c_start() {
	write_conf 250
	# README, "Installing on a host": starting the service loads the
	# module (the unit's ExecStartPre=); nothing loaded it before.
	systemctl start prezerod || { why "systemctl start prezerod failed"; return 1; }
	[ -d /sys/module/prezero ] || { why "systemctl start prezerod did not load the module"; return 1; }
	active prezerod || { why "prezerod is $(systemctl is-active prezerod)"; return 1; }
	wait_for 30 module_loaded ||
		{ why "prezerod does not see the module: $(q '.module | tostring') $(cat "$ST/st.err")"; return 1; }
	say "$(prezeroctl status)"
}
module_loaded() { st && [ "$(q .module.loaded)" = true ]; }

# scrubbing: a node granted a budget and the module's zeroed bytes growing
zeroed() { st && q '[.nodes[].module.zeroed_bytes // 0] | add'; }
granted() { st && [ "$(q '[.nodes[] | select(.budget_rate > 0)] | length')" -gt 0 ]; }
# Page reporting offers blocks after frees; an idle guest frees little,
# so write and delete a 128 MiB tmpfs file on each try.
churn() { dd if=/dev/zero of=/dev/shm/pz-churn bs=1M count=128 status=none; rm -f /dev/shm/pz-churn; }
grew() { churn; [ "$(zeroed)" -gt "$Z0" ]; }
c_scrubbing() {
	wait_for 240 granted || { why "no node granted a budget in 240 s: $(q '[.nodes[].reason] | join("; ")')"; return 1; }
	Z0=$(zeroed)
	wait_for 240 grew || { why "the module zeroed nothing in 240 s (zeroed_bytes $Z0)"; return 1; }
	say "zeroed $(zeroed) bytes; $(prezeroctl status | head -n 3 | tr '\n' ' ')"
}

# ProtectSystem=strict and friends are in force, yet the pool works.
c_sandbox() {
	local pid mi
	pid=$(systemctl show -p MainPID --value prezerod)
	[ "${pid:-0}" -gt 0 ] || { why "no MainPID"; return 1; }
	mi=/proc/$pid/mountinfo
	awk '$5 == "/" { print $6 }' "$mi" | grep -qw ro || { why "/ is not read-only for prezerod"; return 1; }
	awk '$5 == "/usr" || $5 == "/" { print $6 }' "$mi" | grep -qw ro || { why "/usr is writable for prezerod"; return 1; }
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || { why "NoNewPrivs is not set"; return 1; }
	grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status" || { why "no seccomp filter"; return 1; }
	! nsenter -t "$pid" -m -- touch /etc/prezero/.systest 2>/dev/null ||
		{ why "prezerod's namespace can write /etc"; return 1; }
	[ "$(systemctl show -p ProtectSystem --value prezerod)" = strict ] || { why "ProtectSystem is not strict"; return 1; }
	active prezerod || { why "prezerod is not active"; return 1; }
}

c_pool_conf() {
	wait_for 120 node1_full || { why "node 1's pool (pool_target 256M) did not fill: $(cat "$ST/st.json")"; return 1; }
	[ "$(q .pool.fs)" = tmpfs ] || { why "pool fs is $(q .pool.fs)"; return 1; }
}
node1_full() { [ "$(pool_bytes 1)" -ge $((256 << 20)) ]; }

config_interval() {
	prezeroctl config show --json >"$ST/cfg.json" &&
		[ "$(jq -r .config.daemon.interval_ms "$ST/cfg.json")" = "$1" ]
}

c_reload() {
	write_conf 300
	systemctl reload prezerod || { why "systemctl reload failed"; return 1; }
	wait_for 10 config_interval 300 || { why "interval_ms is not 300 after the reload"; return 1; }
	active prezerod || { why "prezerod is not active after the reload"; return 1; }
}

c_reload_bad() {
	local since line
	since=$(date '+%Y-%m-%d %H:%M:%S')
	write_conf 400 "idle_min_pct = 250"
	line=$(grep -n '^idle_min_pct' "$CONF" | cut -d: -f1)
	sleep 1
	systemctl reload prezerod || { why "systemctl reload with a bad file failed"; return 1; }
	journal_says() { journalctl -u prezerod --since "$since" | grep -q "$CONF:$line: "; }
	wait_for 15 journal_says || { why "no '$CONF:$line:' in the journal"; return 1; }
	active prezerod || { why "prezerod is $(systemctl is-active prezerod) after a bad reload"; return 1; }
	config_interval 300 || { why "the bad file's interval_ms took effect"; return 1; }
	prezeroctl reload >"$ST/reload.out" 2>&1 && { why "prezeroctl reload with a bad file exited 0"; return 1; }
	grep -q "$CONF:$line: " "$ST/reload.out" || { why "prezeroctl reload: $(cat "$ST/reload.out")"; return 1; }
	write_conf 250
	systemctl reload prezerod && wait_for 10 config_interval 250 || { why "a good file after a bad one"; return 1; }
}

# The host's emulated e1000e (8086:10d3): sets PCI (0000:00:02.0 form)
find_e1000e() {
	local d
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x8086:0x10d3 ]; then
			PCI=${d##*/}
			return 0
		fi
	done
	return 1
}

# define NAME: the domain from domain.xml with the e1000e as hostdev
define() {
	local dom=${PCI%%:*} rest=${PCI#*:} bus slot fn
	bus=${rest%%:*}
	rest=${rest#*:}
	slot=${rest%%.*}
	fn=${rest#*.}
	sed -e "s/@NAME@/$1/" -e "s/@MIB@/$MIB/" -e "s/@DOM@/$dom/" -e "s/@BUS@/$bus/" \
		-e "s/@SLOT@/$slot/" -e "s/@FN@/$fn/" "$DIR/domain.xml" >"$ST/$1.xml"
	virsh -q define "$ST/$1.xml" >/dev/null
}

reserved_ready() {
	st && [ "$(q "[.pool.reservations[] | select(.for == \"$VM\") | .state] | first")" = ready ]
}

c_domains() {
	find_e1000e || { why "no e1000e (8086:10d3) on the PCI bus"; return 1; }
	[ -e "/sys/bus/pci/devices/$PCI/iommu_group" ] || { why "$PCI has no IOMMU group"; return 1; }
	define "$VM" || { why "virsh define $VM failed"; return 1; }
	define "$COLD" || { why "virsh define $COLD failed"; return 1; }
	prezeroctl vm reserve --node 0 --size "${MIB}M" --for "$VM" >"$ST/resv.out" 2>&1 ||
		{ why "prezeroctl vm reserve: $(cat "$ST/resv.out")"; return 1; }
	wait_for 120 reserved_ready || { why "the reservation for $VM is not ready: $(cat "$ST/st.json")"; return 1; }
}

qemu_pid() { cat "/run/libvirt/qemu/$1.pid" 2>/dev/null; }
# mem_path NAME: the mem-path of QEMU's memory-backend-file
mem_path() {
	tr '\0' '\n' <"/proc/$(qemu_pid "$1")/cmdline" |
		grep -o -E '"mem-path":"[^"]*"|mem-path=[^,]*' | head -n 1 |
		sed -E 's/^"mem-path":"(.*)"$/\1/; s/^mem-path=//'
}

# What the hook would do with the running domain's XML, and what prezerod
# logged: the details of a claim that did not happen.
claim_diag() {
	say "hook plan: $(virsh dumpxml "$VM" | PREZERO_HOOK_DEBUG=1 \
		/etc/libvirt/hooks/qemu.d/prezero --plan "$VM" start begin - 2>&1)"
	say "prezerod's log: $(journalctl -u prezerod --since "$1" --no-pager -q | tail -n 20)"
	say "libvirtd's log: $(journalctl -u libvirtd --since "$1" --no-pager -q | tail -n 20)"
	say "hooks libvirt ran: $(cat /run/systest-hooks.log 2>&1)"
	# the same claim by hand into a directory made as libvirt makes it
	install -d -m 0700 -o libvirt-qemu -g libvirt-qemu "$RAMDIR/libvirt/qemu/99-$VM"
	say "the hook by hand: $(virsh dumpxml "$VM" | sed "s/<domain type='qemu' id='[0-9]*'/<domain type='qemu' id='99'/" |
		/etc/libvirt/hooks/qemu.d/prezero "$VM" start begin - 2>&1)"
	rm -rf "$RAMDIR/libvirt/qemu/99-$VM"
}

c_start_pool() {
	local b0 c0 b1 c1 path since
	since=$(date '+%Y-%m-%d %H:%M:%S')
	b0=$(pool_bytes 0) c0=$(claimed 0)
	[ "$b0" -ge $((MIB << 20)) ] || { why "node 0's pool holds $b0 bytes before the start"; return 1; }
	virsh start --paused "$VM" >"$ST/start.out" 2>&1 || { why "virsh start --paused: $(cat "$ST/start.out")"; return 1; }
	[ "$(virsh domstate "$VM")" = paused ] || { why "$VM is $(virsh domstate "$VM")"; return 1; }
	b1=$(pool_bytes 0) c1=$(claimed 0)
	say "node 0 pool: $b0 -> $b1 bytes ready, claimed $c0 -> $c1"
	[ "$c1" != "$c0" ] || claim_diag "$since"
	tr '\0' ' ' <"/proc/$(qemu_pid "$VM")/cmdline" >"$ST/qemu.cmdline"
	say "QEMU: $(cat "$ST/qemu.cmdline")"
	grep -q 'memory-backend-file' "$ST/qemu.cmdline" || { why "no memory-backend-file on QEMU's command line"; return 1; }
	path=$(mem_path "$VM")
	[[ $path == "$RAMDIR"/*-"$VM"/* ]] || { why "mem-path '$path' is not under $RAMDIR/ID-$VM/"; return 1; }
	[ -f "$path" ] || { why "no file at the mem-path $path"; return 1; }
	[ "$(stat -c '%U %s' "$path")" = "libvirt-qemu $((MIB << 20))" ] ||
		{ why "mem-path file: $(stat -c '%U %s' "$path")"; return 1; }
	[ $(($(stat -c '%b * %B' "$path"))) -ge $((MIB << 20)) ] || { why "the mem-path file is not populated"; return 1; }
	[ $((b0 - b1)) -eq $((MIB << 20)) ] || { why "node 0's pool went $b0 -> $b1, not down by ${MIB} MiB"; return 1; }
	[ $((c1 - c0)) -eq $((MIB << 20)) ] || { why "claimed_bytes went $c0 -> $c1"; return 1; }
	readlink "/sys/bus/pci/devices/$PCI/driver" | grep -q '/vfio-pci$' ||
		{ why "$PCI is not bound to vfio-pci"; return 1; }
}

refilled() { [ "$(pool_bytes 0)" -ge $((MIB << 20)) ] && reserved_ready; }
c_destroy_refill() {
	# the pool must be short first, or there is nothing to see
	[ "$(pool_bytes 0)" -lt $((MIB << 20)) ] ||
		{ why "node 0's pool is full before the destroy: the start claimed nothing"; return 1; }
	virsh destroy "$VM" >"$ST/destroy.out" 2>&1 || { why "virsh destroy: $(cat "$ST/destroy.out")"; return 1; }
	wait_for 120 refilled || { why "node 0's pool did not refill: $(cat "$ST/st.json")"; return 1; }
}

c_fail_open() {
	virsh destroy "$VM" >/dev/null 2>&1	# left running by a failed check
	systemctl stop prezerod.socket prezerod || { why "systemctl stop failed"; return 1; }
	active prezerod && { why "prezerod still active"; return 1; }
	virsh start --paused "$VM" >"$ST/start.out" 2>&1 || { why "virsh start without prezerod: $(cat "$ST/start.out")"; return 1; }
	[ "$(virsh domstate "$VM")" = paused ] || { why "$VM is $(virsh domstate "$VM") without prezerod"; return 1; }
	virsh destroy "$VM" >/dev/null 2>&1 || { why "virsh destroy failed"; return 1; }
}

# Without the daemon prezeroctl status shows the module's own numbers.
c_stop_budgets() {
	local n
	active prezerod && systemctl stop prezerod
	[ -d /sys/module/prezero ] || { why "the module is not loaded after stop (cannot read budgets)"; return 1; }
	st || { why "prezeroctl status --json: $(cat "$ST/st.err")"; return 1; }
	n=$(q '[.. | objects | select(has("budget_rate")) | .budget_rate] | length')
	[ "$n" -gt 0 ] || { why "no budget_rate in: $(cat "$ST/st.json")"; return 1; }
	[ "$(q '[.. | objects | select(has("budget_rate")) | .budget_rate] | max')" = 0 ] ||
		{ why "budgets left after stop: $(cat "$ST/st.json")"; return 1; }
}

# The kernel log since the test began (boot-time topology warnings of the
# emulated NUMA layout are not ours) has no BUG, WARNING, Oops or stall.
BAD='\bBUG\b|\bWARNING\b|Oops|RCU stall|rcu_sched self-detected stall|rcu: INFO|general protection|soft lockup|hard LOCKUP|blocked for more than'
DMESG0=$(dmesg | wc -l)
c_dmesg() {
	dmesg | tail -n +"$((DMESG0 + 1))" >"$ST/dmesg"
	! grep -E "$BAD" "$ST/dmesg" >"$ST/dmesg.bad" || { why "kernel log: $(head -n 5 "$ST/dmesg.bad")"; return 1; }
}

checks() {
	check packages-installed c_installed
	check not-started-by-install c_not_started
	check start-module-loaded c_start
	check scrubbing c_scrubbing
	check unit-sandbox c_sandbox
	check pool-from-config c_pool_conf
	check reload c_reload
	check reload-bad-config c_reload_bad
	check define-reserve c_domains
	check start-claims-pool-file c_start_pool
	check destroy-refills-pool c_destroy_refill
	check fail-open-without-prezerod c_fail_open
	check stop-budgets-zero c_stop_budgets
	check kernel-log-clean c_dmesg
}

# ---- the bench ----------------------------------------------------------------

# start_time NAME: seconds virsh start --paused takes (then destroyed)
start_time() {
	local t0 t1
	t0=$(date +%s.%N)
	virsh start --paused "$1" >"$ST/start.out" 2>&1 || { say "start $1: $(cat "$ST/start.out")"; return 1; }
	t1=$(date +%s.%N)
	virsh destroy "$1" >/dev/null 2>&1 || return 1
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

bench() {
	local rounds=${ROUNDS:-5} r v order cold=() pool=() t ok=1
	write_conf 250
	systemctl start prezerod && wait_for 60 module_loaded || { out "PZ-FAIL bench-setup: prezerod"; return; }
	WHY=""
	c_domains || { out "PZ-FAIL bench-setup: $WHY"; return; }
	# a first start of each warms libvirt's and QEMU's caches
	start_time "$COLD" >/dev/null && wait_for 120 refilled || ok=0
	for ((r = 0; r < rounds && ok; r++)); do
		# alternate the order so neither variant always goes first
		order="pool cold"
		((r % 2)) && order="cold pool"
		for v in $order; do
			wait_for 120 refilled || { ok=0; break; }
			if [ "$v" = pool ]; then
				t=$(start_time "$VM") && pool+=("$t") || ok=0
			else
				t=$(start_time "$COLD") && cold+=("$t") || ok=0
			fi
			say "round $r $v: ${t}s"
		done
	done
	if ((!ok)); then
		out "PZ-FAIL bench: a start failed"
		return
	fi
	local c p
	c=$(median "${cold[@]}") p=$(median "${pool[@]}")
	out "PZ-BENCH $(jq -cn --argjson c "$c" --argjson p "$p" \
		--arg cl "${cold[*]}" --arg pl "${pool[*]}" --argjson mib "$MIB" \
		--arg k "$(uname -r)" --argjson r "$rounds" \
		'{what: "virsh-start", kernel: $k, vm_mib: $mib, rounds: $r,
		  cold_s: $c, pool_s: $p, cold_over_pool: (if $p > 0 then $c / $p else null end),
		  cold_runs_s: ($cl | split(" ") | map(tonumber)),
		  pool_runs_s: ($pl | split(" ") | map(tonumber))}')"
	out "PZ-PASS bench-virsh-start"
	check kernel-log-clean c_dmesg
}

# Whatever happens, the guest powers off (the host waits for it).
finished=0
finish() {
	((finished)) || out "PZ-FAIL systest: the script ended early"
	out "PZ-DONE"
	systemctl --no-block poweroff
}
trap finish EXIT

mode=$(sed -n 's/.*prezero\.systest=\([a-z]*\).*/\1/p' /proc/cmdline)
say "mode ${mode:-check} on $(uname -r)"
case ${mode:-check} in
bench) bench ;;
*) checks ;;
esac
finished=1
