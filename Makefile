# Thin wrapper around CMake, the test suite and the VM bench.
# On a fresh machine use ./dev TARGET: it installs the packages first.
BUILD   ?= build
KERNELS ?= 6.1 6.12
export BUILD KERNELS

.PHONY: all proto check check-proto check-unit check-kmod check-daemon check-pool check-xen checkpatch bench demo clean deb rpm check-package check-system

all:
	cmake -S . -B $(BUILD) -DPREZERO_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j2

# Regenerate the uapi header and the policies from proto/prezero.yaml.
proto:
	/usr/bin/python3 proto/ynl-gen.py proto/prezero.yaml .

# The whole suite; ends with "N passed, M failed".
check:
	tests/run-suite.sh

check-proto:
	tests/run-suite.sh proto

check-unit:
	tests/run-suite.sh unit

check-kmod:
	tests/run-suite.sh kmod

# prezerod: unit tests, host tests of the real daemon, VM scenarios.
check-daemon:
	tests/run-suite.sh daemon

# The warm pool and the libvirt hook: unit tests, host tests of the real
# daemon on tmpfs and hugetlbfs, VM scenarios (fill, kill -9, memory hog).
check-pool:
	tests/run-suite.sh pool

# Xen dom0 exclude lists: unit tests labelled "xen", then Xen 4.17 in QEMU
# (tests/xen/run.sh): a PV and a PVH guest ballooned, prezerod's lists
# checked against the truth, filter-core, restart, destroy.
check-xen:
	tests/run-suite.sh xen

checkpatch:
	scripts/checkpatch.sh

# Packages (packaging/README.md): the .debs in $(BUILD)/deb, the rpms in
# $(BUILD)/rpm; check-package also runs lintian and a DKMS build.
deb:
	packaging/build-deb.sh $(BUILD)/deb

rpm:
	packaging/build-rpm.sh $(BUILD)/rpm

check-package:
	tests/run-suite.sh package

# The .debs in a debootstrap'ed Debian 12 booted with systemd under QEMU
# next to real libvirt (tests/system/README.md); the root file system is
# cached in ~/.cache/prezero/system.
check-system:
	tests/run-suite.sh system

# In the VM on every kernel line: zeroing throughput against memset, then
# how much prezerod at full budget slows a co-running workload, then the
# VM start: VFIO_IOMMU_MAP_DMA of cold, pooled and resident memory (in the
# VM) and real QEMU's start with a prealloc backend (on this host, root).
bench: all
	tests/vm/run.sh --bench --scenarios b-10-zeroing --kernels "$(KERNELS)" \
		--build-dir $(BUILD) --bench-out $(BUILD)/bench/zeroing.json
	/usr/bin/python3 tests/bench-report.py $(BUILD)/bench/zeroing.json
	tests/vm/run.sh --bench --scenarios b-20-corunner --kernels "$(KERNELS)" \
		--build-dir $(BUILD) --bench-out $(BUILD)/bench/corunner.json
	/usr/bin/python3 tests/bench-report.py $(BUILD)/bench/corunner.json
	tests/vm/run.sh --bench --scenarios b-30-vmstart --kernels "$(KERNELS)" \
		--build-dir $(BUILD) --bench-out $(BUILD)/bench/vfio-map.json
	/usr/bin/python3 tests/bench/qemu-start.py --build-dir $(BUILD) \
		--out $(BUILD)/bench/qemu-start.json
	/usr/bin/python3 tests/bench-report.py -o $(BUILD)/bench/vm-start.json \
		$(BUILD)/bench/vfio-map.json $(BUILD)/bench/qemu-start.json
	tests/system/run.sh --mode bench --build-dir $(BUILD) \
		--bench-out $(BUILD)/bench/virsh-start.json
	/usr/bin/python3 tests/bench-report.py $(BUILD)/bench/virsh-start.json
	@if [ -x $(BUILD)/tests/xen-tools/pz-xenverify ]; then \
		tests/xen/run.sh --bench --build-dir $(BUILD) --bench-out $(BUILD)/bench/xen.json && \
		/usr/bin/python3 tests/bench-report.py $(BUILD)/bench/xen.json; \
	else \
		echo "bench: no Xen bench: $(BUILD)/tests/xen-tools/pz-xenverify not built (libxen-dev)"; \
	fi

# The quick-start demo: prezerod and the module at work in a disposable 6.1 VM.
demo: all
	tests/vm/run.sh --kernels 6.1 --scenarios d-demo --console --build-dir $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-asan
