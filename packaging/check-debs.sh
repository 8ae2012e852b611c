#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# packaging/check-debs.sh DIR: what the .debs in DIR promise, read from the
# packages themselves: their files, the conffile, the hook's link, and
# maintainer scripts that never enable or start anything at install and
# stop, unload and delete at removal; then prezero-remove-pool (from the
# package) against a pool in a scratch directory. TAP-like: "ok"/"not ok"
# lines, exit 1 if any failed.
set -uo pipefail
dir=${1:-}
[ -n "$dir" ] && [ -d "$dir" ] || { echo "not ok - check-debs: no directory '$dir'"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; bad=1; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else nok "$d"; fi; }

for p in prezero prezero-dkms prezero-libvirt-hook; do
	f=$(ls "$dir/${p}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$f" ] || { nok "$p: no .deb in $dir"; continue; }
	mkdir -p "$tmp/$p/ctl"
	dpkg-deb -x "$f" "$tmp/$p/root" && dpkg-deb -e "$f" "$tmp/$p/ctl" ||
		nok "$p: cannot unpack $f"
done
r=$tmp/prezero/root c=$tmp/prezero/ctl

for f in usr/sbin/prezerod usr/sbin/prezeroctl usr/libexec/prezero/prezero-remove-pool; do
	check "prezero: /$f is executable" test -x "$r/$f"
done
for f in lib/systemd/system/prezerod.service lib/systemd/system/prezerod.socket \
	usr/share/man/man8/prezerod.8.gz usr/share/man/man8/prezeroctl.8.gz \
	usr/share/man/man5/prezerod.conf.5.gz usr/share/bash-completion/completions/prezeroctl \
	usr/share/doc/prezero/examples/modules-load.d/prezero.conf; do
	check "prezero: /$f" test -f "$r/$f"
done
check "prezero: the unit runs /usr/sbin/prezerod" \
	grep -qx 'ExecStart=/usr/sbin/prezerod' "$r/lib/systemd/system/prezerod.service"
check "prezero: /etc/prezero/prezerod.conf is a conffile" \
	grep -qx /etc/prezero/prezerod.conf "$c/conffiles"
check "prezero: nothing under /etc/modules-load.d (no autoload)" \
	test ! -e "$r/etc/modules-load.d"
# dh_installsystemd --no-enable --no-start: "enable" only under a
# was-enabled test (an admin's earlier choice), no start, and a restart
# only as try-restart (upgrades of a running service).
check "prezero: postinst enables only what the admin had enabled" \
	awk '/deb-systemd-helper enable/ && prev !~ /was-enabled/ { bad = 1 }
		NF && $1 !~ /^#/ { prev = $0 } END { exit bad }' "$c/postinst"
check "prezero: postinst starts nothing" \
	bash -c "! grep -Eq '(deb-systemd-invoke|systemctl)[^|;]* (start|restart|enable) ' '$c/postinst'"
check "prezero: prerm stops the service and the socket at removal" \
	grep -q 'deb-systemd-invoke stop prezerod.service prezerod.socket' "$c/prerm"
check "prezero: prerm unloads the module" grep -q 'rmmod prezero' "$c/prerm"
check "prezero: prerm deletes the pool" grep -q prezero-remove-pool "$c/prerm"

h=$tmp/prezero-libvirt-hook/root
check "prezero-libvirt-hook: /usr/libexec/prezero/prezero-hook" test -x "$h/usr/libexec/prezero/prezero-hook"
check "prezero-libvirt-hook: /etc/libvirt/hooks/qemu.d/prezero -> the hook" \
	test "$(readlink "$h/etc/libvirt/hooks/qemu.d/prezero")" = /usr/libexec/prezero/prezero-hook

k=$tmp/prezero-dkms
src=$(ls -d "$k"/root/usr/src/prezero-* 2>/dev/null | head -n 1)
check "prezero-dkms: dkms.conf" test -f "$src/dkms.conf"
check "prezero-dkms: kmod/ and proto/ side by side" \
	test -f "$src/kmod/Kbuild" -a -f "$src/kmod/main.c" -a -f "$src/proto/linux/prezero.h"
check "prezero-dkms: AUTOINSTALL=yes" grep -qx 'AUTOINSTALL="yes"' "$src/dkms.conf"
check "prezero-dkms: the version in /usr/src is dkms.conf's" \
	grep -qx "PACKAGE_VERSION=\"${src##*/prezero-}\"" "$src/dkms.conf"
check "prezero-dkms: postinst builds with DKMS" grep -q common.postinst "$k/ctl/postinst"
check "prezero-dkms: prerm unloads, then dkms remove" \
	bash -c "grep -n -e 'rmmod prezero' -e 'dkms remove' '$k/ctl/prerm' | cut -d: -f1 | paste -sd' ' | awk '{ exit !(NF == 2 && \$1 < \$2) }'"

# prezero-remove-pool against a pool in a scratch directory.
p=$tmp/pool
mkdir -p "$p/dir"
touch "$p/dir/n0-1.pool" "$p/dir/n1-7.pool" "$p/dir/.fill-n0-2" "$p/dir/.claim-n0-3" \
	"$p/dir/keep.txt" "$p/state.json"
printf '[daemon]\ndir = /wrong\n[pool]\ndir = %s/dir   ; here\nstate_file = %s/state.json\n' \
	"$p" "$p" >"$p/conf"
"$r/usr/libexec/prezero/prezero-remove-pool" "$p/conf" >"$p/out" 2>&1
check "prezero-remove-pool: exit 0" test $? -eq 0
check "prezero-remove-pool: pool files deleted, other files kept" \
	test "$(ls -A "$p/dir" | paste -sd' ')" = keep.txt
check "prezero-remove-pool: state file deleted" test ! -e "$p/state.json"
rm "$p/dir/keep.txt"
touch "$p/dir/n0-4.pool"
"$r/usr/libexec/prezero/prezero-remove-pool" "$p/conf" >"$p/out" 2>&1
check "prezero-remove-pool: the emptied directory is removed" test ! -e "$p/dir"
"$r/usr/libexec/prezero/prezero-remove-pool" "$p/missing.conf" >"$p/out" 2>&1
check "prezero-remove-pool: no config, no pool: still exit 0" test $? -eq 0
exit $bad
