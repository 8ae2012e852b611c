#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# The system test: prezero's Debian packages installed in a Debian 12 root
# file system, booted with systemd under QEMU TCG next to real libvirt.
#
# Usage: tests/system/run.sh [options]
#   --build-dir DIR     build tree (default: build); work files go to
#                       DIR/system/
#   --debs DIR          install the .debs in DIR (default: build them with
#                       packaging/build-deb.sh into DIR/system/debs)
#   --mode MODE         check (default): the checks; bench: virsh start
#                       with the warm pool against without
#   --bench-out FILE    bench mode: where the result goes
#                       (default DIR/bench/virsh-start.json)
#   --timeout SECS      hard limit of the boot (default 1200)
#   --console           show the guest's console live
#   --keep-logs DIR     also copy the logs into DIR
# Steps: the cached base root file system (rootfs.sh, debootstrap), an
# overlay on it with the .debs installed by dpkg in a chroot (DKMS builds
# prezero.ko for the guest's kernel there) and the test installed, an ext4
# image of that (mkfs.ext4 -d: no loop device), a boot of it with the
# emulated IOMMU and an e1000e for VFIO, 2 NUMA nodes. The guest runs
# guest/systest.sh (prezero-systest.service) and powers off.
# Prints `PASS|FAIL name[: reason]` per check, then `N passed, M failed`;
# exits 1 on any failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

log() { printf 'system: %s\n' "$*" >&2; }
# rm_tree DIR: remove DIR, after unmounting whatever a killed earlier run
# left mounted under it (never follow a bind mount of /dev or /proc).
rm_tree() {
	local m
	[[ -e $1 ]] || return 0
	for m in $(awk -v d="$(realpath "$1")" 'index($2, d "/") == 1 || $2 == d { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf --one-file-system "$1"
}
die() { log "error: $*"; echo "0 passed, 1 failed"; exit 1; }
usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

build="" debs="" mode=check bench_out="" timeout=1200 console=0 keep=""
while (($#)); do
	case $1 in
	--build-dir) build=$2; shift 2 ;;
	--debs) debs=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--bench-out) bench_out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--console) console=1; shift ;;
	--keep-logs) keep=$2; shift 2 ;;
	-h | --help) usage ;;
	*) log "unknown argument $1"; usage ;;
	esac
done
case $mode in check | bench) ;; *) die "--mode wants check or bench" ;; esac
[[ $timeout =~ ^[0-9]+$ ]] || die "--timeout wants seconds"
[[ $(id -u) == 0 ]] || die "the system test needs root (debootstrap, chroot, mounts)"
build=$(realpath -m "${build:-$repo/build}")
work=$build/system
bench_out=$(realpath -m "${bench_out:-$build/bench/virsh-start.json}")
mkdir -p "$work"
t_start=$SECONDS

# ---- the packages -------------------------------------------------------------

if [[ -z $debs ]]; then
	debs=$work/debs
	log "building the .debs (packaging/build-deb.sh)"
	"$repo/packaging/build-deb.sh" "$debs" >/dev/null || die "building the .debs failed"
fi
debs=$(realpath "$debs")
mapfile -t debfiles < <(ls "$debs"/prezero*.deb 2>/dev/null | grep -v -- '-dbgsym_')
((${#debfiles[@]})) || die "no prezero*.deb in $debs"
log "packages: ${debfiles[*]##*/} ($((SECONDS - t_start)) s)"

# Their dependencies go into the cached base, so the install needs no network.
ours=" $(for d in "${debfiles[@]}"; do dpkg-deb -f "$d" Package; done | tr '\n' ' ') "
extra=$(for d in "${debfiles[@]}"; do dpkg-deb -f "$d" Depends; done |
	tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' | sort -u |
	while read -r p; do
		if [[ -n $p && $ours != *" $p "* ]]; then echo "$p"; fi
	done | tr '\n' ' ')

base=$("$here/rootfs.sh" --extra "$extra") || die "no base root file system"
log "base: $base ($((SECONDS - t_start)) s)"

# ---- the image ------------------------------------------------------------------

run=$work/run
mounts=()
umount_all() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null || true
	done
	mounts=()
}
trap umount_all EXIT
rm_tree "$run"
mkdir -p "$run/upper" "$run/ovl-work" "$run/root"
root=$run/root
if mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/ovl-work" \
	"$root" 2>/dev/null; then
	mounts+=("$root")
else
	log "no overlayfs here: copying the base"
	cp -a "$base/." "$root/"
fi

nbase=${#mounts[@]}	# the overlay stays mounted until mkfs read it
for m in proc sys dev; do
	mount --bind "/$m" "$root/$m"
	mounts+=("$root/$m")
done
mkdir -p "$root/tmp/debs"
cp "${debfiles[@]}" "$root/tmp/debs/"
log "installing the packages in the guest's root (dpkg -i; DKMS builds the module)"
if ! chroot "$root" /bin/sh -c 'DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/debs/*.deb' \
	>"$work/dpkg.log" 2>&1; then
	tail -n 40 "$work/dpkg.log" >&2
	die "dpkg -i in the guest's root failed (log: $work/dpkg.log)"
fi
rm -rf "$root/tmp/debs"
kver=$(cd "$root/lib/modules" && ls -d [0-9]* | sort -V | tail -n 1)
ko=$(find "$root/lib/modules/$kver" -name 'prezero.ko*' | head -n 1)
[[ -n $ko ]] || { tail -n 40 "$work/dpkg.log" >&2; die "DKMS built no prezero.ko for $kver (log: $work/dpkg.log)"; }
log "installed; module ${ko#"$root"} ($((SECONDS - t_start)) s)"

# The test and what a real host's admin configures before: libvirt's
# memory directory on the pool's tmpfs (hooks and qemu.conf are read when
# libvirtd starts, which is at the first virsh call).
g=$root/usr/local/lib/prezero-systest
mkdir -p "$g"
install -m 0755 "$here/guest/systest.sh" "$g/"
install -m 0644 "$here/guest/domain.xml" "$g/"
install -m 0644 "$here/guest/prezero-systest.service" "$root/etc/systemd/system/"
ln -sf ../prezero-systest.service "$root/etc/systemd/system/multi-user.target.wants/"
printf '\n# prezero system test: on the warm pool'"'"'s tmpfs\nmemory_backing_dir = "/dev/shm/libvirt-ram"\n' \
	>>"$root/etc/libvirt/qemu.conf"
# A hook that logs what libvirtd runs (the hooks' output goes nowhere).
printf '#!/bin/sh\necho "$(date +%%T.%%N) $*" >>/run/systest-hooks.log\ncat >/dev/null\n' \
	>"$root/etc/libvirt/hooks/qemu.d/00-systest-log"
chmod 0755 "$root/etc/libvirt/hooks/qemu.d/00-systest-log"
# No dnsmasq here: the default network would fail to start.
rm -f "$root/etc/libvirt/qemu/networks/autostart/default.xml"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
echo systest >"$root/etc/hostname"
# Nothing to wait for: no network, no clock.
ln -sf /dev/null "$root/etc/systemd/system/systemd-networkd-wait-online.service"
cp "$root/boot/vmlinuz-$kver" "$run/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$run/initrd"
chmod 0644 "$run/vmlinuz" "$run/initrd"
for ((i = ${#mounts[@]} - 1; i >= nbase; i--)); do umount "${mounts[i]}"; done
mounts=("${mounts[@]:0:nbase}")

# Image: the files plus room for logs and the guest's writes.
mib=$(($(du -sm "$root" | cut -f1) + 1024))
mkfs.ext4 -q -F -L systest -d "$root" "$run/disk.img" "${mib}M" >"$work/mkfs.log" 2>&1 ||
	{ cat "$work/mkfs.log" >&2; die "mkfs.ext4 -d failed"; }
umount_all
rm_tree "$run/upper"; rm_tree "$run/ovl-work"; rm_tree "$root"
log "image $run/disk.img (${mib} MiB, kernel $kver) ($((SECONDS - t_start)) s)"

# ---- the boot ---------------------------------------------------------------------

con=$work/console.log res=$work/results.log
boot=("$repo/tests/vm/boot.sh" --kernel "$run/vmlinuz" --initrd "$run/initrd"
	--log "$con" --pz-log "$res" --mem 4096 --smp 2 --numa 2 --timeout "$timeout"
	--append "root=/dev/vda rw intel_iommu=on prezero.systest=$mode systemd.show_status=0"
	--qemu-args "-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on"
	--qemu-args "-device e1000e,romfile= -nic none"
	--qemu-arg -drive --qemu-arg "file=$run/disk.img,format=raw,if=virtio,cache=unsafe")
((console)) && boot+=(--console)
log "booting ($mode; timeout ${timeout}s; console: $con)"
t_boot=$SECONDS
rc=0
"${boot[@]}" || rc=$?
log "guest ran $((SECONDS - t_boot)) s (exit $rc); total $((SECONDS - t_start)) s"
if [[ -n $keep ]]; then
	mkdir -p "$keep"
	cp "$con" "$res" "$work/dpkg.log" "$keep/" 2>/dev/null || true
fi

# ---- the results ------------------------------------------------------------------

passed=0 failed=0
while IFS= read -r line; do
	line=${line%$'\r'}
	case $line in
	"PZ-PASS "*) echo "PASS ${line#PZ-PASS }"; passed=$((passed + 1)) ;;
	"PZ-FAIL "*) echo "FAIL ${line#PZ-FAIL }"; failed=$((failed + 1)) ;;
	"PZ-BENCH "*)
		mkdir -p "$(dirname "$bench_out")"
		printf '[%s]\n' "${line#PZ-BENCH }" >"$bench_out"
		log "bench: $bench_out: ${line#PZ-BENCH }"
		;;
	esac
done <"$res"
if ! grep -q '^PZ-DONE' "$res"; then
	echo "FAIL guest-finished: the guest did not finish (exit $rc; console: $con)"
	tail -n 30 "$con" | sed 's/^/    /'
	failed=$((failed + 1))
fi
if [[ $mode == bench ]] && ! grep -q '^PZ-BENCH ' "$res"; then
	echo "FAIL bench-result: no PZ-BENCH line"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
((failed == 0))
