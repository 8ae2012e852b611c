#!/usr/bin/env bash
# Fetch Debian's Xen 4.17 (hypervisor, toolstack, xenstore tools and their
# runtime libraries) into a private cache with `apt-get download` + `dpkg -x`.
# Nothing is installed on the host: the hypervisor only ever runs inside QEMU.
#
# Usage:
#   tests/xen/xen.sh fetch [--refresh]
#       Prints the Xen directory (one line on stdout). Cached after the first
#       fetch: later calls print at once, without apt or the network.
#
# Xen directory $CACHE/xen/<VERSION>/ (CACHE=${PREZERO_CACHE:-~/.cache/prezero}):
#   xen       the hypervisor as an ELF image for QEMU -kernel (from xen-*.gz)
#   root/     dpkg -x of the packages: root/usr/lib/xen-4.17/bin/{xl,...},
#             root/usr/lib/x86_64-linux-gnu/libxen*.so.*, root/usr/bin/xenstore
#   version   the package version
# Other cache entries: xen/debs/<VERSION>/*.deb, xen/current -> <VERSION>.
set -euo pipefail

CACHE=${PREZERO_CACHE:-$HOME/.cache/prezero}
XENLINE=4.17
# The toolstack and what it links that a bare dom0 lacks (libxenmisc holds
# libxenlight, libxenctrl, libxenguest; xl also needs libyajl). libc, zlib,
# liblzma, libzstd, libuuid, libext2fs and ncurses come from the host.
PKGS=("xen-hypervisor-$XENLINE-amd64" "xen-utils-$XENLINE" xenstore-utils
	"libxenmisc$XENLINE" libxencall1 libxendevicemodel1 libxenevtchn1
	libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4
	libxentoolcore1 libxentoollog1 libyajl2)
APT_OPTS=(-o APT::Sandbox::User=root)

log() { printf 'xen.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

candidate() {
	apt-cache "${APT_OPTS[@]}" policy "$1" 2>/dev/null |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

unpack() {
	local dir=$1 debdir=$2 deb gz
	rm -rf "$dir"
	mkdir -p "$dir/root"
	for deb in "$debdir"/*.deb; do
		dpkg -x "$deb" "$dir/root"
	done
	gz=$dir/root/boot/xen-$XENLINE-amd64.gz
	[[ -f $gz ]] || die "no hypervisor image $gz in the package"
	# QEMU's -kernel takes the multiboot ELF, not the gzip.
	zcat "$gz" >"$dir/xen"
	[[ $(head -c 4 "$dir/xen" | od -An -c | tr -d ' ') == '177ELF' ]] ||
		die "$dir/xen is not an ELF image"
	for b in xl xenstored xen-init-dom0 xenconsoled; do
		[[ -x $dir/root/usr/lib/xen-$XENLINE/bin/$b ]] || die "no $b in xen-utils-$XENLINE"
	done
}

fetch() {
	local refresh=0
	[[ ${1:-} == --refresh ]] && refresh=1
	local link=$CACHE/xen/current
	if ((!refresh)) && [[ -f $link/.complete ]]; then
		(cd "$link" && pwd -P)
		return 0
	fi
	mkdir -p "$CACHE/xen"
	exec 9>"$CACHE/xen/.lock"
	flock 9
	local ver
	ver=$(candidate "xen-hypervisor-$XENLINE-amd64")
	[[ -n $ver ]] || die "apt knows no xen-hypervisor-$XENLINE-amd64 (run apt-get update?)"
	local dir=$CACHE/xen/$ver debdir=$CACHE/xen/debs/$ver
	if [[ ! -f $dir/.complete ]]; then
		log "fetching Xen $ver: ${PKGS[*]}"
		mkdir -p "$debdir"
		rm -f "$debdir"/*.deb
		local out
		# Each package at its own candidate: libyajl2 is not versioned like Xen.
		if ! out=$(cd "$debdir" && apt-get "${APT_OPTS[@]}" download "${PKGS[@]}" 2>&1); then
			printf '%s\n' "$out" >&2
			die "apt-get download failed"
		fi
		unpack "$dir" "$debdir"
		echo "$ver" >"$dir/version"
		touch "$dir/.complete"
	fi
	ln -sfn "$ver" "$link"
	echo "$dir"
}

case ${1:-} in
fetch) shift; fetch "$@" ;;
*) usage ;;
esac
