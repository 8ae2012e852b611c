#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# prezero-hook against the real prezerod with a warm pool on tmpfs (a
# directory under /dev/shm): at "start begin" a pool file lands on the path
# libvirt gives QEMU, owned by qemu.conf's user and group, mode 0600, the
# guest's size and populated; a second start, a memory_backing_dir on
# another filesystem and a guest larger than any pool file are warnings
# and exit 0; "release end" is answered. Skipped (77) while prezerod does
# not know pool-claim.
# pz-timeout: 240
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HOOK=$PZ_BUILD/client/prezero-hook
[ -x "$HOOK" ] || fail "no $HOOK (build the prezero-hook target)"
unset PREZERO_HOOK_DEADLINE_MS PREZERO_HOOK_DEBUG PREZERO_QEMU_CONF

[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || { echo "SKIP: /dev/shm is not a tmpfs"; exit 77; }
SHM=$(mktemp -d /dev/shm/pzt-hook.XXXXXX)
trap 'rm -rf "$SHM"; _cleanup' EXIT
POOL=$SHM/pool
# qemu.conf names BACKING; libvirt keeps its per-domain directories in
# BACKING/libvirt/qemu (qemu_conf.c).
BACKING=$SHM/ram
RAMDIR=$BACKING/libvirt/qemu
mkdir -p "$RAMDIR"
FILE=$((64 << 20))

{
	conf_head
	printf '[pool]\ndir = %s\ntarget = 128M\nfile_size = 64M\nfill_rate = 1G\n' "$POOL"
	printf 'reserve_pct = 0\nhugetlb_overcommit = no\nstate_file = %s/pool.json\n' "$PZ_TMP"
} >"$CONF"
daemon_start

# Does this prezerod have the pool at all?
printf '{"cmd":"pool-claim","node":0,"size":1,"path":"/nonexistent/x"}\n' |
	python3 "$RAWCLIENT" send "$SOCK" >"$OUT" 2>&1
if grep -q '"unknown-command"' "$OUT"; then
	daemon_stop
	echo "SKIP: this prezerod answers pool-claim with unknown-command"
	exit 77
fi

QCONF=$PZ_TMP/qemu.conf
printf 'memory_backing_dir = "%s"\nuser = "+4242"\ngroup = "+4343"\n' "$BACKING" >"$QCONF"
export PREZERO_QEMU_CONF=$QCONF PREZERO_SOCKET=$SOCK PREZERO_HOOK_DEADLINE_MS=5000

# domain NAME ID MIB [NUMA]: a file-backed, shared guest with a VFIO device
domain() {
	local cpu="" numatune=""
	if [ -n "${4:-}" ]; then
		cpu="<cpu><numa><cell id='0' cpus='0' memory='$3' unit='MiB'/></numa></cpu>"
		numatune="<numatune><memnode cellid='0' mode='strict' nodeset='0'/></numatune>"
	fi
	cat <<EOF
<domain type='kvm' id='$2'>
  <name>$1</name>
  <memory unit='MiB'>$3</memory>
  <memoryBacking><source type='file'/><access mode='shared'/></memoryBacking>
  $numatune
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  $cpu
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x06' slot='0x00' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>
EOF
}

ready_files() {
	ctl status --json >/dev/null
	jget "$OUT" 'sum((n["pool"] or {}).get("files", 0) for n in d["nodes"])'
}
pool_full() { [ "$(ready_files)" -ge 2 ]; }
wait_for 90 "two ready pool files" pool_full
say "ok: the pool has $(ready_files) ready files"

# hook ARGS < XML: as libvirt runs it; stderr in $OUT
hook() {
	"$HOOK" "$@" >"$PZ_TMP/stdout" 2>"$OUT"
	RC=$?
	[ ! -s "$PZ_TMP/stdout" ] || fail "the hook printed on stdout"
}

# A guest without NUMA: node "any", the machine's default RAM.
domain claim-vm 5 32 >"$PZ_TMP/vm1.xml"
mkdir "$RAMDIR/5-claim-vm"	# libvirt makes it before "start"
hook claim-vm start begin - <"$PZ_TMP/vm1.xml"
expect_rc 0 "start begin with a pool"
expect_out "claim-vm: claim memory \(32.00 MiB, any node\) to $RAMDIR/5-claim-vm/pc.ram: done" "the claim is logged as done"
F=$RAMDIR/5-claim-vm/pc.ram
[ -f "$F" ] || fail "no file at $F"
expect_eq "$(stat -c '%u:%g %a %s' "$F")" "4242:4343 600 $((32 << 20))" "owner, mode and size of the claimed file"
# every page is there: populated by the pool, not by QEMU
[ "$(( $(stat -c '%b * %B' "$F") ))" -ge $((32 << 20)) ] || fail "the claimed file is not populated: $(stat -c '%b blocks' "$F")"
say "ok: the claimed file is populated"

# A NUMA guest bound to node 0: node 0, ram-node0.
domain numa-vm 6 16 numa >"$PZ_TMP/vm2.xml"
mkdir "$RAMDIR/6-numa-vm"
hook numa-vm start begin - <"$PZ_TMP/vm2.xml"
expect_rc 0 "start begin, NUMA guest"
expect_out "numa-vm: claim cell 0 \(16.00 MiB, node 0\) to $RAMDIR/6-numa-vm/ram-node0: done: node 0" "the cell's claim on node 0"
expect_eq "$(stat -c '%u:%g %a %s' "$RAMDIR/6-numa-vm/ram-node0")" "4242:4343 600 $((16 << 20))" "the cell's file"

# The same start again: the file exists, the daemon refuses, exit 0.
hook claim-vm start begin - <"$PZ_TMP/vm1.xml"
expect_rc 0 "a second start begin"
expect_out "warning: claim-vm: claim memory .*: not done: bad-path" "an existing path is a warning"

# memory_backing_dir on another filesystem than the pool.
mkdir -p "$PZ_TMP/ram/libvirt/qemu/7-other-vm"
printf 'memory_backing_dir = "%s"\nuser = "+4242"\ngroup = "+4343"\n' "$PZ_TMP/ram" >"$PZ_TMP/other.conf"
domain other-vm 7 16 >"$PZ_TMP/vm3.xml"
PREZERO_QEMU_CONF=$PZ_TMP/other.conf hook other-vm start begin - <"$PZ_TMP/vm3.xml"
expect_rc 0 "start begin, memory_backing_dir on another filesystem"
if [ "$(stat -c %d "$PZ_TMP")" != "$(stat -c %d "$SHM")" ]; then
	expect_out "warning: other-vm: claim .*: not done: cross-device" "another filesystem is a warning"
fi
[ ! -e "$PZ_TMP/ram/7-other-vm/pc.ram" ] || fail "a file appeared on the other filesystem"

# Larger than any pool file: pool-empty, exit 0, nothing created.
domain big-vm 8 $(( (FILE >> 20) * 2 )) >"$PZ_TMP/vm4.xml"
mkdir "$RAMDIR/8-big-vm"
hook big-vm start begin - <"$PZ_TMP/vm4.xml"
expect_rc 0 "start begin, larger than any pool file"
expect_out "warning: big-vm: claim .*: not done: pool-empty" "pool-empty is a warning"
[ ! -e "$RAMDIR/8-big-vm/pc.ram" ] || fail "a file appeared for the pool-empty claim"

# The guest stops: libvirt deletes its directory, the hook releases.
rm -rf "$RAMDIR/5-claim-vm" "$RAMDIR/6-numa-vm"
hook claim-vm release end shutdown </dev/null
expect_rc 0 "release end"
expect_out "claim-vm: release: done: the pool refills" "release is answered"
daemon_stop
