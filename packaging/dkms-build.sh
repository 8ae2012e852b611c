#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# packaging/dkms-build.sh DEBDIR OUTDIR [KERNEL-LINE]: build prezero.ko
# with DKMS from the tree prezero-dkms installs (/usr/src/prezero-VER),
# against the cached Debian kernel headers of KERNEL-LINE (default 6.1,
# tests/vm/kernels.sh fetch), the way dkms does it on a host. Uses private
# DKMS and source trees under OUTDIR: nothing is installed on this machine.
# Checks the module's name and vermagic.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
debdir=${1:?usage: dkms-build.sh DEBDIR OUTDIR [KERNEL-LINE]}
out=$(realpath -m "${2:?usage: dkms-build.sh DEBDIR OUTDIR [KERNEL-LINE]}")
line=${3:-6.1}

deb=$(ls "$debdir"/prezero-dkms_*_all.deb | head -n 1)
kdir=$("$top/tests/vm/kernels.sh" fetch "$line" | tail -n 1)
kver=$(cat "$kdir/kver")
[ -f "$kdir/build/Makefile" ] || { echo "dkms-build: no headers in $kdir/build" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/root" "$out/tree"
dpkg-deb -x "$deb" "$out/root"
src=$(ls -d "$out"/root/usr/src/prezero-*)
ver=${src##*/prezero-}
echo "dkms build prezero/$ver for $kver ($kdir/build)"
dkms build -m prezero -v "$ver" -k "$kver" --kernelsourcedir "$kdir/build" \
	--sourcetree "$out/root/usr/src" --dkmstree "$out/tree"
ko=$out/tree/prezero/$ver/$kver/$(uname -m)/module/prezero.ko
[ -f "$ko" ] || ko=$(find "$out/tree" -name 'prezero.ko*' | head -n 1)
[ -n "$ko" ] && [ -f "$ko" ] || { echo "dkms-build: no prezero.ko" >&2; exit 1; }
vm=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
name=$(modinfo -F name "$ko")
echo "$ko: name $name, vermagic $vm"
[ "$name" = prezero ] && [ "$vm" = "$kver" ] || { echo "dkms-build: wrong module" >&2; exit 1; }
