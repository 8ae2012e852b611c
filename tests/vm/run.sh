#!/usr/bin/env bash
# Host orchestrator of the VM bench: for each kernel line, fetch the kernel,
# build kmod/ against it, pack an initramfs, boot the scenarios, report.
#
# Usage: tests/vm/run.sh [options]
#   --kernels "6.1 6.12"    kernel lines (default: both)
#   --scenarios "A B ..."   scenario names from tests/vm/guest/ (.sh optional,
#                           globs allowed: "t-1*"); default: all t-*.sh, or
#                           all b-*.sh with --bench
#   --bench                 bench mode: b-*.sh by default, -mem-prealloc,
#                           PZ-BENCH lines collected into --bench-out
#   --bench-out FILE        JSON array of the bench objects, each with a
#                           "kernel" key (default BUILD/vm/bench.json)
#   --build-dir DIR         build tree (default: build, in the repo)
#   --keep-logs DIR         also copy every boot's logs into DIR
#   --bin PATH              extra program for the guest's /usr/bin (repeatable)
#   --no-default-bins       skip BUILD/client/prezeroctl, BUILD/daemon/prezerod
#                           and BUILD/tests/vm-tools/*
#   --scenario-timeout SECS default per-scenario timeout (300); a script's
#                           `# pz-timeout: N` line wins
#   --boot-timeout SECS     hard limit per boot (default: 120 + the sum of
#                           the group's scenario timeouts + 5 s each)
#   --append "ARGS"         extra kernel cmdline for every boot
#   --console               show guest consoles live (debugging)
# Scenario VM config: `# pz-vm: key=value ...` lines in the script (see
# README.md); scenarios with identical config share one boot.
# Prints `PASS|FAIL|SKIP [KVER] name[: reason]` per scenario, then one
# `N passed, M failed` line; exits 1 on any failure or VM timeout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/scenarios.sh"
repo=$(cd "$here/../.." && pwd)
guest=$here/guest

log() { printf 'run.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }
usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}

lines="6.1 6.12" scen_arg="" bench=0 bench_out="" build="" keep="" default_bins=1
stimeout=300 console=0 extra_bins=() extra_append="" boot_timeout=""
while (($#)); do
	case $1 in
	--kernels) lines=$2; shift 2 ;;
	--scenarios) scen_arg=$2; shift 2 ;;
	--bench) bench=1; shift ;;
	--bench-out) bench_out=$2; shift 2 ;;
	--build-dir) build=$2; shift 2 ;;
	--keep-logs) keep=$2; shift 2 ;;
	--bin) extra_bins+=("$(realpath "$2")"); shift 2 ;;
	--no-default-bins) default_bins=0; shift ;;
	--scenario-timeout) stimeout=$2; shift 2 ;;
	--boot-timeout) boot_timeout=$2; shift 2 ;;
	--append) extra_append+=" $2"; shift 2 ;;
	--console) console=1; shift ;;
	-h | --help) usage ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[[ $stimeout =~ ^[0-9]+$ ]] || die "--scenario-timeout wants seconds"
build=$(realpath -m "${build:-$repo/build}")
bench_out=$(realpath -m "${bench_out:-$build/vm/bench.json}")
[[ -n $keep ]] && keep=$(realpath -m "$keep")

# ---- scenarios and their VM configs ----------------------------------------

if [[ -z $scen_arg ]]; then
	((bench)) && scen_arg='b-*' || scen_arg='t-*'
fi
select_scenarios "$guest" "$scen_arg"

# `# pz-vm: mem=1024 numa=2 smp=2 kmods="a b" qemu-args="..." append="..."`
# Several lines add up (lists append, numbers override). Prints a canonical
# key that groups identical configs into one boot.
vm_config() {
	local script=$1 hdr rest key val mem=2048 smp=2 numa=0 kmods="" qargs="" app=""
	local re='^[[:space:]]*([a-z-]+)=("([^"]*)"|'"'"'([^'"'"']*)'"'"'|([^[:space:]"'"'"']*))(.*)$'
	while IFS= read -r hdr; do
		rest=${hdr#*pz-vm:}
		while [[ $rest =~ $re ]]; do
			key=${BASH_REMATCH[1]}
			val=${BASH_REMATCH[3]}${BASH_REMATCH[4]}${BASH_REMATCH[5]}
			rest=${BASH_REMATCH[6]}
			case $key in
			mem | smp | numa)
				[[ $val =~ ^[0-9]+$ ]] || die "$script: pz-vm $key wants a number"
				printf -v "$key" '%s' "$val"
				;;
			kmods) kmods+=" ${val//,/ }" ;;
			qemu-args) qargs+=" $val" ;;
			append) app+=" $val" ;;
			*) die "$script: unknown pz-vm key '$key'" ;;
			esac
		done
		[[ $rest =~ ^[[:space:]]*$ ]] || die "$script: cannot parse pz-vm header near '$rest'"
	done < <(grep -E '^#[[:space:]]*pz-vm:' "$script" || true)
	# normalise whitespace so equal configs compare equal
	read -ra w <<<"$kmods"; kmods="${w[*]}"
	read -ra w <<<"$qargs"; qargs="${w[*]}"
	read -ra w <<<"$app"; app="${w[*]}"
	printf 'mem=%s|smp=%s|numa=%s|kmods=%s|qemu-args=%s|append=%s\n' \
		"$mem" "$smp" "$numa" "$kmods" "$qargs" "$app"
}

scenario_timeout() {
	local t
	t=$(sed -n 's/^# pz-timeout: *\([0-9][0-9]*\).*/\1/p' "$guest/$1.sh" | head -n1)
	echo "${t:-$stimeout}"
}

# Group in first-seen order.
declare -A group_of=()
groups=()
for s in "${scenarios[@]}"; do
	cfg=$(vm_config "$guest/$s.sh")
	if [[ -z ${group_of[$cfg]:-} ]]; then
		groups+=("$cfg")
		group_of[$cfg]=$s
	else
		group_of[$cfg]+=" $s"
	fi
done

# ---- counters and reporting ------------------------------------------------

trouble=0 bench_objs=()

show_log() {
	echo "  log: $1"
	echo "  --- last 40 lines ---"
	tail -n 40 "$1" | tr -d '\r' | sed 's/^/  | /'
	echo "  ---"
}

# ---- per kernel ---------------------------------------------------------------

# Out-of-tree build of kmod/ (with proto/ as its sibling) into $1/src.
# Sets kos=(built .ko files); returns 1 if the build failed.
build_module() {
	local kdir=$1 out=$2 blog
	kos=()
	if [[ ! -f $repo/kmod/Kbuild ]]; then
		log "kmod/Kbuild not found: skipping the module build (scenarios run without prezero.ko)"
		return 0
	fi
	rm -rf "$out/src"
	mkdir -p "$out/src"
	# Sources only: objects of an in-tree or other-kernel build would be
	# taken as up to date.
	local dirs=(kmod)
	[[ -d $repo/proto ]] && dirs+=(proto)
	tar -C "$repo" --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude=modules.order \
		--exclude=Module.symvers -cf - "${dirs[@]}" |
		tar -C "$out/src" -xf -
	blog=$out/kmod-build.log
	if ! make -C "$kdir/build" M="$out/src/kmod" W=1 -j"$(nproc)" modules >"$blog" 2>&1; then
		log "module build failed for $(basename "$out"):"
		tail -n 40 "$blog" >&2
		return 1
	fi
	if grep -q 'warning:' "$blog"; then
		log "module build has warnings ($blog):"
		grep 'warning:' "$blog" >&2
	fi
	mapfile -t kos < <(find "$out/src/kmod" -name '*.ko' | sort)
	((${#kos[@]})) || { log "module build produced no .ko ($blog)"; return 1; }
}

bins=()
if ((default_bins)); then
	[[ -x $build/client/prezeroctl ]] && bins+=(--bin "$build/client/prezeroctl")
	[[ -x $build/daemon/prezerod ]] && bins+=(--bin "$build/daemon/prezerod")
	[[ -d $build/tests/vm-tools ]] && bins+=(--bin-dir "$build/tests/vm-tools")
fi
for b in "${extra_bins[@]}"; do bins+=(--bin "$b"); done

run_group() { # KVER KDIR GDIR CFG SCENARIO...
	local kver=$1 kdir=$2 gdir=$3 cfg=$4
	shift 4
	local names=("$@") mem smp numa kmods qargs app f total=120 s
	local -a ko_args=() init_args=() boot_args=()
	IFS='|' read -r mem smp numa kmods qargs app <<<"$cfg"
	mem=${mem#mem=} smp=${smp#smp=} numa=${numa#numa=}
	kmods=${kmods#kmods=} qargs=${qargs#qemu-args=} app=${app#append=}
	for f in "${kos[@]}"; do ko_args+=(--ko "$f"); done
	[[ -n $kmods ]] && init_args+=(--kmod-name "$kmods")
	for s in "${names[@]}"; do
		init_args+=(--script "$guest/$s.sh")
		total=$((total + $(scenario_timeout "$s") + 5))
	done
	# Helpers the scenarios source (e.g. pz-kmod.sh) come along too.
	for f in "$guest"/*.sh; do
		case $(basename "$f") in
		lib.sh | t-* | b-*) ;;
		*) init_args+=(--script "$f") ;;
		esac
	done
	mkdir -p "$gdir"
	if ! "$here/initramfs.sh" "${init_args[@]}" "${ko_args[@]}" "${bins[@]}" \
		"$gdir/initramfs.cpio.gz" "$kdir" 2>"$gdir/initramfs.log"; then
		cat "$gdir/initramfs.log" >&2
		for s in "${names[@]}"; do report FAIL "$kver" "$s" "initramfs build failed"; done
		trouble=1
		return
	fi
	local run
	run=$(IFS=,; echo "${names[*]}")
	total=${boot_timeout:-$total}
	boot_args=(--kernel "$kdir/vmlinuz" --initrd "$gdir/initramfs.cpio.gz"
		--log "$gdir/console.log" --pz-log "$gdir/results.log"
		--mem "$mem" --smp "$smp" --numa "$numa" --timeout "$total"
		--append "pz.run=$run pz.timeout=$stimeout $app$extra_append")
	[[ -n $qargs ]] && boot_args+=(--qemu-args "$qargs")
	((bench)) && boot_args+=(--prealloc)
	((console)) && boot_args+=(--console)
	log "[$kver] booting: ${names[*]} (mem=$mem smp=$smp numa=$numa${kmods:+ kmods=$kmods}${qargs:+ qemu-args=$qargs})"
	local t0 rc ms
	rc=0
	t0=$(date +%s%N)
	"$here/boot.sh" "${boot_args[@]}" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	log "[$kver] boot finished in $((ms / 1000)).$((ms % 1000 / 100))s (status $rc)"

	# Parse the result channel (kernel messages never land there).
	local -A res=() why=()
	local line name st rest done=0 started=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"PZ-START "*) started=1 ;;
		"PZ-RESULT "*)
			read -r _ name st rest <<<"$line"
			res[$name]=$st
			why[$name]=$rest
			;;
		"PZ-BENCH "*)
			rest=${line#PZ-BENCH }
			if [[ $rest =~ ^\{.*\}$ ]]; then
				# the kernel key goes first; "{}" becomes {"kernel":...}
				if [[ $rest =~ ^\{[[:space:]]*\}$ ]]; then
					bench_objs+=("{\"kernel\":\"$kver\"}")
				else
					bench_objs+=("{\"kernel\":\"$kver\",${rest#\{}")
				fi
			else
				log "[$kver] ignoring malformed PZ-BENCH line: $line"
			fi
			;;
		PZ-DONE) done=1 ;;
		esac
	done <"$gdir/results.log"

	local failed=0 nores panic culprit=""
	panic=$(grep -a -m1 -o 'Kernel panic - not syncing.*' "$gdir/console.log" | tr -d '\r' || true)
	if ((rc == 124)); then
		nores="no result: VM timed out after ${total}s${panic:+ ($panic)}"
	elif ((!started)); then
		nores="no result: guest never reached /init (QEMU status $rc)${panic:+: $panic}"
	elif [[ -n $panic ]]; then
		nores="no result: $panic"
	else
		nores="no result: guest died (QEMU status $rc)"
	fi
	for s in "${names[@]}"; do
		case ${res[$s]:-} in
		PASS | SKIP) report "${res[$s]}" "$kver" "$s" "${why[$s]}" ;;
		FAIL) report FAIL "$kver" "$s" "${why[$s]}"; failed=1 ;;
		*)
			# The first scenario without a result is the one that was running.
			if [[ -z $culprit ]]; then
				culprit=$s
				report FAIL "$kver" "$s" "$nores"
			else
				report FAIL "$kver" "$s" "not run: the guest died during $culprit"
			fi
			failed=1
			;;
		esac
	done
	if ((rc != 0 || !done)) && ((!failed)); then
		echo "TROUBLE [$kver] VM did not finish cleanly (QEMU status $rc, PZ-DONE seen: $done)"
		failed=1
	fi
	((rc == 0 && done)) || trouble=1
	((failed)) && show_log "$gdir/console.log"
	if [[ -n $keep ]]; then
		mkdir -p "$keep"
		for f in console.log results.log console.log.cmd initramfs.log; do
			[[ -f $gdir/$f ]] && cp "$gdir/$f" "$keep/$kver-$(basename "$gdir")-$f"
		done
	fi
	return 0
}

for line in $lines; do
	kdir=""
	if ! kdir=$("$here/kernels.sh" fetch "$line"); then
		for s in "${scenarios[@]}"; do report FAIL "linux-$line" "$s" "kernel fetch failed"; done
		continue
	fi
	kver=$(<"$kdir/kver")
	kbuild=$build/vm/$kver
	mkdir -p "$kbuild"
	if ! build_module "$kdir" "$kbuild"; then
		for s in "${scenarios[@]}"; do report FAIL "$kver" "$s" "module build failed ($kbuild/kmod-build.log)"; done
		continue
	fi
	[[ -n $keep && -f $kbuild/kmod-build.log ]] && mkdir -p "$keep" && cp "$kbuild/kmod-build.log" "$keep/$kver-kmod-build.log"
	gi=0
	for cfg in "${groups[@]}"; do
		gi=$((gi + 1))
		read -ra names <<<"${group_of[$cfg]}"
		run_group "$kver" "$kdir" "$kbuild/g$gi" "$cfg" "${names[@]}"
	done
done

if ((bench)); then
	mkdir -p "$(dirname "$bench_out")"
	{
		echo "["
		for i in "${!bench_objs[@]}"; do
			sep=","
			((i == ${#bench_objs[@]} - 1)) && sep=""
			echo "  ${bench_objs[$i]}$sep"
		done
		echo "]"
	} >"$bench_out"
	log "bench: ${#bench_objs[@]} results in $bench_out"
fi

skipped=""
((nskip)) && skipped=", $nskip skipped"
echo "$npass passed, $nfail failed$skipped"
((nfail == 0 && trouble == 0))
