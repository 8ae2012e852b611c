#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# prezeroctl xen exclude on a list longer than a reply carries: prezerod
# answers "ranges": null (proto/xen-exclude.md) and prezeroctl reads the
# ranges from the published file, which must be the same domain and
# generation. No dom0 here, so a stand-in answers on the socket
# (fakedaemon.py); the daemon side is unit-tested (test_xenexclude.c).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LIST=$PZ_TMP/5.exclude
REPLY=$PZ_TMP/reply.json
N=70000	# > PZ_EXCLUDE_REPLY_RANGES (65536)

# write_list GENERATION: the text form, N ranges [4i+1, 4i+3)
write_list() {
	python3 - "$LIST" "$1" "$N" <<'PY'
import sys
path, gen, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as f:
    f.write("prezero-xen-exclude 1\ndomid: 5\nuuid: \nname: big\ntype: pv\n"
            f"generation: {gen}\npage-size: 4096\ntime: 1764748800\n"
            f"scanned-frames: {4 * n:#x}\nexcluded-frames: {2 * n:#x}\n"
            f"ranges: {n}\ncomplete: yes\n\n")
    for i in range(n):
        f.write(f"{4 * i + 1:#x} {4 * i + 3:#x}\n")
PY
}

# write_reply GENERATION [PATH]: what prezerod answers past the reply limit
write_reply() {
	cat >"$REPLY" <<JSON
{"domid": 5, "uuid": "", "name": "big", "type": "pv", "generation": $1,
 "page_size": 4096, "time": 1764748800, "scanned_frames": $((4 * N)),
 "excluded_frames": $((2 * N)), "complete": true, "ranges": null,
 "range_count": $N, "path": "${2:-$LIST}"}
JSON
}

write_list 7
write_reply 7
spawn python3 "$PZ_HERE/fakedaemon.py" "$SOCK" "$REPLY"
wait_for 10 "the stand-in answering" ping_ok

ctl xen exclude 5
expect_rc 0 "xen exclude of a $N-range list"
expect_out "in $N ranges" "the count"
expect_out "^file $LIST\$" "the file named"
rows=$(grep -Ec '^0x[0-9a-f]+ +0x[0-9a-f]+ +' "$OUT")
expect_eq "$rows" "$N" "one row per range, read from the file"
expect_out '^0x1 +0x3 +8(\.0)? ?K' "the first range"
expect_out "^$(printf '%#x' $((4 * (N - 1) + 1))) +$(printf '%#x' $((4 * (N - 1) + 3))) " "the last range"

ctl xen exclude 5 --json
expect_rc 0 "--json passes the reply through"
expect_eq "$(jget "$OUT" 'd["ranges"]')" null "--json: ranges null"
expect_eq "$(jget "$OUT" 'd["range_count"]')" "$N" "--json: range_count"

# The file moved on between the reply and the read.
write_list 8
ctl xen exclude 5
expect_rc 1 "the file holds another generation"
expect_out "generation 8, prezerod answered for domain 5 generation 7: the list changed, run again" "says why"

# A damaged file is refused with its line, nothing printed from it.
write_list 7
sed -i '20s/.*/garbage/' "$LIST"
ctl xen exclude 5
expect_rc 1 "a damaged file"
expect_out "$LIST:20: " "the file and line"
expect_no_out '^0x1 ' "no range printed"

# No file at all.
write_reply 7 "$PZ_TMP/missing.exclude"
ctl xen exclude 5
expect_rc 1 "a missing file"
expect_out "missing.exclude: No such file" "says so"

# A small list comes inline and needs no file.
cat >"$REPLY" <<JSON
{"domid": 6, "uuid": "", "name": "small", "type": "pvh", "generation": 2,
 "page_size": 4096, "time": 1764748800, "scanned_frames": 4096,
 "excluded_frames": 3, "complete": true, "ranges": [[16, 19]],
 "path": "$PZ_TMP/missing.exclude"}
JSON
ctl xen exclude 6
expect_rc 0 "an inline list"
expect_out '^0x10 +0x13 ' "its range"
