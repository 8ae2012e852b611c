#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-3-Clause
# Peer credentials: an unprivileged peer may read but not change; root may
# change; with admin_group, a member (supplementary or primary group) may
# change and a non-member still may not. Uses nobody (65534) and an
# existing system group; creates no user or group.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need setpriv

NOBODY=65534
# A group to be admin: adm if the host has it, else the first system group
# other than root's and nobody's.
group=$(getent group adm | cut -d: -f1)
[ -n "$group" ] || group=$(getent group | awk -F: '$3 > 0 && $3 < 1000 { print $1; exit }')
[ -n "$group" ] || fail "no system group on this host to use as admin_group"
gid=$(getent group "$group" | cut -d: -f3)
# A group that is not it.
other=$(getent group | awk -F: -v g="$gid" '$3 > 0 && $3 != g && $3 != 65534 { print $3; exit }')
say "admin_group $group (gid $gid), other group gid $other"

# nobody may not be able to reach the build tree: copies of prezeroctl and
# rawclient.py in the scenario's directory (0755).
cp "$PREZEROCTL" "$PZ_TMP/prezeroctl"
cp "$RAWCLIENT" "$PZ_TMP/rawclient.py"
chmod 0755 "$PZ_TMP/prezeroctl"

# as "SETPRIV ARGS" CTL-ARGS...: prezeroctl as another identity, like ctl.
as() {
	local ids=$1
	shift
	# shellcheck disable=SC2086 # ids is a list of options
	run setpriv $ids "$PZ_TMP/prezeroctl" --socket "$SOCK" "$@"
}
NOB="--reuid=$NOBODY --regid=$NOBODY --clear-groups"

# override_enabled: node 0's override.enabled ("None" if unset).
override_enabled() {
	ctl status --json 0
	jget "$OUT" 'str(d["nodes"][0]["override"].get("enabled"))'
}

conf_head >"$CONF"
daemon_start

# The socket is 0666 in a 0755 directory, so nobody can connect.
mode=$(stat -c %a "$SOCK")
expect_eq "$mode" 666 "socket mode"

# Reading works for everyone.
as "$NOB" status
expect_rc 0 "nobody: status"
expect_out 'module not loaded' "nobody: status is whole"
as "$NOB" status --json
expect_rc 0 "nobody: status --json"
as "$NOB" config show
expect_rc 0 "nobody: config show"

# Changing is refused, and changes nothing.
as "$NOB" node 0 disable
expect_rc 1 "nobody: node 0 disable"
expect_out '[Pp]ermission|only root' "nobody: the refusal says why"
expect_eq "$(override_enabled)" None "no override after the refusal"
as "$NOB" node all cap 1M
expect_rc 1 "nobody: node all cap 1M"
as "$NOB" reload
expect_rc 1 "nobody: reload"
expect_out '[Pp]ermission|only root' "nobody: reload refused, says why"
# The raw error code.
# shellcheck disable=SC2086 # a list of options
run setpriv $NOB /usr/bin/python3 "$PZ_TMP/rawclient.py" send "$SOCK" \
	<<<'{"cmd":"node-set","node":0,"enabled":false}'
expect_eq "$(jget "$OUT" 'd["error"]["code"]')" permission-denied "nobody: raw node-set code"
# A malformed change from nobody: whatever the code, never applied.
expect_eq "$(override_enabled)" None "still no override"

# Root may change.
ctl node 0 disable
expect_rc 0 "root: node 0 disable"
status_json
expect_eq "$(jget "$PZ_TMP/status.json" '[n["override"] for n in d["nodes"] if n["id"] == 0][0]')" '{"enabled": false}' "root: the override shows in status --json"
ctl node 0 reset
expect_rc 0 "root: node 0 reset"
expect_eq "$(override_enabled)" None "root: reset removed the override"

# admin_group by name: members may change.
{ conf_head; echo "admin_group = $group"; } >"$CONF"
ctl reload
expect_rc 0 "reload with admin_group = $group"
config_json
expect_eq "$(jget "$PZ_TMP/config.json" 'd["config"]["daemon"]["admin_group"]')" "$group" "config shows admin_group"

as "--reuid=$NOBODY --regid=$NOBODY --groups=$gid" node 0 disable
expect_rc 0 "nobody with supplementary group $group: node 0 disable"
expect_eq "$(override_enabled)" False "the member's change is in force"
as "--reuid=$NOBODY --regid=$gid --clear-groups" node 0 enable
expect_rc 0 "nobody with primary group $group: node 0 enable"
expect_eq "$(override_enabled)" True "the primary member's change is in force"
as "$NOB" node 0 disable
expect_rc 1 "nobody without the group: still refused"
expect_out "$group" "the refusal names the group"
if [ -n "$other" ]; then
	as "--reuid=$NOBODY --regid=$NOBODY --groups=$other" node 0 disable
	expect_rc 1 "nobody with another group ($other): refused"
fi
expect_eq "$(override_enabled)" True "refusals changed nothing"
as "--reuid=$NOBODY --regid=$NOBODY --groups=$gid" reload
expect_rc 0 "a member may reload"

# admin_group by number.
{ conf_head; echo "admin_group = $gid"; } >"$CONF"
ctl reload
expect_rc 0 "reload with admin_group = $gid"
as "--reuid=$NOBODY --regid=$NOBODY --groups=$gid" node 0 reset
expect_rc 0 "member of gid $gid: node 0 reset"
expect_eq "$(override_enabled)" None "the reset is in force"

daemon_stop
