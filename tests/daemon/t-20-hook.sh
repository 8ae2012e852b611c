#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# prezero-hook, the libvirt hook, run as libvirt runs it (four arguments,
# the domain XML on stdin) over the XML set of tests/unit/data/domains:
#  1. without prezerod every operation exits 0, prints nothing on stdout,
#     and says on stderr what it could not do;
#  2. a prezerod that accepts and never answers, and an XML writer that
#     never finishes, cost at most the deadline (exit 0 in deadline + 3 s);
#     what the hook sends over the wire is exactly its --plan;
#  3. migrate and restore echo their input byte for byte, whatever it is;
#  4. --plan gives the expected requests for every file and operation, and
#     exit 1 with the reason for input it cannot read.
# The claim against the real prezerod is t-20-hook-claim.sh.
# pz-timeout: 300
# "A && B || fail ...": fail is meant when either is false
# shellcheck disable=SC2015
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

HOOK=$PZ_BUILD/client/prezero-hook
DOMS=$PZ_REPO/tests/unit/data/domains
[ -x "$HOOK" ] || fail "no $HOOK (build the prezero-hook target)"
unset PREZERO_HOOK_DEADLINE_MS PREZERO_HOOK_DEBUG PREZERO_QEMU_CONF

# qemu.conf names BACKING; libvirt keeps its per-domain directories in
# BACKING/libvirt/qemu (qemu_conf.c).
BACKING=$PZ_TMP/ram
RAMDIR=$BACKING/libvirt/qemu
mkdir -p "$RAMDIR"
QCONF=$PZ_TMP/qemu.conf
cat >"$QCONF" <<EOF
# as libvirt reads it: first assignment wins, lists over lines
memory_backing_dir = "$BACKING"   # for the tests
cgroup_controllers = [ "cpu", "devices",
    "memory" ]
user = "+4242"
group = "+4343"
user = "root"
EOF
export PREZERO_QEMU_CONF=$QCONF
NOSOCK=$PZ_TMP/nodaemon/prezerod.sock
export PREZERO_SOCKET=$NOSOCK

ms() { date +%s%3N; }

# hook [ENV=V...] -- ARGS... < INPUT: run the hook; stdout in $HOUT,
# stderr in $HERR, status in $RC, wall time in $ELAPSED (ms).
HOUT=$PZ_TMP/hook.out
HERR=$PZ_TMP/hook.err
hook() {
	local t0 envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	t0=$(ms)
	env "${envs[@]}" "$HOOK" "$@" >"$HOUT" 2>"$HERR"
	RC=$?
	ELAPSED=$(( $(ms) - t0 ))
}

# name_of FILE: the <name> of a domain XML (the hook's first argument)
name_of() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
try:
    print(ET.parse(sys.argv[1]).getroot().findtext("name") or "guest")
except Exception:
    print("guest")' "$1"
}

# stderr_clean DESC: every stderr line is the hook's
stderr_clean() {
	if grep -qv '^prezero-hook: ' "$HERR"; then
		cat "$HERR"
		fail "$1: stderr has lines that are not the hook's"
	fi
}

# ---- 1. no daemon ------------------------------------------------------

say "part 1: no prezerod at $NOSOCK"
OPS=("prepare begin" "start begin" "started begin" "stopped end"
     "release end" "reconnect begin" "attach begin" "frobnicate now")
n=0
for f in "$DOMS"/*.xml; do
	name=$(name_of "$f")
	for op in "${OPS[@]}"; do
		# shellcheck disable=SC2086 # op is two words
		hook -- "$name" $op - <"$f"
		[ "$RC" -eq 0 ] || { cat "$HERR"; fail "$(basename "$f") $op: exit $RC without daemon"; }
		[ ! -s "$HOUT" ] || fail "$(basename "$f") $op: printed on stdout"
		stderr_clean "$(basename "$f") $op"
		if [ "$op" = "start begin" ] && [ "$ELAPSED" -ge 2000 ]; then
			fail "$(basename "$f") start: took ${ELAPSED} ms without a daemon (deadline 2000 ms)"
		fi
		n=$((n + 1))
	done
done
say "ok: $n runs without a daemon exited 0, stdout empty"

hook -- vm-file start begin - <"$DOMS/file-vfio.xml"
grep -q "warning: vm-file: claim memory (4.00 GiB, any node) to $RAMDIR/7-vm-file/pc.ram: not done: prezerod not running (no socket $NOSOCK)" "$HERR" ||
	{ cat "$HERR"; fail "start without daemon: no warning naming the claim and the socket"; }
say "ok: start without daemon warns about the claim ($ELAPSED ms)"
hook -- anon-gpu prepare begin - <"$DOMS/anon-vfio.xml"
grep -q "warning: anon-gpu: prepare anon (node 0 16.00 GiB.*): not done: prezerod not running" "$HERR" ||
	{ cat "$HERR"; fail "prepare without daemon: no warning"; }
[ "$(wc -l <"$HERR")" -eq 1 ] || { cat "$HERR"; fail "prepare without daemon: more than one line"; }
say "ok: prepare without daemon: one warning line"
hook -- anon-gpu release end shutdown </dev/null
grep -q "warning: anon-gpu: release: not done: prezerod not running" "$HERR" ||
	{ cat "$HERR"; fail "release without daemon: no warning"; }
say "ok: release without daemon warns"
# Bad input is one warning and exit 0 too.
for f in "$DOMS"/bad-*.xml; do
	hook -- guest start begin - <"$f"
	[ "$RC" -eq 0 ] || fail "$(basename "$f"): exit $RC"
	[ "$(wc -l <"$HERR")" -eq 1 ] && grep -q '^prezero-hook: warning: guest: start begin: .*; nothing done$' "$HERR" ||
		{ cat "$HERR"; fail "$(basename "$f"): not one warning line"; }
done
say "ok: every bad XML is one warning line, exit 0"
printf 'memory_backing_dir = [\n' >"$PZ_TMP/broken.conf"
hook PREZERO_QEMU_CONF="$PZ_TMP/broken.conf" -- vm-file start begin - <"$DOMS/file-vfio.xml"
[ "$RC" -eq 0 ] || fail "broken qemu.conf: exit $RC"
grep -q "warning: vm-file: $PZ_TMP/broken.conf: line 2: " "$HERR" ||
	{ cat "$HERR"; fail "broken qemu.conf: no warning with file and line"; }
say "ok: a broken qemu.conf is a warning, exit 0"
hook PREZERO_HOOK_DEADLINE_MS=soon -- vm-file stopped end - </dev/null
[ "$RC" -eq 0 ] && grep -q 'PREZERO_HOOK_DEADLINE_MS="soon" is not a number' "$HERR" ||
	{ cat "$HERR"; fail "a bad deadline: exit $RC or no warning"; }
say "ok: a bad PREZERO_HOOK_DEADLINE_MS is a warning"
# Usage errors are not hook calls.
hook -- a b c </dev/null
[ "$RC" -eq 2 ] || fail "three arguments: exit $RC, expected 2"
hook -- --help
[ "$RC" -eq 0 ] && grep -q '^Usage: prezero-hook' "$HOUT" || fail "--help"
# A guest called --plan or --help is still a guest.
hook -- --plan start begin - <"$DOMS/file-vfio.xml"
[ "$RC" -eq 0 ] && [ ! -s "$HOUT" ] || fail "a guest called --plan: exit $RC or output"
say "ok: usage, and guests named like options"

# ---- 2. a daemon that never answers, a writer that never finishes -------

FAKE=$PZ_TMP/fake.py
cat >"$FAKE" <<'EOF'
# fake prezerod: MODE silent (accept, read, never answer), record (answer
# every request line with an unknown-command error and append it to LOG)
# or ok (answer as proto/control.md says a success looks)
import json, os, socket, sys, threading
mode, path = sys.argv[1], sys.argv[2]
log = sys.argv[3] if len(sys.argv) > 3 else None
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(16)
def serve(c):
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            return
        if mode == "silent":
            continue
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            req = json.loads(line)
            if mode == "ok":
                r = {"ok": True}
                if req["cmd"] == "pool-claim":
                    r.update(path=req["path"], node=0, size=req["size"],
                             file_bytes=1 << 30, page_size=4096, **{"for": req["for"]})
                elif req["cmd"] == "vm-prepare":
                    r["nodes"] = [{"node": n["node"], "size": n["size"],
                                   "backing": req["backing"], "free_bytes": 1 << 34,
                                   "chunk_bytes": 2 << 20,
                                   "servable_bytes": n["size"] // 2,
                                   "short_bytes": n["size"] - n["size"] // 2,
                                   "compacted": True, "hugetlb_added_pages": 0,
                                   "hugetlb_free_pages": 0, "priority_s": 30,
                                   "actions": ["compacted", "priority 30 s"]}
                                  for n in req["nodes"]]
                else:
                    r["refill_bytes"] = 3 << 30
                c.sendall(json.dumps(r).encode() + b"\n")
                continue
            with open(log, "ab") as f:
                f.write(line + b"\n")
            r = {"ok": False, "error": {"code": "unknown-command",
                 "message": "fake: " + req["cmd"]}}
            c.sendall(json.dumps(r).encode() + b"\n")
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF

say "part 2: a prezerod that never answers"
SILENT=$PZ_TMP/silent.sock
spawn python3 "$FAKE" silent "$SILENT"
wait_for 10 "the fake daemon's socket" test -S "$SILENT"
for dl in 1000 ""; do
	want=${dl:-2000}
	hook ${dl:+PREZERO_HOOK_DEADLINE_MS=$dl} PREZERO_SOCKET="$SILENT" -- \
		numa-file start begin - <"$DOMS/file-numa-memnode.xml"
	[ "$RC" -eq 0 ] || { cat "$HERR"; fail "silent daemon: exit $RC"; }
	[ "$ELAPSED" -lt $((want + 3000)) ] ||
		fail "silent daemon: took $ELAPSED ms with a deadline of $want ms"
	grep -q "did not answer within the hook's deadline of $want ms" "$HERR" ||
		{ cat "$HERR"; fail "silent daemon: no timeout warning"; }
	# both claims are reported as not done
	[ "$(grep -c 'not done' "$HERR")" -eq 2 ] || { cat "$HERR"; fail "silent daemon: not two warnings"; }
	say "ok: silent daemon, deadline $want ms: exit 0 after $ELAPSED ms"
done
hook PREZERO_HOOK_DEADLINE_MS=800 PREZERO_SOCKET="$SILENT" -- huge2m prepare begin - <"$DOMS/hugepages-2m.xml"
[ "$RC" -eq 0 ] && [ "$ELAPSED" -lt 3800 ] || fail "silent daemon, prepare: exit $RC after $ELAPSED ms"
say "ok: silent daemon, prepare: exit 0 after $ELAPSED ms"

say "part 2: an XML writer that never finishes"
FIFO=$PZ_TMP/xml.fifo
mkfifo "$FIFO"
# the writer holds the pipe open for longer than the deadline
spawn bash -c "head -c 200 '$DOMS/file-vfio.xml' >'$FIFO.part'; { cat '$FIFO.part'; exec sleep 30; } >'$FIFO'"
hook PREZERO_HOOK_DEADLINE_MS=700 -- vm-file start begin - <"$FIFO"
[ "$RC" -eq 0 ] && [ "$ELAPSED" -lt 3700 ] || fail "stalled stdin: exit $RC after $ELAPSED ms"
grep -q "no complete domain XML on stdin within 700 ms" "$HERR" || { cat "$HERR"; fail "stalled stdin: no warning"; }
kill "$DPID" 2>/dev/null
say "ok: stalled stdin: exit 0 after $ELAPSED ms"

say "part 2: what goes over the wire is the plan"
REC=$PZ_TMP/record.sock
RLOG=$PZ_TMP/requests.log
spawn python3 "$FAKE" record "$REC" "$RLOG"
wait_for 10 "the recording fake's socket" test -S "$REC"
for c in "numa-file start file-numa-memnode" "anon-split prepare anon-split" \
	 "huge1g prepare hugepages-1g" "vm-file release file-vfio"; do
	read -r name op file <<<"$c"
	sub=begin
	[ "$op" = release ] && sub=end
	: >"$RLOG"
	hook PREZERO_SOCKET="$REC" -- "$name" "$op" "$sub" - <"$DOMS/$file.xml"
	[ "$RC" -eq 0 ] || fail "$file $op: exit $RC"
	grep -q "not done: unknown-command: fake: " "$HERR" || { cat "$HERR"; fail "$file $op: refusal not reported"; }
	hook -- --plan "$name" "$op" "$sub" - <"$DOMS/$file.xml"
	python3 - "$HOUT" "$RLOG" <<'EOF' || fail "$file $op: the requests sent differ from --plan"
import json, sys
plan = json.load(open(sys.argv[1]))
sent = [json.loads(l) for l in open(sys.argv[2])]
if plan != sent or not plan:
    print("plan:", plan, "\nsent:", sent)
    sys.exit(1)
EOF
	say "ok: $file $op: $(wc -l <"$RLOG") request(s) sent, as planned, each refusal a warning"
done

say "part 2: what the hook says about successful replies"
OKS=$PZ_TMP/ok.sock
spawn python3 "$FAKE" ok "$OKS"
wait_for 10 "the answering fake's socket" test -S "$OKS"
hook PREZERO_SOCKET="$OKS" -- anon-split prepare begin - <"$DOMS/anon-split.xml"
[ "$RC" -eq 0 ] || fail "prepare with answers: exit $RC"
for n in 0 1 2; do
	grep -q "^prezero-hook: anon-split: prepare anon: node $n: 1.00 GiB wanted, 512.00 MiB servable, 512.00 MiB short; compacted, priority 30 s$" "$HERR" ||
		{ cat "$HERR"; fail "prepare: no line for node $n"; }
done
[ "$(wc -l <"$HERR")" -eq 3 ] || { cat "$HERR"; fail "prepare: not one line per node"; }
hook PREZERO_SOCKET="$OKS" -- numa-file start begin - <"$DOMS/file-numa-memnode.xml"
grep -q "^prezero-hook: numa-file: claim cell 1 (2.00 GiB, node 0) to $RAMDIR/12-numa-file/ram-node1: done: node 0, 2.00 GiB, from a pool file of 1.00 GiB$" "$HERR" &&
	[ "$(wc -l <"$HERR")" -eq 2 ] || { cat "$HERR"; fail "start: not one line per claim"; }
hook PREZERO_SOCKET="$OKS" -- numa-file release end destroyed </dev/null
grep -q "^prezero-hook: numa-file: release: done: the pool refills 3.00 GiB$" "$HERR" ||
	{ cat "$HERR"; fail "release: no line"; }
say "ok: one log line per action done"

# ---- 3. migrate and restore pass the XML through -------------------------

say "part 3: migrate and restore echo their input"
head -c 100000 /dev/urandom >"$PZ_TMP/random.bin"
python3 -c 'import sys; sys.stdout.write("<domain>" + "x" * (20 << 20) + "</domain>\n")' >"$PZ_TMP/big.xml"
: >"$PZ_TMP/empty.xml"
for f in "$DOMS"/*.xml "$PZ_TMP/random.bin" "$PZ_TMP/big.xml" "$PZ_TMP/empty.xml"; do
	for op in migrate restore; do
		hook -- guest "$op" begin - <"$f"
		[ "$RC" -eq 0 ] || fail "$op $(basename "$f"): exit $RC"
		cmp -s "$f" "$HOUT" || fail "$op $(basename "$f"): output differs from input"
		[ ! -s "$HERR" ] || { cat "$HERR"; fail "$op $(basename "$f"): said something"; }
	done
done
say "ok: migrate and restore echo every input byte for byte (data set, random bytes, 20 MiB, empty)"

# ---- 4. --plan ----------------------------------------------------------

say "part 4: --plan over the data set"
ONLINE=$(cat /sys/devices/system/node/online 2>/dev/null || echo 0)
HPS=$(awk '/^Hugepagesize:/ { print $2 * 1024 }' /proc/meminfo)
export ONLINE HPS RAMDIR DOMS HOOK

# plan_expect: the expected plans, computed here from the facts above
cat >"$PZ_TMP/expect.py" <<'EOF'
import os
G = 1 << 30
M = 1 << 20
ram = os.environ["RAMDIR"]
online = []
for part in os.environ["ONLINE"].strip().split(","):
    a, _, b = part.partition("-")
    online += range(int(a), int(b or a) + 1)
hps = int(os.environ["HPS"] or 0)
huge = {2 * M: "hugetlb-2M", G: "hugetlb-1G"}.get(hps)

def claim(name, node, size, path):
    return {"cmd": "pool-claim", "node": node, "size": size,
            "path": ram + "/" + path, "uid": 4242, "gid": 4343,
            "mode": 0o600, "for": name}

def prep(name, backing, nodes):
    return {"cmd": "vm-prepare",
            "nodes": [{"node": n, "size": s} for n, s in nodes],
            "backing": backing, "for": name}

def everywhere(size):
    return [(n, size) for n in online]

# file -> (name, start plan, prepare plan, a warning that start gives)
EXPECT = {
    "file-vfio": ("vm-file",
                  [claim("vm-file", "any", 4 * G, "7-vm-file/pc.ram")], [], None),
    "file-numa-memnode": ("numa-file",
                          [claim("numa-file", 1, 4 * G, "12-numa-file/ram-node0"),
                           claim("numa-file", 0, 2 * G, "12-numa-file/ram-node1")],
                          [], None),
    "file-numa-any": ("numa-any",
                      [claim("numa-any", "any", G, "3-numa-any/ram-node0")], [],
                      "cell 1 is mapped private"),
    "file-multinode": ("spread", [], [], "bound to host nodes 0,2"),
    "file-noid": ("stopped", [], [], "has no id"),
    "hugepages-2m": ("huge2m", [], [prep("huge2m", "hugetlb-2M", [(0, 8 * G)])], None),
    "hugepages-1g": ("huge1g", [],
                     [prep("huge1g", "hugetlb-1G", [(0, 2 * G), (1, 3 * G)])], None),
    "hugepages-default": ("huge-default", [],
                          [prep("huge-default", huge, everywhere(2 * G))] if huge else [],
                          None),
    "anon-vfio": ("anon-gpu", [], [prep("anon-gpu", "anon", everywhere(16 * G))], None),
    "anon-split": ("anon-split", [],
                   [prep("anon-split", "anon", [(0, 1073742166), (1, 1073742166),
                                                (2, 1073742166)])], None),
    "anon-plain": ("plain", [], [], None),
    "memfd-locked": ("memfd", [], [prep("memfd", "anon", everywhere(1000000512))], None),
    "aarch64-virt": ("arm", [claim("arm", "any", 2 * G, "40-arm/mach-virt.ram")], [], None),
    "unknown-machine": ("xenfv", [], [], "machine 'xenfv' (x86_64)"),
    "long-name": ("a-very-long-domain-name-for-testing-truncation",
                  [claim("a-very-long-domain-name-for-testing-truncation", "any", G,
                         "1234-a-very-long-domain-n/pc.ram")], [], None),
    "entities": ("a&bA", [], [], None),
}
EOF

python3 - <<'EOF' || fail "--plan differs from the expectations (above)"
import json, os, subprocess, sys
exec(open(os.environ["PZ_TMP"] + "/expect.py").read())
hook, doms = os.environ["HOOK"], os.environ["DOMS"]
bad = 0

def plan(name, op, sub, xml):
    p = subprocess.run([hook, "--plan", name, op, sub, "-"], input=xml,
                       capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()

for f, (name, start, prepare, warning) in sorted(EXPECT.items()):
    xml = open(f"{doms}/{f}.xml", "rb").read()
    for op, sub, want in (("start", "begin", start), ("prepare", "begin", prepare),
                          ("release", "end", [{"cmd": "vm-release", "for": name}]),
                          ("stopped", "end", []), ("reconnect", "begin", []),
                          ("migrate", "begin", [])):
        rc, out, err = plan(name, op, sub, xml)
        got = json.loads(out) if rc == 0 else None
        if rc != 0 or got != want:
            print(f"FAIL {f} {op}: rc {rc}\n  got  {got}\n  want {want}\n  {err}")
            bad += 1
        if op == "start" and warning and warning not in err:
            print(f"FAIL {f} start: stderr lacks {warning!r}: {err}")
            bad += 1
        if op == "start" and not warning and "warning" in err:
            print(f"FAIL {f} start: unexpected warning: {err}")
            bad += 1
print(f"# {len(EXPECT)} files x 6 operations planned")
# every data file is covered above or is a bad one
covered = set(EXPECT) | {"multibyte-name"}
for x in os.listdir(doms):
    b = x[:-4]
    if not b.startswith("bad-") and b not in covered:
        print(f"FAIL {x}: no expectation")
        bad += 1
# bad input: exit 1, the reason on stderr, nothing on stdout
for x in sorted(os.listdir(doms)):
    if not x.startswith("bad-"):
        continue
    rc, out, err = plan("guest", "start", "begin", open(f"{doms}/{x}", "rb").read())
    if rc != 1 or out or not err.startswith("prezero-hook: guest: "):
        print(f"FAIL {x}: rc {rc} out {out!r} err {err!r}")
        bad += 1
sys.exit(1 if bad else 0)
EOF
say "ok: --plan matches for every file and operation; bad input exits 1"

# Multibyte names: libvirtd's locale decides; the directory that exists tells.
MB=$DOMS/multibyte-name.xml
MBNAME=$(name_of "$MB")
BYTES_DIR=$(python3 -c 'import sys; n = sys.argv[1].encode(); sys.stdout.buffer.write(b"9-" + n[:20])' "$MBNAME")
UTF8_DIR=$(python3 -c 'import sys; print("9-" + sys.argv[1][:20])' "$MBNAME")
[ "$BYTES_DIR" != "$UTF8_DIR" ] || fail "the multibyte name does not tell the rules apart"
mb_plan() {
	hook -- --plan "$MBNAME" start begin - <"$MB"
	[ "$RC" -eq 0 ] || { cat "$HERR"; fail "multibyte: exit $RC"; }
}
mb_plan
[ "$(jget "$HOUT" 'len(d)')" = 0 ] && grep -q "neither of" "$HERR" ||
	{ cat "$HOUT" "$HERR"; fail "multibyte, no directory: a claim or no warning"; }
mkdir "$RAMDIR/$UTF8_DIR"
mb_plan
expect_eq "$(jget "$HOUT" 'd[0]["path"]')" "$RAMDIR/$UTF8_DIR/pc.ram" "multibyte, libvirtd in UTF-8: the path"
mkdir "$RAMDIR/$BYTES_DIR"
mb_plan
[ "$(jget "$HOUT" 'len(d)')" = 0 ] && grep -q "both" "$HERR" ||
	{ cat "$HOUT" "$HERR"; fail "multibyte, both directories: a claim or no warning"; }
rmdir "$RAMDIR/$UTF8_DIR"
mb_plan
expect_eq "$(jget "$HOUT" 'd[0]["path"]')" "$RAMDIR/$BYTES_DIR/pc.ram" "multibyte, libvirtd in C: the path"

# qemu.conf: defaults, unknown users, bad files.
hook PREZERO_QEMU_CONF="$PZ_TMP/missing.conf" -- --plan vm-file start begin - <"$DOMS/file-vfio.xml"
if getent passwd libvirt-qemu >/dev/null && getent group libvirt-qemu >/dev/null; then
	expect_eq "$(jget "$HOUT" 'd[0]["path"]')" "/var/lib/libvirt/qemu/ram/7-vm-file/pc.ram" "no qemu.conf: Debian's default directory"
	expect_eq "$(jget "$HOUT" 'd[0]["uid"]')" "$(id -u libvirt-qemu)" "no qemu.conf: libvirt-qemu's uid"
else
	[ "$RC" -eq 0 ] && [ "$(jget "$HOUT" 'len(d)')" = 0 ] && grep -q 'QEMU.s user "libvirt-qemu" .*no such user' "$HERR" ||
		{ cat "$HOUT" "$HERR"; fail "no qemu.conf, no libvirt-qemu user: not a warning"; }
	say "ok: no qemu.conf and no libvirt-qemu user here: warned, nothing claimed"
fi
printf 'user = "root"\ngroup = "nogroup"\n' >"$PZ_TMP/names.conf"
hook PREZERO_QEMU_CONF="$PZ_TMP/names.conf" -- --plan vm-file start begin - <"$DOMS/file-vfio.xml"
expect_eq "$(jget "$HOUT" '[d[0]["uid"], d[0]["gid"]]')" "[0, $(getent group nogroup | cut -d: -f3)]" "qemu.conf names: resolved"
hook PREZERO_QEMU_CONF="$PZ_TMP/broken.conf" -- --plan vm-file start begin - <"$DOMS/file-vfio.xml"
[ "$RC" -eq 1 ] && [ ! -s "$HOUT" ] || fail "--plan with a broken qemu.conf: exit $RC"
say "ok: --plan with a broken qemu.conf exits 1"
printf 'memory_backing_dir = "relative/ram"\n' >"$PZ_TMP/rel.conf"
hook PREZERO_QEMU_CONF="$PZ_TMP/rel.conf" -- --plan vm-file start begin - <"$DOMS/file-vfio.xml"
[ "$RC" -eq 0 ] && [ "$(jget "$HOUT" 'len(d)')" = 0 ] && grep -q 'not an absolute path' "$HERR" ||
	{ cat "$HERR"; fail "a relative memory_backing_dir"; }
say "ok: a relative memory_backing_dir is refused"
