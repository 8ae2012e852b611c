#!/bin/bash
# The whole test suite, or some areas of it, with one summary line at the end.
#   tests/run-suite.sh [proto] [unit] [kmod] ...   (no argument: all areas)
# Areas:
#   proto  the generated files match proto/prezero.yaml
#   unit   userspace build with -Werror, Check unit tests (plain and under
#          valgrind, registered in CTest), then again with ASan/UBSan
#   kmod   checkpatch, then the VM bench on every kernel line: W=1 module
#          build and the module's scenarios (tests/vm/guest/t-NN-*.sh)
#   daemon prezerod: its unit tests (unless the unit area runs too), the host
#          tests of the real daemon (tests/daemon/t-0N-*, t-1N-*) and, on
#          every kernel line, the daemon's VM scenarios
#          (tests/vm/guest/t-10N-*.sh)
#   pool   the warm pool and the libvirt hook: unit tests labelled "pool"
#          (those not labelled "unit" too, when the unit area runs), the
#          host tests tests/daemon/t-2N-*.sh and, on every kernel line, the
#          VM scenarios tests/vm/guest/t-11N-*.sh
#   xen    Xen dom0 exclude lists: unit tests labelled "xen" (those not
#          labelled "unit" too, when the unit area runs), then Xen 4.17 in
#          QEMU with a PV and a PVH guest (tests/xen/run.sh)
#   package the packages (packaging/README.md): versions agree, the .debs
#          (dpkg-buildpackage) and what they promise, lintian (errors
#          fail), the rpms (rpmbuild), and a DKMS build of prezero-dkms's
#          tree against the cached Debian 6.1 headers
#   system the .debs installed in a debootstrap'ed Debian 12 booted with
#          systemd under QEMU next to real libvirt: the service, reload,
#          the hook with a VFIO domain, fail-open (tests/system/run.sh)
# Every area adds its tests to one count; the last line is
# "N passed, M failed" and the exit status is non-zero on any failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=${BUILD:-build}
kernels=${KERNELS:-6.1 6.12}
areas=("$@")
[ ${#areas[@]} -gt 0 ] || areas=(proto unit kmod daemon pool xen package system)

passed=0 failed=0
log=$build/suite
mkdir -p "$log"

# count_tap FILE: "ok ..." / "not ok ..." lines
count_tap() {
	local p f
	p=$(grep -c '^ok ' "$1") f=$(grep -c '^not ok ' "$1")
	passed=$((passed + p)) failed=$((failed + f))
}

# step NAME CMD...: one test that passes when CMD exits 0
step() {
	local name=$1
	shift
	if "$@" >"$log/$name.log" 2>&1; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "not ok $name (log: $log/$name.log)"
		tail -n 30 "$log/$name.log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

# ctest_counts DIR LABEL [CTEST-ARGS...]: run ctest and add its totals
ctest_counts() {
	local out total nfail
	out=$(ctest --test-dir "$1" -L "$2" "${@:3}" --output-on-failure 2>&1)
	echo "$out" | grep -E '^\s*[0-9]+/[0-9]+ Test|tests passed|Failed|\*\*\*' | sed 's/^/    /'
	total=$(echo "$out" | sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p')
	nfail=$(echo "$out" | sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p')
	if [ -z "$total" ]; then
		echo "not ok ctest $2 in $1: no test ran"
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + total - nfail)) failed=$((failed + nfail))
}

area_proto() {
	step proto-in-sync /usr/bin/python3 proto/ynl-gen.py proto/prezero.yaml . --check
}

# The -Werror build, once, whichever area needs it first.
built=0
ensure_build() {
	[ $built = 1 ] && return
	built=1
	step build-werror sh -c "cmake -S . -B '$build' -DPREZERO_WERROR=ON >/dev/null && cmake --build '$build' -j2"
}

area_unit() {
	ensure_build
	ctest_counts "$build" unit
	step build-sanitize sh -c "cmake -S . -B '$build-asan' -DPREZERO_WERROR=ON -DPREZERO_SANITIZE=ON >/dev/null && cmake --build '$build-asan' -j2"
	ctest_counts "$build-asan" unit
}

# summary NAME LOG: add a runner's last line "N passed, M failed" to the totals
summary() {
	local sum
	sum=$(tail -n 1 "$2")
	if [[ $sum =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$((passed + BASH_REMATCH[1])) failed=$((failed + BASH_REMATCH[2]))
	else
		echo "not ok $1: no summary line"
		failed=$((failed + 1))
	fi
}

# vm NAME SCENARIOS: the VM bench on every kernel line
vm() {
	# The VM bench needs the userspace programs that run in the guest.
	ensure_build
	tests/vm/run.sh --kernels "$kernels" --build-dir "$build" \
		--scenarios "$2" --keep-logs "$build/vm-logs" 2>&1 | tee "$log/$1.log"
	summary "$1" "$log/$1.log"
}

area_kmod() {
	scripts/checkpatch.sh >"$log/checkpatch.tap" 2>&1
	cat "$log/checkpatch.tap"
	count_tap "$log/checkpatch.tap"
	vm vm-kmod 't-[0-9][0-9]-*'
}

area_daemon() {
	ensure_build
	# With the unit area they ran there already.
	[[ " ${areas[*]} " == *" unit "* ]] || ctest_counts "$build" daemon
	# t-2N-* (the pool's) run in the pool area
	tests/daemon/run.sh --build-dir "$build" 't-0[0-9]-*' 't-1[0-9]-*' 2>&1 |
		tee "$log/daemon.log"
	summary "host daemon tests" "$log/daemon.log"
	vm vm-daemon 't-10[0-9]-*'
}

area_pool() {
	local only=() n
	ensure_build
	# With the unit area, the tests labelled "unit" too ran there already.
	[[ " ${areas[*]} " == *" unit "* ]] && only=(-LE unit)
	n=$(ctest --test-dir "$build" -N -L pool "${only[@]}" | sed -n 's/^Total Tests: //p')
	[ "${n:-0}" -gt 0 ] && ctest_counts "$build" pool "${only[@]}"
	tests/daemon/run.sh --build-dir "$build" 't-2[0-9]-*' 2>&1 | tee "$log/pool.log"
	summary "host pool tests" "$log/pool.log"
	vm vm-pool 't-11[0-9]-*'
}

area_xen() {
	local only=() n
	ensure_build
	[[ " ${areas[*]} " == *" unit "* ]] && only=(-LE unit)
	n=$(ctest --test-dir "$build" -N -L xen "${only[@]}" | sed -n 's/^Total Tests: //p')
	[ "${n:-0}" -gt 0 ] && ctest_counts "$build" xen "${only[@]}"
	tests/xen/run.sh --build-dir "$build" --keep-logs "$build/xen-logs" 2>&1 |
		tee "$log/xen.log"
	summary "xen test" "$log/xen.log"
}

# lintian on the .debs: errors fail, warnings are shown.
lintian_debs() {
	lintian --fail-on error --pedantic "$build"/deb/prezero_*.changes
}

area_package() {
	step package-version packaging/check-version.sh
	step deb-build packaging/build-deb.sh "$build/deb"
	packaging/check-debs.sh "$build/deb" >"$log/check-debs.tap" 2>&1
	cat "$log/check-debs.tap"
	count_tap "$log/check-debs.tap"
	step lintian lintian_debs
	grep -E '^[WE]: ' "$log/lintian.log" | sed 's/^/    /'
	step rpm-build packaging/build-rpm.sh "$build/rpm"
	step dkms-build packaging/dkms-build.sh "$build/deb" "$build/dkms" 6.1
}

# The .debs of the package area when it ran, else the runner builds them.
area_system() {
	local debs=()
	[[ " ${areas[*]} " == *" package "* ]] && ls "$build"/deb/prezero_*.deb >/dev/null 2>&1 &&
		debs=(--debs "$build/deb")
	tests/system/run.sh --build-dir "$build" "${debs[@]}" --keep-logs "$build/system-logs" 2>&1 |
		tee "$log/system.log"
	summary "system test" "$log/system.log"
}

for a in "${areas[@]}"; do
	case $a in
	proto | unit | kmod | daemon | pool | xen | package | system) echo "# $a"; "area_$a" ;;
	*) echo "run-suite: unknown area '$a' (proto, unit, kmod, daemon, pool, xen, package, system)" >&2; exit 2 ;;
	esac
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
