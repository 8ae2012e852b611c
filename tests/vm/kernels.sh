#!/usr/bin/env bash
# Fetch Debian kernels for the VM bench into a private cache, without
# installing anything into the system (the host kernel cannot load modules,
# so the bench never uses the host's /lib/modules or /usr/src).
#
# Usage:
#   tests/vm/kernels.sh fetch [--refresh] LINE   LINE = 6.1 | 6.12
#       Prints the kernel directory (one line on stdout). Cached after the
#       first fetch: later calls print at once, without touching the network.
#       --refresh re-resolves the newest package for LINE (apt) first.
#   tests/vm/kernels.sh selftest LINE
#       Builds a hello-world module with W=1 against the cached kernel.
#
# Kernel directory $CACHE/kernels/<KVER>/ (CACHE=${PREZERO_CACHE:-~/.cache/prezero}):
#   vmlinuz   readable copy of /boot/vmlinuz-<KVER>
#   build/    headers tree: make -C build M=<moddir> modules
#   modules/  the image's /lib/modules/<KVER>
#   kver      the KVER
#   root/     private dpkg -x root that build/ and modules/ point into
# Other cache entries: kernels/line-<LINE> -> <KVER>, debs/<KVER>/*.deb,
# apt/ (private apt state for bookworm-backports).
set -euo pipefail

CACHE=${PREZERO_CACHE:-$HOME/.cache/prezero}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { printf 'kernels.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# Run a command with its output kept in a log and shown only on failure,
# so a successful fetch stays quiet.
quiet() {
	local out rc=0
	out=$(mktemp)
	"$@" >"$out" 2>&1 || rc=$?
	if ((rc != 0)); then
		log "command failed ($rc): $*"
		cat "$out" >&2
	fi
	rm -f "$out"
	return "$rc"
}

# ---- apt front ends -------------------------------------------------------

# System apt for 6.1; private state for backports so /etc/apt is never touched.
APT_OPTS_SYS=(-o APT::Sandbox::User=root)
APT_OPTS_BPO=(
	-o APT::Sandbox::User=root
	-o "Dir::Etc::sourcelist=$CACHE/apt/sources.list"
	-o Dir::Etc::sourceparts=-
	-o "Dir::State::Lists=$CACHE/apt/lists"
	-o "Dir::Cache=$CACHE/apt/cache"
)

# The URI the system already uses for the plain "bookworm" suite: keeps the
# script free of mirror host names (snapshot mirrors, proxies, ... just work).
system_bookworm_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		# deb822: stanzas separated by blank lines; take URIs of a stanza
		# whose Suites field lists exactly "bookworm".
		uri=$(awk '
			function flush() {
				if (ok && uri != "" && !done) { print uri; done = 1; exit }
				ok = 0; uri = ""
			}
			/^[[:space:]]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == "bookworm") ok = 1 }
			END { flush() }' "$f")
		if [[ -n $uri ]]; then
			echo "$uri"
			return 0
		fi
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		# one-line format: deb [opts] URI SUITE COMPONENTS...
		uri=$(awk '$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == "bookworm") { print $i; exit }
			}' "$f")
		if [[ -n $uri ]]; then
			echo "$uri"
			return 0
		fi
	done
	return 1
}

bpo_update() {
	local uri
	uri=$(system_bookworm_uri) || die "no 'bookworm' suite found in /etc/apt sources"
	mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial"
	printf 'deb [signed-by=%s] %s bookworm-backports main\n' "$KEYRING" "$uri" \
		>"$CACHE/apt/sources.list"
	log "updating private apt lists for bookworm-backports ($uri)"
	quiet apt-get "${APT_OPTS_BPO[@]}" update
}

# Candidate version of a package, empty if unknown.
candidate() {
	apt-cache "${APT_OPTS[@]}" policy "$1" 2>/dev/null |
		awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# Field of the candidate version's record.
field() {
	apt-cache "${APT_OPTS[@]}" show --no-all-versions "$1" 2>/dev/null |
		awk -v f="$2:" '$1 == f { sub(/^[^:]*: */, ""); print; exit }'
}

# ---- resolving the packages ----------------------------------------------

# Sets KVER, VER and PKGS (image, headers, headers-common, kbuild).
resolve() {
	local line=$1 img dep
	case $line in
	6.1)
		APT_OPTS=("${APT_OPTS_SYS[@]}")
		# The metapackage pins the current ABI (e.g. linux-image-6.1.0-56-amd64).
		dep=$(field linux-image-amd64 Depends) || true
		[[ -n $dep ]] || die "apt knows no linux-image-amd64 (run apt-get update?)"
		img=$(awk -v RS='[,|]' '{ print $1 }' <<<"$dep" |
			grep -E '^linux-image-6\.1\.[0-9]+-[0-9]+-amd64$' | head -n1) ||
			die "cannot parse linux-image-amd64 Depends: $dep"
		KVER=${img#linux-image-}
		;;
	6.12)
		APT_OPTS=("${APT_OPTS_BPO[@]}")
		bpo_update
		# Newest signed flavour-less image whose headers exist with the same
		# version (the signed source keeps old image names in the index).
		local cands
		cands=$(apt-cache "${APT_OPTS[@]}" pkgnames linux-image-6.12. |
			grep -E '^linux-image-6\.12\.[^-]+-amd64$' | sort -rV) || true
		KVER=
		for img in $cands; do
			local k=${img#linux-image-} v
			v=$(candidate "$img")
			if [[ -n $v && $(candidate "linux-headers-$k") == "$v" ]]; then
				KVER=$k
				break
			fi
		done
		[[ -n $KVER ]] || die "no linux-image-6.12.*-amd64 with matching headers in bookworm-backports"
		;;
	*) die "unknown kernel line '$line' (want 6.1 or 6.12)" ;;
	esac

	VER=$(candidate "linux-headers-$KVER")
	[[ -n $VER ]] || die "no linux-headers-$KVER"
	[[ $(candidate "linux-image-$KVER") == "$VER" ]] ||
		die "linux-image-$KVER and linux-headers-$KVER versions differ"
	# The headers package names its -common and kbuild companions.
	local hdeps common kbuild
	hdeps=$(field "linux-headers-$KVER" Depends | awk -v RS='[,|]' '{ print $1 }')
	common=$(grep -E '^linux-headers-.*-common$' <<<"$hdeps" | head -n1) ||
		die "linux-headers-$KVER: no -common dependency"
	kbuild=$(grep -E '^linux-kbuild-' <<<"$hdeps" | head -n1) ||
		die "linux-headers-$KVER: no linux-kbuild dependency"
	PKGS=("linux-image-$KVER" "linux-headers-$KVER" "$common" "$kbuild")
}

# dpkg -x skips dependencies, yet the headers/kbuild packages need host tools
# (gcc-12; pahole for 6.12, whose headers ship a BTF vmlinux so every module
# gets BTF). Install the missing ones from the system's own apt sources.
ensure_host_deps() {
	local p clause alt have want=(make gcc-12) missing=()
	for p in "${PKGS[@]:1}"; do
		while read -r clause; do
			[[ -n $clause ]] || continue
			have=
			for alt in ${clause//|/ }; do
				[[ $alt == linux-* ]] && continue 2 # kernel packages: ours
				if dpkg-query -W -f='${Status}' "$alt" 2>/dev/null | grep -q 'ok installed'; then
					have=1
					break
				fi
			done
			[[ -n $have ]] || want+=("${clause%% *}")
		done < <(field "$p" Depends | awk -v RS=',' '{ gsub(/\([^)]*\)/, ""); $1 = $1; print }')
	done
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	[[ $(id -u) == 0 ]] || die "missing host packages: ${missing[*]} (apt-get install them)"
	log "installing host build tools: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive quiet apt-get install -y --no-install-recommends "${missing[@]}"
}

# ---- unpacking -------------------------------------------------------------

# Hello-world module built with W=1: proves the private headers tree works.
selftest_dir() {
	local kdir=$1 tmp out
	tmp=$(mktemp -d)
	cat >"$tmp/hello.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <linux/init.h>

static int __init hello_init(void)
{
	pr_info("hello\n");
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("prezero bench self-test");
EOF
	echo 'obj-m := hello.o' >"$tmp/Kbuild"
	if ! out=$(make -C "$kdir/build" M="$tmp" W=1 modules 2>&1); then
		log "self-test module build failed for $kdir:"
		printf '%s\n' "$out" >&2
		rm -rf "$tmp"
		return 1
	fi
	if grep -iE 'warning:' <<<"$out" >&2; then
		log "self-test module build produced warnings for $kdir"
		rm -rf "$tmp"
		return 1
	fi
	[[ -f $tmp/hello.ko ]] || {
		log "self-test: no hello.ko produced"
		rm -rf "$tmp"
		return 1
	}
	rm -rf "$tmp"
}

unpack() {
	local kdir=$1 debdir=$2 root deb hdr mk
	root=$kdir/root
	rm -rf "$kdir"
	mkdir -p "$root"
	for deb in "$debdir"/*.deb; do
		dpkg -x "$deb" "$root"
	done
	# Packaged vmlinuz is 0600: keep a readable copy.
	install -m 0644 "$root/boot/vmlinuz-$KVER" "$kdir/vmlinuz"
	hdr=$root/usr/src/linux-headers-$KVER
	mk=$hdr/Makefile
	[[ -f $mk ]] || die "headers Makefile missing in $hdr"
	# Debian's arch Makefile includes the -common Makefile by absolute
	# /usr/src path; make it relative to the build dir make -C runs in, so
	# the private root works wherever the cache lives. (scripts/ and tools/
	# are relative symlinks into usr/lib/linux-kbuild-*: fine as unpacked.)
	# shellcheck disable=SC2016 # $(CURDIR) is for make, not the shell
	sed -i -E 's|^include /usr/src/([^/]+)/Makefile$|include $(CURDIR)/../\1/Makefile|' "$mk"
	grep -q '/usr/src' "$mk" && die "unexpected absolute path left in $mk"
	[[ -d $root/lib/modules/$KVER ]] || die "no lib/modules/$KVER in image package"
	# The package leaves modules.dep to its postinst: make it here so
	# `modprobe -d root --show-depends` can order in-tree modules.
	depmod -b "$root" "$KVER"
	ln -s "root/usr/src/linux-headers-$KVER" "$kdir/build"
	ln -s "root/lib/modules/$KVER" "$kdir/modules"
	echo "$KVER" >"$kdir/kver"
}

fetch() {
	local refresh=0 line
	if [[ ${1:-} == --refresh ]]; then
		refresh=1
		shift
	fi
	line=${1:-}
	[[ -n $line ]] || usage
	local link=$CACHE/kernels/line-$line
	# Fast path: no apt, no network once a line has been fetched.
	if ((!refresh)) && [[ -f $link/.complete ]]; then
		(cd "$link" && pwd -P)
		return 0
	fi
	mkdir -p "$CACHE/kernels"
	exec 9>"$CACHE/kernels/.lock"
	flock 9 # concurrent run.sh invocations share the cache
	resolve "$line"
	local kdir=$CACHE/kernels/$KVER debdir=$CACHE/debs/$KVER
	if [[ ! -f $kdir/.complete ]]; then
		ensure_host_deps
		log "fetching $KVER ($VER): ${PKGS[*]}"
		mkdir -p "$debdir"
		local p specs=()
		for p in "${PKGS[@]}"; do specs+=("$p=$VER"); done
		rm -f "$debdir"/*.deb
		(cd "$debdir" && quiet apt-get "${APT_OPTS[@]}" download "${specs[@]}")
		unpack "$kdir" "$debdir"
		selftest_dir "$kdir" || die "kernel $KVER unusable for module builds"
		touch "$kdir/.complete"
	fi
	ln -sfn "$KVER" "$link"
	echo "$kdir"
}

main() {
	case ${1:-} in
	fetch)
		shift
		fetch "$@"
		;;
	selftest)
		shift
		local kdir
		kdir=$(fetch "$@")
		selftest_dir "$kdir" && log "self-test OK: $kdir"
		;;
	*) usage ;;
	esac
}

main "$@"
