#!/usr/bin/env bash
# Boot one bench guest under QEMU/TCG and wait for it to power off.
#
# Usage: tests/vm/boot.sh --kernel VMLINUZ --initrd CPIO --log FILE [options]
#   --log FILE          serial console (ttyS0) log
#   --pz-log FILE       second serial port (guest ttyS1) that carries only the
#                       PZ-* lines, free of kernel messages (default FILE.pz)
#   --mem MIB           guest memory (2048)
#   --smp N             vCPUs (2)
#   --numa N            N NUMA nodes, memory split evenly, vCPUs round-robin
#   --append "ARGS"     extra kernel cmdline (repeatable, joined by spaces)
#   --qemu-args "ARGS"  extra QEMU arguments, word-split (repeatable)
#   --qemu-arg ARG      one extra QEMU argument, verbatim (repeatable)
#   --timeout SECS      hard limit (600): QEMU is killed, exit status 124
#   --prealloc          -mem-prealloc: host memory touched up front, which
#                       steadies guest timings (bench runs)
#   --console           also show the console live on stdout (interactive)
# Exit status: QEMU's (0 after the guest's poweroff), 124 on timeout.
# /dev/kvm is never used: it hangs stock kernels on this host (REFERENCE §7).
set -euo pipefail

log() { printf 'boot.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

kernel="" initrd="" logf="" pzlog="" mem=2048 smp=2 numa=0 timeout=600
prealloc=0 console=0 append=() qargs=()
while (($#)); do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--log) logf=$2; shift 2 ;;
	--pz-log) pzlog=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--numa) numa=$2; shift 2 ;;
	--append) append+=("$2"); shift 2 ;;
	--qemu-args)
		read -ra words <<<"$2"
		qargs+=("${words[@]}")
		shift 2
		;;
	--qemu-arg) qargs+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--prealloc) prealloc=1; shift ;;
	--console) console=1; shift ;;
	-h | --help) usage ;;
	*) die "unknown argument $1" ;;
	esac
done
[[ -n $kernel && -n $initrd && -n $logf ]] || usage
[[ -r $kernel ]] || die "cannot read kernel $kernel"
[[ -r $initrd ]] || die "cannot read initrd $initrd"
[[ $mem =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ && $numa =~ ^[0-9]+$ && $timeout =~ ^[0-9]+$ ]] ||
	die "--mem/--smp/--numa/--timeout want integers"
pzlog=${pzlog:-$logf.pz}
mkdir -p "$(dirname "$logf")" "$(dirname "$pzlog")"
: >"$logf"
: >"$pzlog"

# init_on_*=0: the bench measures zeroing, the kernel must not add its own.
cmdline="console=ttyS0 panic=-1 init_on_alloc=0 init_on_free=0 ${append[*]}"

# Single-threaded TCG: with thread=multi a vCPU can run a stale translation
# of kernel text another vCPU is live-patching (static keys), which showed as
# "Oops: int3" in sched_clock_cpu on ~3% of 6.12 boots. Our tests and
# benchmarks are single-threaded, so they lose nothing.
qemu=(qemu-system-x86_64 -accel "tcg,thread=single" -cpu qemu64
	-m "$mem" -smp "$smp" -nographic -no-reboot -monitor none
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline")
if ((console)); then
	qemu+=(-chardev "stdio,id=con,signal=off,logfile=$logf")
else
	qemu+=(-chardev "file,id=con,path=$logf")
fi
qemu+=(-serial chardev:con -chardev "file,id=pz,path=$pzlog" -serial chardev:pz)

if ((numa > 1)); then
	((mem % numa == 0)) || die "--mem $mem is not divisible by --numa $numa"
	for ((n = 0; n < numa; n++)); do
		# Explicit backends: -mem-prealloc does not reach memdev objects.
		obj="memory-backend-ram,id=m$n,size=$((mem / numa))M"
		((prealloc)) && obj+=",prealloc=on"
		cpus=""
		for ((c = n; c < smp; c += numa)); do cpus+=",cpus=$c"; done
		qemu+=(-object "$obj" -numa "node,nodeid=$n,memdev=m$n$cpus")
	done
elif ((prealloc)); then
	qemu+=(-mem-prealloc)
fi
qemu+=("${qargs[@]}")

printf '%q ' "${qemu[@]}" >"$logf.cmd"
echo >>"$logf.cmd"
rc=0
if ((console)); then
	timeout --kill-after=10 "$timeout" "${qemu[@]}" || rc=$?
else
	timeout --kill-after=10 "$timeout" "${qemu[@]}" </dev/null || rc=$?
fi
if ((rc == 124 || rc == 137)); then
	echo "PZ-TIMEOUT after ${timeout}s (QEMU killed by boot.sh)" >>"$logf"
	log "timeout after ${timeout}s: QEMU killed ($logf)"
	exit 124
fi
exit "$rc"
