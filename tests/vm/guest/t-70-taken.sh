# shellcheck shell=dash
# When another driver owns free page reporting (virtio_balloon with
# free-page-reporting), loading fails cleanly with one clear log line.
# pz-vm: qemu-args="-device virtio-balloon-pci,free-page-reporting=on" kmods="virtio_pci virtio_balloon"
# pz-timeout: 120
. /lib/prezero/tests/pz-kmod.sh

grep -q '^virtio_balloon ' /proc/modules || pz_fail "virtio_balloon is not loaded"
if insmod "$PZ_KO" 2>/tmp/out; then
	pz_fail "prezero.ko loaded although page reporting is taken"
	rmmod prezero
fi
cat /tmp/out
pz_loaded && pz_fail "module is loaded"
n=$(dmesg | grep -c 'prezero: free page reporting is already in use')
pz_expect_eq "$n" 1 "kernel log lines about the busy page reporting"
prezeroctl caps >/dev/null 2>&1
pz_expect_eq "$?" 3 "prezeroctl exit code when the load failed"
