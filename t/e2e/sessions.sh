#!/bin/bash
# shellcheck disable=SC2034
# sessions.sh - many SMTP sessions at once, straight over the milter socket
# with t/bench/mdriver (no MTA): esmtpguard raises its open files soft
# limit to the hard limit at start and logs it, so it holds more sessions
# than the soft limit it was started with (libmilter, out of descriptors,
# would leave the MTA's connections unanswered in the listen queue), and
# still filters mail after they close.
E2E_PORT=25259
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

MDRIVER=$top_builddir/t/bench/mdriver
SOFT=256 HOLD=600
[ -x "$MDRIVER" ] || skip_all "$MDRIVER not built"
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge $((HOLD * 2)) ] ||
	skip_all "hard open files limit $(ulimit -Hn) < $((HOLD * 2))"
# a silent filter fails a step in 10 s rather than 30
export MDRIVER_TIMEOUT=10

plan 7
eg_conf <<'EOF'
sendergroup ALL { match = { "ALL" } policy = DEFAULT }
policy DEFAULT { access = accept }
EOF
# only esmtpguard starts with the low soft limit; ours goes back up after
ulimit -Sn $SOFT
eg_start
ulimit -Sn "$(ulimit -Hn)"
[ -n "$EG_PID" ] || { echo "Bail out! esmtpguard does not start"; exit 1; }

soft=$(awk '/^Max open files/ { print $4 }' "/proc/$EG_PID/limits")
hard=$(awk '/^Max open files/ { print $5 }' "/proc/$EG_PID/limits")
is "$soft" "$hard" "started with soft limit $SOFT: raised to the hard limit"
like "$EG_LOG" "Info: open files limit $hard \\(one per SMTP session\\)" \
	"the limit in force is logged at start"

out=$("$MDRIVER" "$SOCK" "$EG_PID" $HOLD 2>"$T/mdriver.err")
is "$?" 0 "$HOLD sessions held at once (more than the soft limit $SOFT)"
[ -s "$T/mdriver.err" ] && diag_file "$T/mdriver.err"
like <(echo "$out") "^hold $HOLD rss_kb [0-9]+" "mdriver read the daemon's RSS"
is "$(count "$EG_LOG" "ACCEPT SG ALL match ALL")" $HOLD \
	"every held session was accepted"

# the daemon still filters: 2 sessions, 20 messages, macros as Postfix sends
"$MDRIVER" "$SOCK" "$EG_PID" 0 2 20 2000 >"$T/run.out" 2>&1
is "$?" 0 "20 messages over 2 sessions after the held ones closed"
like "$EG_LOG" "interface 127\\.0\\.0\\.1 address 192\\.0\\.2\\.1 reverse dns host client0\\.example verified yes" \
	"the connect macros arrive whole ({daemon_addr}, {client_resolve})"

eg_stop
done_testing
