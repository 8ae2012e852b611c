#!/usr/bin/env bash
# Build the initramfs images of the Xen test: the guests' and dom0's.
# Both are tests/vm/initramfs.sh images (busybox, lib.sh, ldd-copied
# programs) with a Xen-specific /init.
#
# Usage:
#   tests/xen/initramfs.sh domu OUT XENDIR KDIR
#       Guest image: tests/xen/domu/init, the xenstore tools.
#   tests/xen/initramfs.sh dom0 OUT XENDIR KDIR DOMU [--bin PATH]... [--script PATH]...
#       Dom0 image: tests/xen/dom0/init, xenstored, xen-init-dom0,
#       xenconsoled, xl (+ libgcc_s), the xenstore tools, the dom0 modules,
#       KDIR/vmlinuz as /boot/vmlinuz and DOMU as /boot/domu.cpio.gz (the
#       guests' kernel and initramfs), programs (--bin, to /usr/bin) and
#       scenarios (--script, to /lib/prezero/tests/).
# XENDIR is tests/xen/xen.sh's directory, KDIR tests/vm/kernels.sh's.
# Xen programs keep their Debian paths (/usr/lib/xen-4.17/bin); their
# libraries come from XENDIR/root, not from the host.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vm=$here/../vm
trap 'log "failed: line $LINENO: $BASH_COMMAND"' ERR
log() { printf 'xen/initramfs.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

(($# >= 4)) || usage
kind=$1 out=$2 xdir=$3 kdir=$4
shift 4
xroot=$xdir/root
xbin=$xroot/usr/lib/xen-4.17/bin
xlib=$xroot/usr/lib/x86_64-linux-gnu
[[ -d $xbin && -d $xlib ]] || die "$xdir is not a Xen dir from xen.sh"

files=()
declare -A have=()

add_file() { # SRC DST, once per DST
	[[ -n ${have[$2]:-} ]] && return
	have[$2]=1
	files+=(--file "$1:$2")
}

# xen_bin SRC DST: a Xen program and its libraries, resolved in XENDIR first.
xen_bin() {
	local src=$1 dst=$2 name path
	[[ -x $src ]] || die "not an executable: $src"
	add_file "$src" "$dst"
	while read -r name path; do
		if [[ $path == "$xroot"/* ]]; then
			add_file "$path" "/usr/lib/x86_64-linux-gnu/$name"
		else
			add_file "$path" "$path"
		fi
	done < <(LD_LIBRARY_PATH=$xlib ldd "$src" |
		awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 } $1 ~ /^\// { print $1, $1 }')
}

xenstore_tools() {
	local t
	for t in read write ls list rm exists chmod watch; do
		xen_bin "$xroot/usr/bin/xenstore" "/usr/bin/xenstore-$t"
	done
}

case $kind in
domu)
	(($# == 0)) || usage
	xenstore_tools
	files+=(--file "$here/domu/init:/init")
	"$vm/initramfs.sh" "${files[@]}" "$out" "$kdir"
	;;
dom0)
	(($# >= 1)) || usage
	domu=$1
	shift
	[[ -f $domu ]] || die "no guest initramfs $domu"
	extra=()
	while (($#)); do
		case $1 in
		--bin | --script) extra+=("$1" "$2"); shift 2 ;;
		*) die "unknown argument $1" ;;
		esac
	done
	for b in xl xenstored xen-init-dom0 xenconsoled xenconsole; do
		xen_bin "$xbin/$b" "/usr/lib/xen-4.17/bin/$b"
	done
	xenstore_tools
	# xl's threads need libgcc_s at pthread_cancel/exit; ldd does not list it.
	# (awk reads to the end: an early exit would SIGPIPE ldconfig under pipefail)
	gcc_s=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ && !n++ { print $NF }')
	[[ -n $gcc_s ]] || die "libgcc_s.so.1 not found on the host"
	files+=(--file "$gcc_s:/usr/lib/x86_64-linux-gnu/libgcc_s.so.1")
	files+=(--file "$here/dom0/init:/init")
	files+=(--file "$kdir/vmlinuz:/boot/vmlinuz" --file "$domu:/boot/domu.cpio.gz")
	# Helpers the scenarios source.
	for f in "$here"/dom0/*.sh; do
		case $(basename "$f") in
		x-* | b-*) ;;
		*) extra+=(--script "$f") ;;
		esac
	done
	"$vm/initramfs.sh" --kmod-name "xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc" \
		"${files[@]}" "${extra[@]}" "$out" "$kdir"
	;;
*) usage ;;
esac
