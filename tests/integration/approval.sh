#!/bin/bash
# Policy for staff through a real sshd and the stock ssh client: profiles
# that need approval (the request sent, signed, to a real HTTP server the
# test runs on loopback; approved and denied by box-invite; a 500, a slow
# server, a server that finds the signature bad; no answer in time), and
# blackout windows (no new box, extension or invite while one lasts).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || t_skip_all "no python3 (scripts/install-deps installs it)"

# The approvers' webhook: checks the signature with the key it was given
# (/ok), or with another (/bad), fails (/fail), or answers too late (/slow).
cat > "$T/hook.py" <<'EOP'
import hashlib, hmac, http.server, json, sys, time
keyfile, portfile, log = sys.argv[1], sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        ts = self.headers.get('X-Sshbox-Timestamp', '')
        sig = self.headers.get('X-Sshbox-Signature', '')
        key = open(keyfile, 'rb').read().strip()
        if self.path == '/bad':
            key = b'not the key sshbox holds, at all'
        want = 'sha256=' + hmac.new(key, ts.encode() + b'.' + body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(want, sig) and abs(time.time() - int(ts or 0)) < 300
        with open(log, 'a') as f:
            f.write(json.dumps({'path': self.path, 'good': good, 'body': json.loads(body)}) + '\n')
        if self.path == '/slow':
            time.sleep(6)
        code = 500 if self.path == '/fail' else 200 if good else 401
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b'{}')
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
open(portfile, 'w').write(str(s.server_address[1]))
s.serve_forever()
EOP

EXTRA_CONF='policy:
  groups:
    ops:
      profiles: [test, prod]
      invite: true
  approval:
    profiles: [prod]
    webhook: http://127.0.0.1:1/ok
    timeout: 2s
    wait: 60s'
setup_bastion
write_profile prod
$INVITE ca init >/dev/null
python3 "$T/hook.py" "$T/state/approval.key" "$T/hook.port" "$T/hook.log" &
HOOK=$!
trap 'kill $HOOK 2>/dev/null; cleanup' EXIT
wait_for 20 test -s "$T/hook.port"
HPORT=$(cat "$T/hook.port")
hook() { sed -i "s|^    webhook: .*|    webhook: http://127.0.0.1:$HPORT/$1|" "$CONF"; }
conf_wait() { sed -i "s|^    wait: .*|    wait: $1|" "$CONF"; }
hook ok

new_key alice
$INVITE cert --principal alice --groups ops "$T/alice.pub" > "$T/alice-cert.pub" 2>/dev/null
sssh() {
	ssh -F /dev/null -i "$T/alice" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o BatchMode=yes -o PubkeyAcceptedAlgorithms=ssh-ed25519-cert-v01@openssh.com \
		-o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=no \
		-o LogLevel=ERROR -p "$PORT" "$BOX_USER@127.0.0.1" "$@"
}
pending() { $INVITE requests --json | jq -r '.[0].request // empty'; }
state_of() { $INVITE requests --all --json | jq -r --arg r "$1" '.[] | select(.request == $r) | .state'; }
nboxes() { $INVITE boxes --json | jq length; }

t_is "the approval key was made by init, the box account's" \
	"$(stat -c '%U %a' "$T/state/approval.key")" "box 600"
t_is "a profile without approval: a box at once" \
	"$(sssh new --profile test -- 'echo at-once' </dev/null 2>/dev/null)" "at-once"

# --- approved
sssh new --profile prod -- 'echo approved-box' </dev/null >"$T/a.out" 2>"$T/a.err" &
sp=$!
wait_for 30 sh -c "[ -n \"\$($INVITE requests --json | jq -r '.[0].request // empty')\" ]"
req=$(pending)
t_like "a request waits" "$req" '^[0-9a-f]{16}$'
# (The line comes once the approvers were sent the request.)
wait_for 30 grep -q 'needs approval' "$T/a.err"
t_like "  the staff member is told" "$(cat "$T/a.err")" \
	"^sshbox: profile prod needs approval: request $req waits for an approver \(box-invite approve $req\), up to 1m$"
t_is "  the webhook got it, signed with the key sshbox holds" \
	"$(jq -r --arg r "$req" 'select(.body.request == $r) | "\(.path) \(.good) \(.body.principal) \(.body.profile) \(.body.approve)"' "$T/hook.log")" \
	"/ok true alice prod box-invite approve $req"
n0=$(nboxes)
t_is "  no box before the answer" "$(nboxes)" "$n0"
t_like "box-invite requests: it, pending" "$($INVITE requests)" "$req +alice +ops +prod .* pending"
t_is "approve" "$($INVITE approve "$req")" "request $req of alice (profile prod) approved"
wait $sp; rc=$?
t_is "  the staff member's box runs the command" "$rc $(cat "$T/a.out")" "0 approved-box"
t_like "  told who approved" "$(cat "$T/a.err")" "sshbox: request $req approved by root"
out=$($INVITE approve "$req" 2>&1); rc=$?
t_is "  approving again: decided already" "$rc $out" "1 box-invite: request $req is approved already"

out=$(sssh invite --profile prod </dev/null 2>&1); rc=$?
t_is "an invite for a profile that needs approval: refused (no way round the approver)" "$rc $out" \
	"250 sshbox: profile prod needs approval for each box: invites for it come from an administrator"

# --- denied
sssh new --profile prod </dev/null >"$T/d.out" 2>"$T/d.err" &
sp=$!
wait_for 30 sh -c "[ -n \"\$($INVITE requests --json | jq -r '.[0].request // empty')\" ]"
req2=$(pending)
n0=$(nboxes)
out=$(sssh new --profile prod </dev/null 2>&1); rc=$?
t_is "  a second request while one waits: refused" "$rc $out" \
	"248 sshbox: request $req2 of yours waits for an approver already"
t_is "deny --reason" "$($INVITE deny --reason "not during the freeze" "$req2")" \
	"request $req2 of alice (profile prod) denied"
wait $sp; rc=$?
t_like "  the staff member is told, with why" "$rc $(tail -1 "$T/d.err")" \
	"^250 sshbox: request $req2 was denied by root: not during the freeze$"
t_is "  and no box was made" "$(nboxes)" "$n0"

# --- the webhook fails: nothing is made, the staff member is told why
hook fail
out=$(sssh new --profile prod </dev/null 2>&1); rc=$?
t_is "a webhook answering 500" "$rc $out" \
	"250 sshbox: cannot ask for approval (the webhook answered 500); nothing was made"
hook slow
out=$(sssh new --profile prod </dev/null 2>&1); rc=$?
t_is "a slow webhook: the timeout" "$rc $out" \
	"250 sshbox: cannot ask for approval (the webhook did not answer within 2s); nothing was made"
hook bad
out=$(sssh new --profile prod </dev/null 2>&1); rc=$?
t_is "a webhook that finds the signature bad (401)" "$rc $out" \
	"250 sshbox: cannot ask for approval (the webhook answered 401); nothing was made"
t_is "  it did check one: not sshbox's key's" \
	"$(jq -r 'select(.path == "/bad") | .good' "$T/hook.log")" false
t_is "  those requests are failed, none pending" \
	"$($INVITE requests --all --json | jq -r '[.[] | .state] | map(select(. == "failed")) | length') $(pending)" "3 "
t_is "  and no box came of them" "$(nboxes)" "$n0"

# --- nobody answers in time
hook ok
conf_wait 3s
out=$(sssh new --profile prod </dev/null 2>&1); rc=$?
req3=$(sed -n 's/.*request \([0-9a-f]\{16\}\) waits.*/\1/p' <<<"$out")
t_is "no answer within the wait: exit 250" "$rc" 250
t_like "  told so" "$out" "^sshbox: no approver answered request $req3 within 3s$"
t_is "  the request expired" "$(state_of "$req3")" expired
out=$($INVITE approve "$req3" 2>&1); rc=$?
t_is "  approving it later: decided already" "$rc $out" "1 box-invite: request $req3 is expired already"
conf_wait 60s

t_is "audit: requested, granted, denied, failed" \
	"$($INVITE audit --json | jq -r '[.[] | .event | select(startswith("approval-"))] | group_by(.) | map("\(.[0])=\(length)") | join(" ")')" \
	"approval-denied=1 approval-failed=3 approval-granted=1 approval-requested=6"

# --- blackout: a window around now, then none
b=$(sssh list --json </dev/null | jq -r '.[0].box')
from=$(date -u -d '-1 hour' +%Y-%m-%dT%H:00Z); to=$(date -u -d '+2 hours' +%Y-%m-%dT%H:00Z)
sed -i "s|^  approval:|  blackout: [\"$from/$to\"]\n  approval:|" "$CONF"
out=$(sssh new --profile test </dev/null 2>&1); rc=$?
t_is "in a blackout window: no new box" "$rc $out" "250 sshbox: no new boxes now: a blackout window lasts until ${to%Z}:00Z"
out=$(sssh extend "$b" 1m </dev/null 2>&1); rc=$?
t_is "  no extension" "$rc $out" "250 sshbox: no extensions now: a blackout window lasts until ${to%Z}:00Z"
out=$(sssh invite --profile test </dev/null 2>&1); rc=$?
t_is "  no invite" "$rc $out" "250 sshbox: no invites now: a blackout window lasts until ${to%Z}:00Z"
t_is "  the boxes there are go on" "$(sssh attach "$b" -- 'echo still' </dev/null)" still
n0=$(nboxes)
pids=
for i in 1 2 3 4; do sssh new --profile test --json </dev/null >"$T/bo$i.out" 2>&1 & pids="$pids $!"; done
wait $pids
t_is "  four at once in it: none made" "$(nboxes) $(cat "$T"/bo?.out | grep -c 'blackout window')" "$n0 4"
sed -i '/^  blackout:/d' "$CONF"
t_is "out of it: a box again" "$(sssh new --profile test -- 'echo after' </dev/null 2>/dev/null)" after
t_done
