#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# packaging/prezerod.service against the real daemon: the unit passes
# systemd-analyze verify; prezerod works with no more than the unit's
# CapabilityBoundingSet= and NoNewPrivileges=, and every system call and
# socket family it uses (traced with strace through a bit of everything)
# is allowed by the unit's SystemCallFilter= and RestrictAddressFamilies=,
# so systemd's seccomp filter never kills it. The bit of everything
# includes a warm pool on tmpfs (/dev/shm) and a claim into a directory of
# another user with mode 0700, as libvirt makes them: the claim's chown,
# chmod and rename need the unit's capabilities and its fchown. No
# systemd is needed.
# pz-timeout: 240
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=pool-lib.sh
. "$(dirname "$0")/pool-lib.sh"
need systemd-analyze strace setpriv
[ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] || fail "/dev/shm is not a tmpfs"
SHM=$(mktemp -d /dev/shm/pzt-unit.XXXXXX)
trap 'rm -rf "$SHM"; _cleanup' EXIT

UNIT=$PZ_REPO/packaging/prezerod.service
[ -f "$UNIT" ] || fail "no $UNIT"

# unit_values KEY: every value of KEY= in the unit, one per line.
unit_values() { sed -n "s/^$1=//p" "$UNIT"; }

# 1. systemd-analyze verify, with ExecStart= naming the built daemon.
mkdir -p "$PZ_TMP/unit"
sed "s|@CMAKE_INSTALL_FULL_SBINDIR@/prezerod|$PREZEROD|" "$UNIT" >"$PZ_TMP/unit/prezerod.service"
cp "$PZ_REPO/packaging/prezerod.socket" "$PZ_TMP/unit/"
grep -q '@[A-Z_]*@' "$PZ_TMP/unit/prezerod.service" && fail "unsubstituted @VAR@ in the unit"
run systemd-analyze verify --man=no "$PZ_TMP/unit/prezerod.service" "$PZ_TMP/unit/prezerod.socket"
expect_rc 0 "systemd-analyze verify"
[ ! -s "$OUT" ] || { cat "$OUT"; fail "systemd-analyze verify complained"; }
say "ok: systemd-analyze verify is clean"

# 2. The unit's capabilities and no_new_privs.
caps=$(unit_values CapabilityBoundingSet | tr ' ' '\n' | sed -n 's/^CAP_//p' |
	tr '[:upper:]' '[:lower:]' | sed 's/^/+/' | paste -sd, -)
[ -n "$caps" ] || fail "no CapabilityBoundingSet= in the unit"
say "bounding set of the unit: $caps"
grep -q '^NoNewPrivileges=yes' "$UNIT" || fail "the unit lacks NoNewPrivileges=yes"
families=$(unit_values RestrictAddressFamilies)
[ -n "$families" ] || fail "no RestrictAddressFamilies= in the unit"

{
	conf_head
	printf 'interval_ms = 100\nadmin_group = 0\n[policy]\npsi_trigger_ms = 100\n'
	printf '[pool]\ndir = %s/pool\ntarget = 8M\nfile_size = 8M\nfill_rate = 1G\n' "$SHM"
	printf 'reserve_pct = 0\nhugetlb_overcommit = no\nstate_file = %s/pool.json\n' "$PZ_TMP"
} >"$CONF"
STR=$PZ_TMP/strace.txt
spawn setpriv --bounding-set=-all,"$caps" --inh-caps=-all --no-new-privs \
	strace -f -qq -o "$STR" "$PREZEROD" --config "$CONF"
wait_ready
status_json
S=$PZ_TMP/status.json
dpid=$(jget "$S" 'd["daemon"]["pid"]')
grep -q '^CapBnd:[[:space:]]*0*[0-9a-f]*$' "/proc/$dpid/status" || fail "no /proc/$dpid/status"
say "prezerod $dpid: $(grep -E '^(CapEff|CapBnd|NoNewPrivs)' "/proc/$dpid/status" | tr -s '\t\n' '  ')"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$dpid/status" || fail "prezerod runs without no_new_privs"
expect_eq "$(jget "$S" 'd["daemon"]["state"]')" degraded "daemon.state with the unit's capabilities"
# The PSI trigger is armed exactly when a probe with the same privileges
# can arm one.
if [ -r /proc/pressure/memory ]; then
	if psi_trigger_possible 100 setpriv --bounding-set=-all,"$caps" \
		--inh-caps=-all --no-new-privs; then
		want=true
	else
		want=false
	fi
	expect_eq "$(jget "$S" 'd["pressure"]["memory_trigger"]')" $want "memory trigger with the unit's capabilities"
fi

# A bit of everything, for the trace.
ctl status
expect_rc 0 "status"
ctl config show --json
expect_rc 0 "config show"
ctl node 0 disable
expect_rc 0 "node 0 disable"
ctl node 0 reset
expect_rc 0 "node 0 reset"
ctl reload
expect_rc 0 "reload"
kill -HUP "$dpid"
printf 'nonsense\n' >"$PZ_TMP/bad"
run python3 "$RAWCLIENT" send "$SOCK" <"$PZ_TMP/bad"
expect_out 'bad-json' "bad-json"
python3 -c 'import sys; sys.stdout.buffer.write(b"z" * 70000 + b"\n")' >"$PZ_TMP/big"
run python3 "$RAWCLIENT" send "$SOCK" --close <"$PZ_TMP/big"
expect_out 'too-large' "too-large"
run python3 "$RAWCLIENT" busy "$SOCK" 65
expect_out '^served=64 refused=1' "busy"
run python3 "$RAWCLIENT" idle "$SOCK" --timeout 40
expect_out '^CLOSED$' "idle client closed"
status_after() { ctl status && [ "$RC" -eq 0 ]; }
wait_for 10 "status after the busy test" status_after

# The pool: a claim into a per-domain directory as libvirt makes it
# (owned by the qemu user, mode 0700), for that user.
N=$(jget "$S" 'd["nodes"][0]["id"]')
wait_full "$N" 60
DOM=$SHM/ram/1-vm
mkdir -p "$DOM"
chown 4242:4343 "$DOM"
chmod 0700 "$DOM"
claim "$N" $((8 << 20)) "$DOM/pc.ram" 4242 4343 $((8#600))
expect_reply_ok "pool claim into a 0700 directory of uid 4242"
expect_eq "$(stat -c '%u:%g %a' "$DOM/pc.ram")" "4242:4343 600" "claimed file's owner and mode"

kill -TERM "$dpid"
daemon_wait "$DPID"
expect_eq "$RC" 0 "exit status under the unit's restrictions"

# 3. System calls and socket families against the unit's filters.
filters=$(unit_values SystemCallFilter | paste -sd'|' -)
[ -n "$filters" ] || fail "no SystemCallFilter= in the unit"
systemd-analyze syscall-filter >"$PZ_TMP/groups.txt" 2>/dev/null
run python3 - "$STR" "$PZ_TMP/groups.txt" "$filters" "$families" <<'EOF'
import re, sys
trace, groups_file, filters, families = sys.argv[1:5]

# The groups: "@name" then indented members (syscalls or @groups).
groups, cur = {}, None
for line in open(groups_file):
    if line.startswith("@"):
        cur = groups.setdefault(line.split()[0], set())
    elif cur is not None and line.strip() and not line.strip().startswith("#"):
        cur.add(line.split()[0])

def expand(item, seen=()):
    if not item.startswith("@"):
        return {item}
    if item not in groups:
        sys.exit(f"unknown syscall group {item}")
    out = set()
    for m in groups[item]:
        if m not in seen:
            out |= expand(m, seen + (item,))
    return out

# systemd.exec(5): the first line decides whether it is an allow list;
# each later line adds to or removes from that one set, in order (an
# allow list's "~" line removes, a plain line adds back). @default is
# always allowed with an allow list.
allowed, denied, allow_list = set(), set(), None
for f in filters.split("|"):
    deny = f.startswith("~")
    if allow_list is None:
        allow_list = not deny
    items = set()
    for item in f.lstrip("~").split():
        items |= expand(item)
    if allow_list:
        if deny:
            allowed -= items
        else:
            allowed |= items
    else:
        if deny:
            denied |= items
        else:
            denied -= items
if allow_list:
    allowed |= expand("@default")

used, fams = set(), set()
for line in open(trace):
    m = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
    if m and not line.split(None, 1)[1].startswith(("+++", "---")):
        used.add(m.group(1))
    m = re.search(r"\bsocket\((AF_[A-Z0-9]+)", line)
    if m:
        fams.add(m.group(1))
if not used:
    sys.exit("no system call in the trace")
print("used:", " ".join(sorted(used)))
print("families:", " ".join(sorted(fams)))
bad = sorted(s for s in used if (allow_list and s not in allowed) or s in denied)
badf = sorted(fams - set(families.split()))
if bad:
    print("NOT ALLOWED:", " ".join(bad))
if badf:
    print("FAMILIES NOT ALLOWED:", " ".join(badf))
sys.exit(1 if bad or badf else 0)
EOF
cat "$OUT"
expect_rc 0 "every system call and socket family is allowed by the unit"
