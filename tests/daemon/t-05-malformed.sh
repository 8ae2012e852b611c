#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# Malformed requests over a raw socket: each gets its error code and
# changes nothing; too-large and busy close the connection; an idle or
# half-sent request never blocks other clients and is closed after 10 s.
# Afterwards the daemon is alive and serves status.
# pz-timeout: 240
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

conf_head >"$CONF"
daemon_start

# raw DATA [ARGS]: send DATA (printf format) on a new connection.
raw() {
	local data=$1
	shift
	# shellcheck disable=SC2059 # data is a printf format on purpose
	run python3 "$RAWCLIENT" send "$SOCK" "$@" < <(printf -- "$data")
	[ "$RC" -eq 0 ] || { cat "$OUT"; fail "rawclient failed ($RC)"; }
}

# Mismatches of the error cases are collected, so one run lists them all.
MISMATCH=()

# error_code LINE: "code" of an error reply line, "ok" for a success, or
# "?" when the line is not a reply with a message.
error_code() {
	printf '%s' "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if d["ok"] is True:
    print("ok")
elif isinstance(d["error"]["message"], str) and d["error"]["message"]:
    print(d["error"]["code"])
else:
    print("?")' 2>/dev/null || echo "?"
}

# expect_error CODE DESC: the (first) reply line is an error CODE (or one
# of "code1|code2") with a message; a mismatch is recorded.
expect_error() {
	local line code
	line=$(grep -m1 '^{' "$OUT")
	code=$(error_code "$line")
	if [[ $code =~ ^($1)$ ]]; then
		say "ok: $2: $code"
	else
		say "MISMATCH: $2: got $code, expected $1: ${line:-no reply}"
		MISMATCH+=("$2: got $code, expected $1: ${line:-no reply}")
	fi
}

check_mismatch() {
	[ ${#MISMATCH[@]} -eq 0 ] && return 0
	printf 'MISMATCH: %s\n' "${MISMATCH[@]}"
	fail "${#MISMATCH[@]} request(s) answered wrongly (see MISMATCH lines)"
}

# Each error leaves the connection usable: a ping follows on the same one.
# case_err CODE DESC DATA: DATA (one line) then a ping with id 42.
case_err() {
	local second
	raw "$3"'{"cmd":"ping","id":42}\n' --replies 2
	expect_error "$1" "$2"
	second=$(grep '^{' "$OUT" | sed -n 2p)
	if [ "$(printf '%s' "$second" | jget - '(d["ok"], d["id"])' 2>/dev/null)" = '[true, 42]' ]; then
		say "ok: $2: the connection still serves"
	else
		MISMATCH+=("$2: no ping reply after the error: $(tr '\n' ' ' <"$OUT")")
	fi
}

case_err bad-json "not JSON" 'hello\n'
case_err bad-json "a JSON array" '[{"cmd":"ping"}]\n'
case_err bad-json "a JSON string" '"ping"\n'
case_err bad-json "a number" '42\n'
case_err bad-json "trailing data after the object" '{"cmd":"ping"} x\n'
case_err bad-json "two objects on one line" '{"cmd":"ping"}{"cmd":"ping"}\n'
case_err bad-json "an unterminated object" '{"cmd":"ping"\n'
case_err bad-json "binary garbage" '\x00\xff\xfe\x01\x7f\x80garbage\x1b[0m\n'
case_err bad-json "a NUL after the object" '{"cmd":"ping"}\x00\n'
case_err bad-request "no cmd" '{"id":1}\n'
case_err bad-request "cmd not a string" '{"cmd":5}\n'
case_err bad-request "cmd null" '{"cmd":null}\n'
case_err unknown-command "an unknown cmd" '{"cmd":"frobnicate"}\n'
case_err unknown-command "a cmd with different case" '{"cmd":"STATUS"}\n'
case_err bad-request "an unknown member" '{"cmd":"status","bogus":1}\n'
case_err bad-request "status node a string" '{"cmd":"status","node":"0"}\n'
case_err "bad-request|no-such-node" "status node negative" '{"cmd":"status","node":-1}\n'
case_err bad-request "status node a fraction" '{"cmd":"status","node":0.5}\n'
case_err no-such-node "status node 999" '{"cmd":"status","node":999}\n'
case_err bad-request "ping with a member" '{"cmd":"ping","node":0}\n'
case_err bad-request "node-set without a change" '{"cmd":"node-set","node":0}\n'
case_err bad-request "node-set without node" '{"cmd":"node-set","enabled":false}\n'
case_err bad-request "node-set enabled a string" '{"cmd":"node-set","node":0,"enabled":"no"}\n'
case_err bad-request "node-set rate a string" '{"cmd":"node-set","node":0,"rate":"1G"}\n'
case_err bad-request "node-set rate negative" '{"cmd":"node-set","node":0,"rate":-1}\n'
case_err bad-request "node-set rate above 2^40" '{"cmd":"node-set","node":0,"rate":1099511627777}\n'
case_err bad-request "node-set burst a fraction" '{"cmd":"node-set","node":0,"burst":1.5}\n'
case_err bad-request "node-set reset with enabled" '{"cmd":"node-set","node":0,"reset":true,"enabled":true}\n'
case_err bad-request "node-set node \"some\"" '{"cmd":"node-set","node":"some","enabled":false}\n'
case_err no-such-node "node-set node 999" '{"cmd":"node-set","node":999,"enabled":false}\n'
case_err "bad-request|no-such-node" "node-set node -1" '{"cmd":"node-set","node":-1,"enabled":false}\n'
case_err bad-request "reload with a member" '{"cmd":"reload","force":true}\n'

# Nothing above changed anything: no override anywhere.
config_json
expect_eq "$(jget "$PZ_TMP/config.json" 'd["overrides"]')" "[]" "no override after the bad requests"

# ids are echoed whatever they are; blank lines are ignored; several
# requests on one connection are answered in order.
raw '\n\n{"cmd":"ping","id":[1,"a",{"b":null}]}\n\n{"cmd":"ping","id":"two"}\n' --replies 2
expect_eq "$(grep '^{' "$OUT" | sed -n 1p | jget - 'd["id"]')" '[1, "a", {"b": null}]' "structured id echoed"
expect_eq "$(grep '^{' "$OUT" | sed -n 2p | jget - 'd["id"]')" two "second reply in order"
expect_eq "$(grep '^{' "$OUT" | sed -n 1p | jget - 'd["pid"]')" "$DPID" "ping pid"

# A request split over several writes is still one request.
python3 - "$SOCK" <<'EOF' >"$OUT" 2>&1
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for part in (b'{"cmd":', b'"ping",', b'"id":7}', b"\n"):
    s.sendall(part)
    time.sleep(0.05)
s.settimeout(10)
print(s.makefile("rb").readline().decode().strip())
EOF
expect_eq "$(jget "$OUT" '(d["ok"], d["id"])')" '[true, 7]' "a request in pieces"

# The size limit: 65536 bytes pass, 65537 are too large and close.
run python3 "$RAWCLIENT" sized "$SOCK" 65536
expect_eq "$(grep -m1 '^{' "$OUT" | jget - 'd["ok"]')" true "a 65536-byte request"
run python3 "$RAWCLIENT" sized "$SOCK" 65537 --close
expect_error too-large "a 65537-byte request"
expect_out '^CLOSED$' "the connection is closed after too-large"
# A 70000-byte line, and one without a newline at all.
python3 -c 'import sys; sys.stdout.buffer.write(b"x" * 70000 + b"\n")' >"$PZ_TMP/big"
run python3 "$RAWCLIENT" send "$SOCK" --close <"$PZ_TMP/big"
expect_error too-large "a 70000-byte line"
expect_out '^CLOSED$' "the connection is closed after a 70000-byte line"
python3 -c 'import sys; sys.stdout.buffer.write(b"{" * 200000)' >"$PZ_TMP/big"
run python3 "$RAWCLIENT" send "$SOCK" --close <"$PZ_TMP/big"
expect_error too-large "200000 bytes without a newline"
expect_out '^CLOSED$' "the connection is closed after 200000 bytes"

# Clients that send nothing, or half a request, do not hold up others,
# and are closed after the idle timeout (10 s; waited for at most 40 s).
python3 "$RAWCLIENT" idle "$SOCK" --timeout 40 >"$PZ_TMP/idle1" 2>&1 &
idle1=$!
echo $idle1 >>"$PIDS"
python3 "$RAWCLIENT" idle "$SOCK" --data '{"cmd":"sta' --timeout 40 >"$PZ_TMP/idle2" 2>&1 &
idle2=$!
echo $idle2 >>"$PIDS"
both_open() { grep -q open "$PZ_TMP/idle1" && grep -q open "$PZ_TMP/idle2"; }
wait_for 10 "both idle clients connected" both_open
for i in 1 2 3; do
	ctl status
	expect_rc 0 "status $i while two clients idle"
done
wait $idle1
wait $idle2
cat "$PZ_TMP/idle1" >"$OUT"
expect_out '^CLOSED$' "a silent client is closed"
cat "$PZ_TMP/idle2" >"$OUT"
expect_out '^CLOSED$' "a half request is closed"
expect_no_out '^\{' "a half request gets no reply"

# 70 connections at once: 64 are served, 6 refused with busy and closed.
run python3 "$RAWCLIENT" busy "$SOCK" 70
[ "$RC" -eq 0 ] || { cat "$OUT"; fail "rawclient busy failed"; }
expect_out '^served=64 refused=6 codes=busy$' "64 served, 6 busy"

# Afterwards (the daemon may take a moment to see the 70 closes).
status_after() { ctl status && [ "$RC" -eq 0 ]; }
wait_for 10 "status after the busy test" status_after
pid_alive "$DPID" || fail "prezerod died"
ctl status
expect_rc 0 "status after everything"
expect_out 'module not loaded' "status is whole"
check_mismatch
daemon_stop
