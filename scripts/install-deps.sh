#!/bin/bash
# Install the Debian 12 packages that building and testing prezero need.
# Idempotent and quiet when everything is there; needs root to install.
set -euo pipefail

pkgs=(
	# userspace build
	build-essential cmake pkg-config libnl-3-dev libnl-genl-3-dev
	# out-of-tree module builds (Debian kernels: gcc-12; 6.12 BTF: pahole)
	gcc-12 make pahole
	libjson-c-dev check valgrind
	# prezero-hook: libvirt domain XML
	libxml2-dev
	# prezerod: sd-event, NUMA topology, its config file parser
	libsystemd-dev libnuma-dev libinih-dev
	# tests/daemon: systemd-socket-activate, systemd-analyze, strace
	systemd strace
	# proto/ynl-gen.py
	python3 python3-yaml
	# the VM bench: kernels are fetched with apt into a cache, not installed
	apt dpkg qemu-system-x86 busybox-static kmod cpio util-linux xz-utils
	# checkpatch.pl ships in the kernel source tarball
	linux-source-6.1 perl
	# prezerod's Xen dom0 support (libxl, xenstore, foreign mapping) and
	# the Xen test's pz-xenverify; tests/xen/xen.sh fetches the hypervisor
	# and the toolstack into its cache with apt-get download (apt, dpkg,
	# qemu-system-x86, busybox-static, cpio and kmod above do the rest)
	libxen-dev
	# packaging/: Debian packages, DKMS, the rpm spec, lintian
	dpkg-dev debhelper dh-dkms dkms lintian rpm fakeroot
	# the system test: a debootstrap'ed Debian 12 root file system image
	# (mkfs.ext4 -d), overlayfs and chroot
	debootstrap debian-archive-keyring e2fsprogs
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run this as root" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
