#!/bin/bash
# Metrics and retention through the real programs: after a redemption, two
# refusals and a recorded session in a new box over a real sshd,
# box-reaper writes a textfile that promtool accepts, with those counted;
# then, past the retention, it prunes old audit rows and ended sessions
# with their recordings (and nothing else), and no counter goes down.
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null ||
	t_skip_all "no promtool (Debian's prometheus package; scripts/install-deps)"
command -v sqlite3 >/dev/null || t_skip_all "no sqlite3"
mkdir -p "$T/metrics" && chown "$BOX_USER" "$T/metrics" && chmod 755 "$T/metrics"
PROM=$T/metrics/sshbox.prom
EXTRA_CONF="metrics_file: $PROM
retention: 30d"
setup_bastion
write_profile rec "record: output"
DB=$T/state/state.db
RECS=$T/state/recordings
sq() { runuser -u "$BOX_USER" -- sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }
metric() { awk -v s="$1" '$1 == s { print $2 }' "$2"; }
promcheck() { promtool check metrics < "$1" > "$T/promtool.out" 2>&1; }

# A redemption, a second use of the same single-use token, a bad token,
# and a box made by a recorded command.
new_key a; new_key b; new_key c
tok=$(new_invite --profile rec --uses 1)
gssh a redeem --bind-only "$tok" </dev/null 2>/dev/null
gssh b redeem --bind-only "$tok" </dev/null 2>/dev/null
gssh c redeem --bind-only sbx1_notatoken </dev/null 2>/dev/null
out=$(gssh a 'echo recorded' </dev/null 2>/dev/null); rc=$?
t_is "a command in a new box" "$rc $out" "0 recorded"
cast=$(sq "SELECT recording FROM session_log WHERE recording IS NOT NULL")
t_ok "  recorded" test -n "$cast" -a -f "$RECS/$cast"

out=$($REAPER --once 2>&1); rc=$?
t_is "a reaper pass succeeds" "$rc $out" "0 "
t_ok "  and writes the metrics file" test -f "$PROM"
t_is "  mode 0644, the box account's, nothing else beside it" \
	"$(stat -c '%a %U' "$PROM") $(ls "$T/metrics" | tr '\n' ' ')" \
	"644 $BOX_USER sshbox.prom "
promcheck "$PROM"; rc=$?
t_is "promtool check metrics accepts it" "$rc $(head -c 300 "$T/promtool.out")" "0 "
cp "$PROM" "$T/first.prom"
t_is "the redemption counted" "$(metric 'sshbox_redemptions_total{outcome="redeemed"}' "$PROM")" 1
t_is "  the used token's refusal" "$(metric 'sshbox_redemptions_total{outcome="used"}' "$PROM")" 1
t_is "  the bad token's" "$(metric 'sshbox_redemptions_total{outcome="invalid"}' "$PROM")" 1
t_is "the box is live, by profile" "$(metric 'sshbox_boxes_live{profile="rec"}' "$PROM")" 1
t_is "  the profiles without one at 0" \
	"$(metric 'sshbox_boxes_live{profile="test"}' "$PROM") $(metric 'sshbox_boxes_live{profile="secure-shell"}' "$PROM")" "0 0"
t_is "one session started, none on now" \
	"$(metric sshbox_sessions_started_total "$PROM") $(metric 'sshbox_sessions_live{profile="rec"}' "$PROM")" "1 0"
t_is "the box's making timed: one in the histogram" \
	"$(metric sshbox_box_create_seconds_count "$PROM") $(metric 'sshbox_box_create_seconds_bucket{le="+Inf"}' "$PROM")" "1 1"
t_ok "  in more than no time" awk -v v="$(metric sshbox_box_create_seconds_sum "$PROM")" 'BEGIN { exit !(v > 0) }'
t_is "  counted in the 60 s bucket" "$(metric 'sshbox_box_create_seconds_bucket{le="60"}' "$PROM")" 1
t_is "no reaper error" "$(metric sshbox_reaper_errors_total "$PROM")" 0
t_ok "the pass's time is now" awk -v t="$(metric sshbox_reaper_last_run_timestamp_seconds "$PROM")" \
	-v now="$(date +%s)" 'BEGIN { exit !(t <= now && t > now - 60) }'

# Retention: the audit so far and the recorded session made 40 days old;
# more sessions of the history that ended then, one with a recording, one
# without; beside them a recent one, one whose recording name points out
# of the directory, and a file no row names.
b=$(box_of a)
old=$(( $(date +%s) - 40 * 86400 ))
recent=$(( $(date +%s) - 86400 ))
for f in old.cast recent.cast unrelated.cast; do
	runuser -u "$BOX_USER" -- sh -c 'echo "{}" > "$1"' _ "$RECS/$f"
done
runuser -u "$BOX_USER" -- sh -c 'echo keep > "$1"' _ "$T/state/x"
naudit=$(sq "SELECT count(*) FROM audit")
sq "UPDATE audit SET at = at - 40 * 86400;
UPDATE session_log SET ended_at = $old WHERE recording = '$cast';
INSERT INTO session_log (box_id, started_at, ended_at, end_reason, recording, recording_state)
  VALUES ('$b', $old, $old, 'exited', 'old.cast', 'complete'),
         ('$b', $old, $old, 'exited', NULL, ''),
         ('$b', $old, $recent, 'exited', 'recent.cast', 'complete'),
         ('$b', $old, $old, 'exited', '../x', 'complete');"
nsess=$(sq "SELECT count(*) FROM session_log")

out=$($REAPER --once --json 2>"$T/reaper.err"); rc=$?
t_is "a pass past the retention succeeds" "$rc" 0
t_is "  and says what it pruned" "$(jq -c '[.pruned_audit, .pruned_sessions, .pruned_recordings]' <<<"$out")" \
	"[$naudit,3,2]"
t_like "  in its log too" "$(cat "$T/reaper.err")" "pruned $naudit audit rows, 3 sessions, 2 recordings past the retention"
t_is "every old audit row is gone; a pruned event says how many" \
	"$(sq "SELECT count(*) FROM audit WHERE at < $(( $(date +%s) - 30 * 86400 ))") $(sq "SELECT detail FROM audit WHERE event = 'pruned'")" \
	"0 audit=$naudit sessions=3 recordings=2"
t_is "the old sessions are gone, the rest stay" \
	"$(sq "SELECT count(*) FROM session_log") $(sq "SELECT count(*) FROM session_log WHERE recording IN ('recent.cast', '../x')")" \
	"$((nsess - 3)) 2"
t_ok "the old recordings are gone, box-shell's and ours" test ! -e "$RECS/$cast" -a ! -e "$RECS/old.cast"
t_ok "  the recent one and a file no row names stay" test -f "$RECS/recent.cast" -a -f "$RECS/unrelated.cast"
t_is "  and the file ../x points at" "$(cat "$T/state/x")" keep

promcheck "$PROM"; rc=$?
t_is "promtool accepts the second file" "$rc $(head -c 300 "$T/promtool.out")" "0 "
t_is "the counters did not go down with the audit rows" \
	"$(metric 'sshbox_redemptions_total{outcome="redeemed"}' "$PROM") $(metric 'sshbox_redemptions_total{outcome="used"}' "$PROM") $(metric sshbox_sessions_started_total "$PROM")" \
	"1 1 1"
t_is "  the pruning counted" \
	"$(metric 'sshbox_reaper_actions_total{action="pruned_audit"}' "$PROM") $(metric 'sshbox_reaper_actions_total{action="pruned_recordings"}' "$PROM")" \
	"$naudit 2"
# Every counter, bucket, sum and count of the first file, in the second,
# at least as high.
down=$(awk 'NR == FNR { if ($1 !~ /^#/) first[$1] = $2; next }
	/^# TYPE/ { kind[$3] = $4 }
	$1 !~ /^#/ { fam = $1; sub(/\{.*/, "", fam); sub(/_(bucket|sum|count)$/, "", fam)
		if (kind[fam] != "gauge" && ($1 in first) && $2 < first[$1]) print $1 }' \
	"$T/first.prom" "$PROM")
t_is "  no counter anywhere went down" "$down" ""
t_done
