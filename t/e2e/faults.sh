#!/bin/bash
# shellcheck disable=SC2034,SC2119,SC2016
# faults.sh - faults under load, through the private Postfix, which
# delivers to an smtp-sink that writes one file per message, so deliveries
# can be counted (t/e2e/smtpload is the load: parallel sessions, one line
# per session with the reply it ended on):
#
#  - kill -9 of esmtpguard with sessions in flight: Postfix tempfails
#    (milter_default_action = tempfail) while it is gone; every message is
#    either delivered exactly once, carrying esmtpguard's ID header (never
#    uninspected), or was refused to the client with 4xx; after the
#    restart ICIDs and MIDs continue above everything logged before.
#  - 100 SIGHUP reloads (alternating between two good files) under load:
#    no session fails, every message delivered, nothing logged as a
#    warning or error, the same process throughout.
#  - reloads with a broken file (truncated, then one with a bad address)
#    under load: the old policy stays in force (a rule the broken files
#    would change), the errors are logged, a later good reload takes effect.
#
# Counts, never time: each step waits for a number of log lines or client
# outcomes (with a generous timeout that only guards against a hang).
E2E_PORT=25270
SINK_PORT=25271
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

LOAD=$top_builddir/t/e2e/smtpload
[ -x "$LOAD" ] || skip_all "$LOAD not built (make check builds it)"
command -v smtp-sink >/dev/null 2>&1 || skip_all "smtp-sink (package postfix) not found"

# --- the counting sink, and a Postfix that delivers to it ---------------
SINK=$T/sink
mkdir -p "$SINK" && chown postfix "$SINK"
SINK_PID="" LOAD_PID=""
faults_cleanup() {
	local rc=$?
	[ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
	[ -n "$SINK_PID" ] && wait "$SINK_PID" 2>/dev/null
	(exit "$rc")
	e2e_cleanup
}
trap faults_cleanup EXIT
smtp-sink -u postfix -d "$SINK/%H%M%S." "127.0.0.1:$SINK_PORT" 64 \
	>"$T/sink.out" 2>&1 &
SINK_PID=$!
wait_for 10 eval '[ -n "$(ss -Hltn "sport = :$SINK_PORT")" ]' ||
	{ echo "Bail out! smtp-sink does not listen"; exit 1; }

pf_setup
printf '%s\n' "smtp      unix - - n - - smtp" >>"$PF/etc/master.cf"
postconf -c "$PF/etc" -e "default_transport = smtp:[127.0.0.1]:$SINK_PORT" \
	"relay_transport = smtp:[127.0.0.1]:$SINK_PORT" \
	"smtpd_client_connection_count_limit = 0"
pf_start

is "$(postconf -c "$PF/etc" -h milter_default_action)" tempfail \
	"our Postfix instance: milter_default_action = tempfail"
like "$top_srcdir/contrib/postfix/main.cf" '^milter_default_action = tempfail$' \
	"the shipped Postfix snippet says tempfail too"

# policy FILE RCPT_MAX [BODY_MAX] - the shipped DEFAULT rules, SPF off
# (loopback always passes anyway), with rcpt_count lowered to a reject
# that a probe can see
policy() {
	eg_conf "$1" <<EOF
sendergroup ALL { match = { "ALL" } policy = DEFAULT }
policy DEFAULT {
  access = accept
  match cmd_line_length       { gt = 512 action = drop-connection log = true }
  match rcpt_count            { gt = $2 action = reject log = true }
  match body_line_length      { gt = ${3:-998} action = log }
  match header_line_length    { gt = 998 action = drop-connection log = true }
  match sender_address_length { gt = 320 action = drop-connection log = true }
  match mime_filename_length  { gt = 255 action = drop-connection log = true }
}
EOF
}
policy "$EG_CONF" 100
eg_start || { echo "Bail out! esmtpguard does not start"; exit 1; }

# sink_ids - every X-Load-ID delivered, one line per delivered copy
sink_ids() { cat "$SINK"/* 2>/dev/null | sed -n 's/^X-Load-ID: //p' | tr -d '\r'; }
queue_empty() {
	[ -z "$(find "$PF/spool/incoming" "$PF/spool/active" "$PF/spool/deferred" -type f | head -1)" ]
}
accepted() { cat "$@" | awk '$3 == 250 && $4 == "DOT"' | wc -l; }
# ids KIND FILE - the ICIDs ("New SMTP ICID") or MIDs ("Start MID") in FILE
ids() {
	case $1 in
	icid) sed -nE 's/.* New SMTP ICID ([0-9]+) .*/\1/p' "$2" ;;
	mid) sed -nE 's/.* Start MID ([0-9]+) ICID .*/\1/p' "$2" ;;
	esac
}
finished() { count "$EG_LOG" 'Message finished MID [0-9]+ done$'; }
closes() { count "$EG_LOG" ' ICID [0-9]+ close$'; }
reloads() { count "$EG_LOG" 'reloaded configuration from'; }

# ============ kill -9 under load =========================================
# the load runs until told to stop: across the kill and the restart
"$LOAD" -p "$E2E_PORT" -n 100000 -c 6 -i k -S "$T/stop" -o "$T/kill.out" 2>"$T/load.err" &
LOAD_PID=$!
# in the middle of the load: 60 messages through, 6 sessions in flight
wait_for 120 eval '[ $(finished) -ge 60 ]' || diag "the load did not get going"
pid=$(cat "$EG_PIDFILE")
is "$pid" "$EG_PID" "the pidfile names the daemon we started"
ok "kill -9 with sessions in flight (after $(wc -l <"$T/kill.out") sessions)" eg_kill9
ok "the process is gone" eval "! alive $pid"
kill_line=$(wc -l <"$EG_LOG")

# while it is gone: the load keeps running into 451s, and a probe too
wait_for 60 eval '[ $(grep -c " 451 " "$T/kill.out") -ge 20 ]'
sw --from probe@sender.example --to b@rcpt.example --body 'while down'
like "$T/last.out" '^<\*\* +451 4\.7\.1 ' "while down: MAIL FROM gets 451 4.7.1 (tempfail)"
unlike "$T/last.out" 'queued as' "while down: nothing accepted"

ok "restart after kill -9" eg_start
# 40 more messages through after the restart, then stop the load
a0=$(accepted "$T/kill.out")
wait_for 120 eval '[ $(accepted "$T/kill.out") -ge $((a0 + 40)) ]'
touch "$T/stop"
wait "$LOAD_PID"
is "$?" 0 "kill: the load client ran to its end"
LOAD_PID=
diag "kill: $(grep -c . "$T/kill.out") sessions; refused at:" \
	"$(awk '$3 != 250 { print $3, $4 }' "$T/kill.out" | sort | uniq -c)"

E2E_SHOW=$T/kill.out
is "$(awk '!($3 == 250 && $4 == "DOT") && $3 !~ /^[45][0-9][0-9]$/' "$T/kill.out" | head -3)" "" \
	"kill: every message accepted at its dot or refused 4xx/5xx (none lost)"
refused=$(awk '$3 ~ /^[45]/' "$T/kill.out" | wc -l)
ok "kill: the client saw the tempfail ($refused sessions refused)" test "$refused" -ge 20
is "$(awk '$3 ~ /^5/' "$T/kill.out" | head -3)" "" "kill: refusals are temporary (4xx), never 5xx"
is "$(awk '$3 ~ /^4/ && $3 != 451' "$T/kill.out" | head -3)" "" "kill: the refusals are Postfix's 451"

want=$(accepted "$T/kill.out")
wait_for 60 eval '[ $(sink_ids | wc -l) -ge $want ] && queue_empty'
sink_ids | sort >"$T/delivered"
awk '$3 == 250 && $4 == "DOT" { print $1 }' "$T/kill.out" | sort >"$T/accepted"
E2E_SHOW=$T/delivered
is "$(sort "$T/delivered" | uniq -d | head -3)" "" "kill: no message delivered twice"
is "$(comm -3 "$T/accepted" "$T/delivered" | head -3)" "" \
	"kill: delivered = accepted by the client ($want), nothing refused delivered"
is "$(grep -L '^X-ESMTPGuard-ID: ICID=[0-9]* MID=[0-9]*' "$SINK"/* | head -3)" "" \
	"kill: every delivered message carries esmtpguard's ID header (inspected)"
# the MIDs of the headers all finished "done" in esmtpguard's log
grep -h '^X-ESMTPGuard-ID:' "$SINK"/* | sed -E 's/.*MID=([0-9]+).*/\1/' | sort -u >"$T/hdr-mids"
sed -nE 's/.*Message finished MID ([0-9]+) done$/\1/p' "$EG_LOG" | sort -u >"$T/done-mids"
is "$(comm -23 "$T/hdr-mids" "$T/done-mids" | head -3)" "" \
	"kill: every delivered MID was logged done by esmtpguard"
like "$PF/log/maillog" 'milter.*(Connection refused|No such file|Broken pipe|read .*reply|Connection reset)' \
	"kill: Postfix logged the lost milter"

head -n "$kill_line" "$EG_LOG" >"$T/before.log"
tail -n "+$((kill_line + 1))" "$EG_LOG" >"$T/after.log"
for k in icid mid; do
	max=$(ids $k "$T/before.log" | sort -n | tail -1)
	min=$(ids $k "$T/after.log" | sort -n | head -1)
	ok "after restart: ${k^^}s continue above the crash (first $min > last $max)" \
		test "${min:-0}" -gt "${max:-0}"
	is "$(ids $k "$EG_LOG" | sort | uniq -d | head -3)" "" "no ${k^^} logged twice"
done

# ============ 100 SIGHUP reloads under load ==============================
policy "$T/a.conf" 100
policy "$T/b.conf" 100 999
pid=$(cat "$EG_PIDFILE")
log_mark
r0=$(reloads)
rm -f "$T/stop"
"$LOAD" -p "$E2E_PORT" -n 100000 -c 4 -i h -S "$T/stop" -o "$T/hup.out" 2>>"$T/load.err" &
LOAD_PID=$!
hup_fail=
for i in $(seq 1 100); do
	# at least one session ends between two reloads: they overlap the load
	c=$(closes)
	wait_for 30 eval '[ $(closes) -gt $c ]' || { hup_fail="no session ended before reload $i"; break; }
	if [ $((i % 2)) = 1 ]; then cp "$T/b.conf" "$EG_CONF"; else cp "$T/a.conf" "$EG_CONF"; fi
	kill -HUP "$pid"
	wait_for 30 eval '[ $(reloads) -ge $((r0 + i)) ]' || { hup_fail="reload $i not logged"; break; }
done
touch "$T/stop"
wait "$LOAD_PID"
LOAD_PID=
is "${hup_fail:-none}" none "SIGHUP: 100 reloads, each logged, with sessions ending in between"
n=$(wc -l <"$T/hup.out")
ok "SIGHUP: the load ran across them ($n sessions)" test "$n" -ge 100
E2E_SHOW=$T/hup.out
is "$(awk '!($3 == 250 && $4 == "DOT")' "$T/hup.out" | head -3)" "" \
	"SIGHUP: no session failed (every message accepted at its dot)"
is "$(cat "$EG_PIDFILE")" "$pid" "SIGHUP: the pidfile names the same process"
ok "SIGHUP: the same process is running" alive "$pid"
log_new
unlike "$T/new.log" ' (Warning|Critical): ' "SIGHUP: no warning or error logged"
is "$(count "$T/new.log" 'New SMTP ICID [0-9]+ ')" "$n" "SIGHUP: one ICID logged per session"
is "$(count "$T/new.log" 'Message finished MID [0-9]+ done$')" "$n" "SIGHUP: one message done per session"
want=$((want + n))
wait_for 60 eval '[ $(sink_ids | wc -l) -ge $want ]'
is "$(sink_ids | grep -c '^h-')" "$n" "SIGHUP: every message delivered"

# ============ a reload with a broken file under load =====================
# the running policy rejects a 4th recipient; the broken files would raise
# the limit to 50
policy "$T/old.conf" 3
policy "$T/new.conf" 50
cp "$T/old.conf" "$EG_CONF"
r0=$(reloads)
kill -HUP "$pid"
# probe WANT - a message to four recipients: WANT is "reject" or "accept"
probe() {
	sw --from p@sender.example --to r1@rcpt.example,r2@rcpt.example,r3@rcpt.example,r4@rcpt.example
	case $1 in
	reject) like "$T/last.out" 'rcpt_count exceeds 3 ' "$2" ;;
	accept) like "$T/last.out" '250 .*queued as' "$2" ;;
	esac
}
wait_for 30 eval '[ $(reloads) -gt $r0 ]'
probe reject "broken: the running policy rejects a 4th recipient"

log_mark
rm -f "$T/stop"
"$LOAD" -p "$E2E_PORT" -n 100000 -c 4 -i b -S "$T/stop" -o "$T/broken.out" 2>>"$T/load.err" &
LOAD_PID=$!
c=$(closes)
wait_for 30 eval '[ $(closes) -ge $((c + 5)) ]'
# a half-written file (cut in the middle of the policy) ...
head -c "$(($(wc -c <"$T/new.conf") * 3 / 4))" "$T/new.conf" >"$EG_CONF"
kill -HUP "$pid"
wait_for 30 eval 'grep -q "reload of .* failed" "$EG_LOG"'
probe reject "broken (truncated): the old policy stays in force"
# ... and a complete one with a bad address
{ cat "$T/new.conf"; echo 'sendergroup BROKEN { match = { "999.9.9.9" } policy = DEFAULT }'; } >"$EG_CONF"
bad_line=$(wc -l <"$EG_CONF")
kill -HUP "$pid"
wait_for 30 eval '[ $(grep -c "reload of .* failed" "$EG_LOG") -ge 2 ]'
probe reject "broken (bad address): the old policy stays in force"
log_new
is "$(count "$T/new.log" 'Warning: reload of .* failed; the running configuration stays in force')" 2 \
	"broken: each failed reload is logged"
like "$T/new.log" "Warning: $EG_CONF:$bad_line: .*999\\.9\\.9\\.9" \
	"broken: the bad line is logged as FILE:LINE: message"
# then a good file takes effect
cp "$T/new.conf" "$EG_CONF"
r0=$(reloads)
kill -HUP "$pid"
wait_for 30 eval '[ $(reloads) -gt $r0 ]'
probe accept "good reload afterwards: the new limit is in force"
c=$(closes)
wait_for 30 eval '[ $(closes) -ge $((c + 5)) ]'
touch "$T/stop"
wait "$LOAD_PID"
LOAD_PID=
n=$(wc -l <"$T/broken.out")
E2E_SHOW=$T/broken.out
ok "broken: the load ran across the reloads ($n sessions)" test "$n" -ge 10
is "$(awk '!($3 == 250 && $4 == "DOT")' "$T/broken.out" | head -3)" "" \
	"broken: no session of the load failed"
ok "broken: the same process is running" alive "$pid"

ok "Postfix logged nothing fatal" pf_healthy
ok "SIGTERM stops it" eg_stop
is "${EG_STATUS:-none}" 0 "exit status 0"
done_testing
