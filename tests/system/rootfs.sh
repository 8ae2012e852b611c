#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# The system test's Debian 12 base root file system, made with debootstrap
# and cached. Prints its directory (one line on stdout).
#
# Usage: tests/system/rootfs.sh [--extra "PKG ..."]
#   --extra "PKG ..."   more packages (e.g. the runtime dependencies of the
#                       .debs under test); part of the cache key
#
# Cache: $CACHE/system/base-<key>/ (CACHE=${PREZERO_CACHE:-~/.cache/prezero}),
# key = a hash of the package list and of this script. A complete base has
# a .complete file; older bases are removed when a new one is made.
# The packages come from the mirror and suites the host's own apt sources
# use for bookworm (bookworm, bookworm-updates, bookworm-security), so the
# guest kernel is the one tests/vm/kernels.sh fetches for the 6.1 line.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${PREZERO_CACHE:-$HOME/.cache/prezero}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { printf 'rootfs.sh: %s\n' "$*" >&2; }
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
die() { log "error: $*"; exit 1; }

# What the booted system needs, without Recommends.
PKGS=(
	# boot: systemd as PID 1, udev, the kernel (its postinst makes the
	# initramfs) and its headers for DKMS
	systemd systemd-sysv udev dbus kmod initramfs-tools
	linux-image-amd64 linux-headers-amd64 dkms
	# libvirt with the QEMU driver and QEMU itself
	libvirt-daemon-system libvirt-clients qemu-system-x86
	# the guest test script
	procps jq util-linux
)

extra=""
while (($#)); do
	case $1 in
	--extra) extra=$2; shift 2 ;;
	*) die "unknown argument $1" ;;
	esac
done
read -ra extra_pkgs <<<"$extra"
mapfile -t all < <(printf '%s\n' "${PKGS[@]}" "${extra_pkgs[@]}" | sort -u)

key=$( (printf '%s\n' "${all[@]}"; cat "$0") | sha256sum | cut -c1-16)
base=$CACHE/system/base-$key
if [[ -f $base/.complete ]]; then
	echo "$base"
	exit 0
fi

[[ $(id -u) == 0 ]] || die "making the root file system needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "no debootstrap (scripts/install-deps.sh)"

# kernels.sh runs its main when sourced: take only its URI finder.
eval "$(sed -n '/^system_bookworm_uri() {/,/^}/p' "$here/../vm/kernels.sh")"
uri=$(system_bookworm_uri) || die "no 'bookworm' suite found in the host's apt sources"
sec_uri=${uri%/debian}/debian-security
[[ $uri == */debian ]] || sec_uri=""

mkdir -p "$CACHE/system"
exec 9>"$CACHE/system/.lock"
flock 9
[[ -f $base/.complete ]] && { echo "$base"; exit 0; }

tmp=$base.tmp
mounted=()
cleanup() {
	local m
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		m=${mounted[i]}
		umount -l "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT
rm_tree "$tmp"
mkdir -p "$tmp"
t0=$SECONDS

# No documentation, manuals or translations: smaller and faster to unpack.
mkdir -p "$tmp/etc/dpkg/dpkg.cfg.d"
cat >"$tmp/etc/dpkg/dpkg.cfg.d/01-prezero-nodoc" <<'EOF'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
EOF
echo force-unsafe-io >"$tmp/etc/dpkg/dpkg.cfg.d/02-prezero-unsafe-io"

log "debootstrap bookworm from $uri into $tmp"
debootstrap --variant=minbase --keyring="$KEYRING" bookworm "$tmp" "$uri" \
	>"$CACHE/system/debootstrap.log" 2>&1 ||
	{ tail -n 30 "$CACHE/system/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/system/debootstrap.log)"; }
log "debootstrap done in $((SECONDS - t0)) s"

{
	echo "deb $uri bookworm main"
	echo "deb $uri bookworm-updates main"
	[[ -n $sec_uri ]] && echo "deb $sec_uri bookworm-security main"
} >"$tmp/etc/apt/sources.list"
cat >"$tmp/etc/apt/apt.conf.d/01-prezero" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
# Nothing starts in the chroot.
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 0755 "$tmp/usr/sbin/policy-rc.d"
# A small initramfs: only what finds an ext4 root on virtio-blk.
mkdir -p "$tmp/etc/initramfs-tools/conf.d"
echo MODULES=list >"$tmp/etc/initramfs-tools/conf.d/prezero-systest"
printf '%s\n' virtio_pci virtio_blk ext4 >>"$tmp/etc/initramfs-tools/modules"
cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true

for m in proc sys dev; do
	mount --bind "/$m" "$tmp/$m"
	mounted+=("$tmp/$m")
done
log "installing ${#all[@]} packages and their dependencies"
if ! chroot "$tmp" /bin/sh -c "
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q &&
	apt-get install -y -q ${all[*]} &&
	apt-get clean" >"$CACHE/system/apt.log" 2>&1; then
	tail -n 40 "$CACHE/system/apt.log" >&2
	die "apt-get install in the chroot failed (log: $CACHE/system/apt.log)"
fi
cleanup
mounted=()
rm -f "$tmp/usr/sbin/policy-rc.d" "$tmp/etc/resolv.conf"
rm -rf "$tmp/var/lib/apt/lists"/* "$tmp/var/cache/apt"/*.bin
ls "$tmp"/boot/vmlinuz-* >/dev/null 2>&1 || die "no kernel in $tmp/boot"
ls "$tmp"/boot/initrd.img-* >/dev/null 2>&1 || die "no initramfs in $tmp/boot"
log "base root file system ready in $((SECONDS - t0)) s: $(du -sh "$tmp" | cut -f1)"

# Only the newest base is kept.
for old in "$CACHE/system"/base-*; do
	[[ $old == "$base" || $old == "$tmp" ]] || rm_tree "$old"
done
mv "$tmp" "$base"
touch "$base/.complete"
echo "$base"
