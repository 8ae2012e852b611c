# shellcheck shell=dash
# pz-timeout: 300
# Benchmark (after x-00-guests and x-10-balloon: both guests at 128 MiB of
# 256): prezerod's scan rate (its scan_ms for scanned_frames) and, per
# guest, what a dom0 dump tool costs with and without the exclude list:
# reading every frame below static-max by foreign mapping against reading
# only the frames outside the list (pz-xenverify dump; 3 interleaved
# rounds, medians). One PZ-BENCH object per guest. For the PVH guest also
# the scan rate of hvm_scan = query (HVMOP_get_mem_type frame by frame),
# from a prezerod restarted with it first.
. /lib/prezero/tests/xen-lib.sh

med3() { echo "$1 $2 $3" | tr ' ' '\n' | sort -n | sed -n 2p; }
q_sc="" q_ms=""
if id=$(xg_need pvh1); then
	old=$(pzx_header "$(pzx_file "$id")" generation)
	[ -S "$PZX_SOCK" ] && pzx_stop
	pzx_conf hvm_scan=query
	pzx_start || exit 1
	if pzx_wait_gen pvh1 "${old:-0}" 120; then
		# shellcheck disable=SC2046 # three fields
		set -- $(pzx_exclude_info pvh1 scanned_frames scan_ms method)
		q_sc=${1:-} q_ms=${2:-}
		pz_expect_eq "${3:-}" get-mem-type "pvh1: method with hvm_scan = query"
		pz_log "pvh1: hvm_scan = query: $q_sc frames in $q_ms ms"
	else
		pz_fail "pvh1: no list with hvm_scan = query in 120 s"
	fi
	old=$(pzx_header "$(pzx_file "$id")" generation)
	pzx_stop
	pzx_conf
	pzx_start || exit 1
	pzx_wait_gen pvh1 "${old:-0}" 60 || pz_fail "pvh1: no list after going back to hvm_scan = auto"
fi
[ -S "$PZX_SOCK" ] || { pzx_conf; pzx_start || exit 1; }
for g in pv1 pvh1; do
	id=$(xg_need "$g") || continue
	pzx_wait_gen "$g" 0 60 || { pz_fail "$g: no list in 60 s"; continue; }
	f=$(pzx_file "$id")
	info=$(pzx_exclude_info "$g" scanned_frames scan_ms excluded_frames) ||
		{ pz_fail "$g: not in xen list"; continue; }
	read -r scanned scan_ms excl <<EOF
$info
EOF
	vline=$(pz-xenverify scan "$id")
	vms=$(xv_get "$vline" scan_ms)
	wo="" wi="" bwo="" bwi="" fwo=""
	for r in 1 2 3; do
		a=$(pz-xenverify dump "$id") || pz_fail "$g: dump without list failed"
		b=$(pz-xenverify dump "$id" --exclude "$f") || pz_fail "$g: dump with list failed"
		pz_log "$g round $r: without: $a"
		pz_log "$g round $r: with: $b"
		wo="$wo $(xv_get "$a" ms)" wi="$wi $(xv_get "$b" ms)"
		bwo=$(xv_get "$a" bytes_tried) bwi=$(xv_get "$b" bytes_tried)
		fwo=$(xv_get "$a" frames_failed) fwi=$(xv_get "$b" frames_failed)
		rwo=$(xv_get "$a" bytes_read) rwi=$(xv_get "$b" bytes_read)
	done
	# shellcheck disable=SC2086
	mwo=$(med3 $wo) mwi=$(med3 $wi)
	pz_bench "$(awk -v g="$g" -v t="$(xenstore-read "/libxl/$id/type")" \
		-v sc="$scanned" -v sm="$scan_ms" -v ex="$excl" -v vm="$vms" \
		-v bwo="$bwo" -v bwi="$bwi" -v mwo="$mwo" -v mwi="$mwi" \
		-v fwo="$fwo" -v fwi="$fwi" -v rwo="$rwo" -v rwi="$rwi" \
		-v qsc="$([ "$g" = pvh1 ] && echo "$q_sc")" \
		-v qms="$([ "$g" = pvh1 ] && echo "$q_ms")" 'BEGIN {
		rate = sm > 0 ? sc * 1000 / sm : -1
		vrate = vm > 0 ? sc * 1000 / vm : -1
		printf "{\"what\":\"xen\",\"guest\":\"%s\",\"type\":\"%s\",", g, t
		printf "\"scanned_frames\":%d,\"scan_ms\":%d,\"scan_frames_per_s\":%.0f,", sc, sm, rate
		printf "\"verify_scan_ms\":%d,\"verify_scan_frames_per_s\":%.0f,", vm, vrate
		printf "\"excluded_frames\":%d,", ex
		printf "\"dump_bytes_without_list\":%d,\"dump_ms_without_list\":%d,", bwo, mwo
		printf "\"dump_frames_failed_without_list\":%d,\"dump_bytes_read_without_list\":%d,", fwo, rwo
		printf "\"dump_bytes_with_list\":%d,\"dump_ms_with_list\":%d,", bwi, mwi
		printf "\"dump_frames_failed_with_list\":%d,\"dump_bytes_read_with_list\":%d", fwi, rwi
		if (qsc != "" && qms > 0)
			printf ",\"query_scan_ms\":%d,\"query_scan_frames_per_s\":%.0f", qms, qsc * 1000 / qms
		printf "}"
	}')"
	[ "$fwi" = 0 ] || pz_fail "$g: $fwi frames outside the list failed to map"
done
pzx_log_on_fail
