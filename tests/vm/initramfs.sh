#!/usr/bin/env bash
# Build the busybox initramfs for one bench guest.
#
# Usage: tests/vm/initramfs.sh [options] OUT.cpio.gz KDIR [BIN...]
#   KDIR              kernel dir from kernels.sh (uses KDIR/kver, KDIR/modules)
#   BIN...            same as --bin
#   --bin PATH        host program -> /usr/bin/<name>, with its ldd libraries
#                     and the dynamic loader at their host paths (repeatable)
#   --bin-dir DIR     every executable regular file in DIR, as --bin
#   --ko PATH         module -> /lib/modules/extra/<name>.ko (not loaded;
#                     scenarios insmod it). .ko.xz/.ko.gz are decompressed.
#   --kmod-name NAME  in-tree module of KDIR and its dependencies (modprobe
#                     --show-depends order) -> /lib/modules/intree/, loaded
#                     by /init at boot. Space/comma lists are accepted.
#                     Asking for any virtio_* driver adds the virtio_pci
#                     transport too (a module on 6.1, built in on 6.12).
#   --script PATH     scenario -> /lib/prezero/tests/<name>.sh (repeatable)
#   --file SRC:DST    any host file at DST in the guest (repeatable)
# Always included: static busybox + applet links, /init (guest/init),
# /lib/prezero/lib.sh, /lib/prezero/kver, util-linux setpriv, kmod (as
# /sbin/{insmod,rmmod,lsmod,modinfo}), /etc/passwd and /etc/group with root
# and nobody.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log() { printf 'initramfs.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

bins=() kos=() kmods=() scripts=() files=() pos=()
while (($#)); do
	case $1 in
	--bin) bins+=("$2"); shift 2 ;;
	--bin-dir)
		for f in "$2"/*; do
			[[ -f $f && -x $f ]] && bins+=("$f")
		done
		shift 2
		;;
	--ko) kos+=("$2"); shift 2 ;;
	--kmod-name)
		read -ra names <<<"${2//,/ }"
		kmods+=("${names[@]}")
		shift 2
		;;
	--script) scripts+=("$2"); shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	-h | --help) usage ;;
	--) shift; pos+=("$@"); break ;;
	-*) die "unknown option $1" ;;
	*) pos+=("$1"); shift ;;
	esac
done
((${#pos[@]} >= 2)) || usage
out=${pos[0]} kdir=${pos[1]}
bins+=("${pos[@]:2}")
[[ -f $kdir/kver ]] || die "$kdir is not a kernel dir (no kver)"
kver=$(<"$kdir/kver")
busybox=$(command -v busybox) || die "busybox-static is not installed"
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not static (install busybox-static)"

stage=$(mktemp -d)
# mktemp makes it 0700: it becomes the guest's /, which nobody must traverse.
chmod 755 "$stage"
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,lib/prezero/tests,lib/modules/extra,lib/modules/intree}
chmod 1777 "$stage/tmp"
install -m 0755 "$busybox" "$stage/bin/busybox"
# Applet links at busybox's own idea of their paths.
while read -r applet; do
	[[ $applet == bin/busybox ]] && continue
	ln -sf /bin/busybox "$stage/$applet"
done < <("$busybox" --list-full)

install -m 0755 "$here/guest/init" "$stage/init"
install -m 0644 "$here/guest/lib.sh" "$stage/lib/prezero/lib.sh"
echo "$kver" >"$stage/lib/prezero/kver"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
	>"$stage/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$stage/etc/group"

# Copy a file to the same path in the guest, dereferencing symlinks.
copy_same_path() {
	mkdir -p "$stage$(dirname "$1")"
	cp -L "$1" "$stage$1"
}

add_bin() {
	local src=$1 lib
	[[ -f $src && -x $src ]] || die "not an executable: $src"
	# Drop a same-named busybox link. Note busybox ash still runs its applet
	# for a bare name: scenarios call such programs by absolute path.
	rm -f "$stage"/{bin,sbin,usr/bin,usr/sbin}/"$(basename "$src")"
	install -m 0755 "$src" "$stage/usr/bin/$(basename "$src")"
	# ldd lines: "libx.so => /path (addr)", "/lib64/ld-linux... (addr)",
	# "linux-vdso.so.1 (addr)"; static programs make ldd fail: no libs.
	while read -r lib; do
		[[ -e $stage$lib ]] || copy_same_path "$lib"
	done < <(ldd "$src" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
}

add_bin "$(command -v setpriv || die "util-linux setpriv not found")"
# kmod's insmod: busybox insmod retries a failed finit_module() with
# init_module(), so a module whose init fails would run its init twice.
add_bin "$(command -v kmod || die "kmod not found")"
for t in insmod rmmod lsmod modinfo; do
	ln -sf /usr/bin/kmod "$stage/sbin/$t"
done
for b in "${bins[@]}"; do add_bin "$b"; done

# Modules are stored uncompressed: busybox insmod hands the bytes to
# init_module(), which does not decompress.
add_ko() {
	local src=$1 dst=$2
	case $src in
	*.ko) cp "$src" "$dst" ;;
	*.ko.xz) xz -dc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*.ko.zst) zstd -qdc "$src" >"$dst" ;;
	*) die "not a kernel module: $src" ;;
	esac
}

for k in "${kos[@]}"; do
	[[ -f $k ]] || die "no such module: $k"
	n=$(basename "$k")
	add_ko "$k" "$stage/lib/modules/extra/${n%%.ko*}.ko"
done

if ((${#kmods[@]})); then
	for m in "${kmods[@]}"; do
		if [[ $m == virtio_* && $m != virtio_pci && $m != virtio_mmio ]]; then
			kmods=(virtio_pci "${kmods[@]}")
			break
		fi
	done
	# kernels.sh ran depmod in the private root; modprobe -d reads it.
	moddir=$(readlink -f "$kdir/modules")
	root=${moddir%/lib/modules/"$kver"}
	[[ -f $moddir/modules.dep ]] || die "no modules.dep in $moddir (re-fetch with kernels.sh)"
	declare -A seen=()
	order=$stage/lib/prezero/kmods.order
	: >"$order"
	for m in "${kmods[@]}"; do
		deps=$(modprobe -d "$root" -S "$kver" --show-depends "$m") ||
			die "in-tree module $m not found for $kver"
		while read -r kind path _; do
			[[ $kind == insmod ]] || continue # "builtin NAME": nothing to load
			n=$(basename "$path")
			n=${n%%.ko*}
			[[ -n ${seen[$n]:-} ]] && continue
			seen[$n]=1
			add_ko "$path" "$stage/lib/modules/intree/$n.ko"
			echo "$n" >>"$order"
		done <<<"$deps"
	done
fi

for s in "${scripts[@]}"; do
	[[ -f $s ]] || die "no such scenario: $s"
	install -m 0644 "$s" "$stage/lib/prezero/tests/$(basename "$s")"
done
for f in "${files[@]}"; do
	src=${f%%:*} dst=${f#*:}
	[[ -e $src && $dst == /* ]] || die "--file wants SRC:/ABS/DST, got $f"
	mkdir -p "$stage$(dirname "$dst")"
	cp -L "$src" "$stage$dst"
done

mkdir -p "$(dirname "$out")"
# Sorted names and root ownership: same inputs give the same archive.
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) |
	gzip -1 -n >"$out.tmp"
mv "$out.tmp" "$out"
