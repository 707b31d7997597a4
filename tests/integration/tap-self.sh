#!/bin/bash
# The harness's own TAP: what a failing check shows of a program's output
# is diagnostics, every line behind "#", so that a line of that output
# reading "ok ..." or "not ok ..." is never counted as a result (doctor's
# own "ok" lines once were, 32 of them).
. "$(dirname "$0")/common.sh"

sub() {	# sub: the TAP a failing t_is and t_like print for such output
	(
		t_n=0 t_failed=0
		out=$(printf 'ok   doctor line\nnot ok 7 - x\nFAIL y')
		t_is "inner is" "$out" "something else"
		t_like "inner like" "$out" "^nothing$"
	)
}
tap=$(sub)
t_is "two results, both failed" "$(printf '%s\n' "$tap" | grep -cE '^(not )?ok ')" 2
t_is "every other line is a diagnostic" \
	"$(printf '%s\n' "$tap" | grep -vE '^(not ok [12] - inner|#)' | wc -l)" 0
t_like "the output is shown, line by line" "$tap" '^#   got: +ok   doctor line$'
t_like "  its third line too" "$tap" '^#   got: +FAIL y$'
t_done
