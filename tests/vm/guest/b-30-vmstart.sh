# shellcheck shell=dash
# Benchmark: the start of a VM with a passed-through PCI device. QEMU maps
# the VM's RAM with VFIO_IOMMU_MAP_DMA, and the kernel faults in, zeroes
# and pins every page inside that ioctl. pz-vfiomap does what QEMU does
# (container, group, the RAM mapped, one MAP_DMA) with an emulated e1000e
# bound to vfio-pci behind QEMU's intel-iommu, and times the MAP_DMA of
# SIZE (1 GiB) backed by
#   cold   anonymous memory with MADV_HUGEPAGE, never touched (what QEMU
#          maps for a VM without a memory backend file)
#   pool   a file claimed from prezerod's warm pool with `prezeroctl pool
#          claim` and mapped MAP_SHARED (memory-backend-file,share=on)
#   limit  anonymous memory populated before the clock starts: the pin
#          alone, the best any pre-zeroing can do
# for a pool on hugetlbfs (2 MiB pages) and one on tmpfs (huge=always),
# each with its own cold and limit runs. The pool runs as libvirt's hook
# drives it: `vm reserve --for VM` (the pool fills one file), `pool claim
# --for VM` at start (the reservation is in use: no refill), `vm release
# VM` at stop (the file was deleted; the pool fills again). Before every
# run the reserved file is ready and nothing fills, so no fill shares the
# vCPUs with a measurement (with 2 vCPUs on one TCG thread it would slow
# it). ROUNDS rounds, the variants interleaved in rotating order, medians.
# Reported per pool (what "vfio-map"): cold_s, pool_s, limit_s,
# cold_over_pool (goal >= 10), pool_over_limit (goal <= 2), claim_s (the
# prezeroctl pool claim call) and the share of each variant's memory that
# huge pages backed. Nothing is asserted about the times; the bench fails
# if a step fails, or if a claimed file is not fully populated.
# pz-vm: mem=4096 kmods="vfio-pci vfio_iommu_type1" append="intel_iommu=on"
# pz-vm: qemu-args="-machine q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on -device e1000e,romfile="
# pz-timeout: 900
. /lib/prezero/tests/pz-kmod.sh
. /lib/prezero/tests/pz-daemon.sh

ROUNDS=3
SIZE_MIB=1024
SIZE=$((SIZE_MIB << 20))
VM=pz-bench-vm

# median VALUE...: the middle one (the lower middle for an even count)
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# The emulated e1000e (8086:10d3), bound to vfio-pci: sets DEV.
vfio_bind() {
	local d group
	DEV=""
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x8086:0x10d3 ]; then
			DEV=${d##*/}
			break
		fi
	done
	[ -n "$DEV" ] || { pz_fail "no e1000e (8086:10d3) on the PCI bus"; return 1; }
	d=/sys/bus/pci/devices/$DEV
	[ -e "$d/iommu_group" ] ||
		{ pz_fail "$DEV has no IOMMU group (intel_iommu=on missing?)"; return 1; }
	group=$(readlink "$d/iommu_group")
	group=${group##*/}
	[ -e "$d/driver" ] && echo "$DEV" >"$d/driver/unbind"
	echo vfio-pci >"$d/driver_override"
	echo "$DEV" >/sys/bus/pci/drivers_probe
	readlink "$d/driver" | grep -q '/vfio-pci$' ||
		{ pz_fail "$DEV did not bind to vfio-pci"; return 1; }
	pz_wait_until 10 [ -c "/dev/vfio/$group" ] ||
		{ pz_fail "no /dev/vfio/$group"; return 1; }
	pz_log "$DEV (IOMMU group $group) bound to vfio-pci"
}

# The pool holds the bench's reserved file and fills nothing: no fill
# shares the vCPUs with a measurement.
pool_ready() {
	[ "$(pzd_get nodes.0.pool.state pool.reservations.0.state | tr '\n' ' ')" = "full ready " ]
}

# pool_start FS DIR: prezerod with a pool in DIR that holds one reserved
# file of SIZE for the bench's VM (what libvirt's hook does at define
# time: reserve; claim at start; release at stop), wait until it is ready.
pool_start() {
	pzd_conf
	{
		echo "[pool]"
		echo "dir = $2"
		echo "target = 0"
		echo "file_size = $SIZE"
		# fill as fast as the kernel can zero; runs only between runs
		echo "fill_rate = 64G"
		echo "hugetlb_overcommit = yes"
		echo "state_file = /run/prezerod/pool-$1.json"
	} >>"$PZD_CONF"
	pzd_start || return 1
	prezeroctl vm reserve --node 0 --size "$SIZE" --for "$VM" >/dev/null ||
		{ pz_fail "$1: prezeroctl vm reserve failed"; return 1; }
	if ! pzd_wait 120 pool_ready; then
		pz_fail "$1: the reserved file is not ready within 120 s: $(pzd_get nodes.0.pool pool)"
		pzd_show_log 20
		return 1
	fi
	pz_log "$1: pool ready: $(pzd_get nodes.0.pool)"
}

# run PHASE MNT VARIANT: one MAP_DMA of SIZE; appends "map_s huge_pct" to
# $PZ_STATE/PHASE.VARIANT (and the claim's seconds to PHASE.claim).
run() {
	local out f t0 t1 pop
	if ! pzd_wait 120 pool_ready; then
		pz_fail "$1: the pool did not fill again within 120 s: $(pzd_get nodes.0.pool pool)"
		return 1
	fi
	case $3 in
	cold) out=$(pz-vfiomap --size "$SIZE" "$DEV" anon) ;;
	limit) out=$(pz-vfiomap --size "$SIZE" "$DEV" resident) ;;
	pool)
		f=$2/vm-$round
		# shellcheck disable=SC3028 # busybox ash has it
		t0=$EPOCHREALTIME
		if ! prezeroctl pool claim --node 0 --size "$SIZE" --to "$f" --for "$VM" >/dev/null; then
			pz_fail "$1: prezeroctl pool claim failed: $(pzd_get nodes.0.pool)"
			return 1
		fi
		# shellcheck disable=SC3028
		t1=$EPOCHREALTIME
		echo "$t0 $t1" | awk '{ print $2 - $1 }' >>"$PZ_STATE/$1.claim"
		out=$(pz-vfiomap "$DEV" file --file "$f")
		pop=$(echo "$out" | pz-json file_populated_bytes)
		[ "$pop" = "$SIZE" ] ||
			pz_fail "$1: the claimed file has $pop of $SIZE bytes populated"
		# the VM stops: its memory goes back, the pool fills again
		rm -f "$f"
		prezeroctl vm release "$VM" >/dev/null ||
			pz_fail "$1: prezeroctl vm release failed"
		;;
	esac
	if [ -z "$out" ]; then
		pz_fail "$1: pz-vfiomap $3 failed"
		return 1
	fi
	pz_expect_eq "$(echo "$out" | pz-json resident_bytes)" "$SIZE" \
		"$1 $3: bytes resident after MAP_DMA"
	echo "$out" | pz-json map_s huge_bytes | tr '\n' ' ' |
		awk -v s="$SIZE" '{ printf "%s %.1f\n", $1, $2 * 100 / s }' >>"$PZ_STATE/$1.$3"
	pz_log "round $round $1 $3: $out"
}

# phase NAME MNT: ROUNDS interleaved rounds against a pool in MNT/pool,
# then the bench line.
phase() {
	local v order
	for v in cold pool limit claim; do
		: >"$PZ_STATE/$1.$v"
	done
	pool_start "$1" "$2/pool" || return 1
	round=1
	while [ "$round" -le "$ROUNDS" ]; do
		case $((round % 3)) in
		1) order="cold pool limit" ;;
		2) order="pool limit cold" ;;
		0) order="limit cold pool" ;;
		esac
		for v in $order; do
			run "$1" "$2" "$v" || break 2
		done
		round=$((round + 1))
	done
	prezeroctl vm unreserve --for "$VM" >/dev/null ||
		pz_fail "$1: prezeroctl vm unreserve failed"
	pzd_stop
	rm -rf "${2:?}/pool"
	[ "$round" -gt "$ROUNDS" ] || return 1
	report "$1"
}

# col FILE N: field N of every line
col() { awk -v n="$2" '{ print $n }' "$PZ_STATE/$1"; }

report() {
	local c p l k hc hp hl
	# shellcheck disable=SC2046 # one value per word
	{
		c=$(median $(col "$1.cold" 1)) p=$(median $(col "$1.pool" 1))
		l=$(median $(col "$1.limit" 1)) k=$(median $(col "$1.claim" 1))
		hc=$(median $(col "$1.cold" 2)) hp=$(median $(col "$1.pool" 2))
		hl=$(median $(col "$1.limit" 2))
	}
	pz_log "$1 medians: cold $c s, pool $p s, limit $l s, claim $k s"
	pz_bench "$(awk -v b="$1" -v m="$SIZE_MIB" -v c="$c" -v p="$p" -v l="$l" \
		-v k="$k" -v hc="$hc" -v hp="$hp" -v hl="$hl" -v r="$ROUNDS" 'BEGIN {
		printf "{\"what\":\"vfio-map\",\"backing\":\"%s\",\"size_mib\":%d,", b, m
		printf "\"cold_s\":%.4f,\"pool_s\":%.4f,\"limit_s\":%.4f,", c, p, l
		printf "\"cold_over_pool\":%.1f,\"pool_over_limit\":%.2f,", \
			(p > 0 ? c / p : 0), (l > 0 ? p / l : 0)
		printf "\"claim_s\":%.3f,\"cold_huge_pct\":%.0f,", k, hc
		printf "\"pool_huge_pct\":%.0f,\"limit_huge_pct\":%.0f,", hp, hl
		printf "\"rounds\":%d}", r }')"
}

vfio_bind || exit 1
mkdir -p /mnt/pz-hugetlb /mnt/pz-tmpfs
mount -t hugetlbfs -o pagesize=2M none /mnt/pz-hugetlb ||
	{ pz_fail "cannot mount hugetlbfs"; exit 1; }
phase hugetlbfs-2M /mnt/pz-hugetlb
umount /mnt/pz-hugetlb
# tmpfs with huge pages needs THP for shmem (CONFIG_TRANSPARENT_HUGEPAGE)
if [ -e /sys/kernel/mm/transparent_hugepage/shmem_enabled ] &&
	mount -t tmpfs -o huge=always,size=$((SIZE_MIB * 3))M none /mnt/pz-tmpfs; then
	phase tmpfs /mnt/pz-tmpfs
	umount /mnt/pz-tmpfs
else
	pz_log "no tmpfs with huge pages on $(uname -r): tmpfs pool not measured"
fi
