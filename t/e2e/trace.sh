#!/bin/bash
# shellcheck disable=SC2034
# trace.sh - esmtpguard-trace on real logs: Postfix's own maillog and
# esmtpguard's log_file, written by real sessions through a private Postfix
# that really delivers, to smtp-sink instances on loopback that accept, defer
# (4xx at RCPT), bounce (5xx at RCPT), and to a closed port (connection
# refused). maximal_queue_lifetime = 0 turns every deferral into an expiry
# and a bounce at once, so nothing waits for a retry. Then: tracking records
# (envelope, DCIDs, outcomes, QUIT vs lost), the host table, the reject
# table, the ESA stream, JSON, gzip and stdin input, and -f.
E2E_PORT=25256
S_OK=25261 S_SOFT=25262 S_HARD=25263 S_DOWN=25264
PF_EXTRA="default_transport = smtp
relay_transport = smtp
transport_maps = inline:{ok.example=smtp:[127.0.0.1]:$S_OK, sender.example=smtp:[127.0.0.1]:$S_OK, soft.example=smtp:[127.0.0.1]:$S_SOFT, hard.example=smtp:[127.0.0.1]:$S_HARD, down.example=smtp:[127.0.0.1]:$S_DOWN}
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
smtp_connect_timeout = 5s"
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

TRACE=$top_builddir/src/esmtpguard-trace
[ -x "$TRACE" ] || skip_all "$TRACE not built"
command -v smtp-sink >/dev/null 2>&1 || skip_all "smtp-sink (package postfix) not found"

# the sinks: started by us, stopped by pid
SINKS=
sinks_stop() {
	local rc=$? p
	for p in $SINKS; do kill "$p" 2>/dev/null; done
	for p in $SINKS; do wait "$p" 2>/dev/null; done
	SINKS=
	return $rc
}
trap 'sinks_stop; e2e_cleanup' EXIT
sink() {
	smtp-sink -u postfix "$@" >/dev/null 2>&1 &
	SINKS="$SINKS $!"
}
sink "127.0.0.1:$S_OK" 20
sink -r RCPT "127.0.0.1:$S_SOFT" 20
sink -f RCPT "127.0.0.1:$S_HARD" 20
# nothing listens on $S_DOWN

# the private instance delivers: it needs the smtp client in master.cf
pf_setup
printf '%s\n' "smtp      unix - - n - - smtp" "relay     unix - - n - - smtp" \
	>>"$PF/etc/master.cf"
pf_start
eg_conf <<'EOF'
sendergroup BLOCKED_SG { match = { "192.0.2.66" } policy = BLOCKED }
sendergroup LIMITS_SG  { match = { "192.0.2.8" } policy = LIMITS }
sendergroup ALL        { match = { "ALL" } policy = DEFAULT }
policy BLOCKED { access = reject }
policy DEFAULT { access = accept }
policy LIMITS {
  access = accept
  match rcpt_count { gt = 1 action = reject }
}
EOF
if ! eg_start; then
	echo "Bail out! esmtpguard does not start"
	exit 1
fi
wait_for 5 eval "echo QUIT | timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$S_OK' 2>/dev/null" ||
	diag "the accepting sink may not be up yet"

MAILLOG=$PF/log/maillog

# --- traffic -----------------------------------------------------------------
sw --from a@sender.example --to x@ok.example,y@ok.example --header 'Subject: ok'
sw --from b@sender.example --to x@soft.example --header 'Subject: soft'
sw --from c@sender.example --to x@hard.example --header 'Subject: hard'
sw --from d@sender.example --to x@down.example,z@ok.example --header 'Subject: down'
sw --from q@sender.example --to b@ok.example --quit-after RCPT
# lost mid-DATA
if smtp_open; then
	smtp_cmd "EHLO client.test.example"
	smtp_cmd "MAIL FROM:<l@sender.example>"
	smtp_cmd "RCPT TO:<b@ok.example>"
	smtp_cmd "DATA"
	smtp_send "Subject: lost"
	smtp_close
fi
# a client 192.0.2.7 (XCLIENT), and a refused one
sw --xclient-addr 192.0.2.7 --xclient-name mail.client.example \
	--from x7@sender.example --to w@ok.example --header 'Subject: seven'
sw --xclient-addr 192.0.2.66 --xclient-name bad.client.example \
	--from x66@sender.example --to w@ok.example
# rules: the second recipient refused (LIMITS), a header line over 998
# drops the connection (the ASA default of DEFAULT)
sw --xclient-addr 192.0.2.8 --xclient-name limits.client.example \
	--from x8@sender.example --to r1@ok.example,r2@ok.example --header 'Subject: limits'
sw --from h@sender.example --to w@ok.example --header 'Subject: long' \
	--header "X-Long: $(head -c 1200 /dev/zero | tr '\0' x)"

# everything delivered, bounced or expired, bounces delivered
queue_empty() {
	postqueue -c "$PF/etc" -p 2>/dev/null | grep -q 'Mail queue is empty'
}
wait_for 30 queue_empty || diag "the queue did not drain: $(postqueue -c "$PF/etc" -p 2>&1 | tail -3)"
log_mark() { :; }
E2E_MARK=0
wait_for 10 eval "[ \$(count \"\$EG_LOG\" ' ICID [0-9]+ close\$') -ge 13 ]" ||
	diag "fewer close lines than expected"
sinks_stop
sleep 1
ok "Postfix logged nothing fatal" pf_healthy
cp "$MAILLOG" "$T/maillog"
cp "$EG_LOG" "$T/eg.log"
MAILLOG=$T/maillog

# mid_of SUBJECT - the MID esmtpguard gave the message with that subject
mid_of() {
	grep -E "MID [0-9]+ Subject '$1'\$" "$T/eg.log" | head -1 |
		sed -E 's/.* MID ([0-9]+) Subject.*/\1/'
}
tr_run() { "$TRACE" "$@" "$MAILLOG" "$T/eg.log" >"$T/out" 2>"$T/err"; }
OUT=$T/out

# --- delivered, one DCID for both recipients ----------------------------------
mid=$(mid_of ok)
ok "ok: a MID for the message" test -n "$mid"
tr_run --mid "${mid:-0}"
like "$OUT" "^MID $mid ICID [0-9]+ " "ok: the record of MID $mid"
like "$OUT" '^  from: +<a@sender\.example>$' "ok: envelope sender"
like "$OUT" '^  rcpt: +RID 1 <y@ok\.example>$' "ok: RID 1"
like "$OUT" '^  queue ID: +[0-9A-F]+$' "ok: the queue ID"
like "$OUT" "^  Subject: +'ok'\$" "ok: Subject"
dcid0=$(sed -nE 's/.*DCID ([0-9]+) RID 0 <x@ok\.example> sent.*/\1/p' "$OUT")
dcid1=$(sed -nE 's/.*DCID ([0-9]+) RID 1 <y@ok\.example> sent.*/\1/p' "$OUT")
ok "ok: both recipients delivered with a DCID" test -n "$dcid0" -a "${dcid0:-0}" != 0
is "$dcid1" "$dcid0" "ok: one transaction, one DCID"
like "$OUT" "relay 127\.0\.0\.1\[127\.0\.0\.1\]:$S_OK \(250 " "ok: relay and the remote reply"
like "$OUT" '^  status: +delivered$' "ok: status delivered"
like "$OUT" '^  connection: +quit \(smtpd\[[0-9]+\]' "ok: the session ended with QUIT"

# --- deferred (4xx), then expired ---------------------------------------------
mid=$(mid_of soft)
tr_run --mid "${mid:-0}"
like "$OUT" "DCID [1-9][0-9]* RID 0 <x@soft\.example> deferred dsn 4\.3\.0 .*said: 450 " \
	"soft: deferred with the 450 reply"
like "$OUT" 'DCID 0 RID 0 <x@soft\.example> expired dsn 5\.4\.7' "soft: then expired (DCID 0)"
like "$OUT" '^  notification: non-delivery notification queued as [0-9A-F]+$' \
	"soft: Postfix's bounce to the sender"
like "$OUT" '^  status: +bounced$' "soft: status bounced"

# --- bounced (5xx) -----------------------------------------------------------------
mid=$(mid_of hard)
tr_run --mid "${mid:-0}"
like "$OUT" "RID 0 <x@hard\.example> bounced dsn 5\.3\.0 .*said: 500 5\.3\.0" \
	"hard: bounced with the 500 reply"
like "$OUT" '^  status: +bounced$' "hard: status bounced"

# --- connection refused --------------------------------------------------------
mid=$(mid_of down)
tr_run --mid "${mid:-0}"
like "$OUT" "DCID [1-9][0-9]* RID 0 <x@down\.example> deferred dsn 4\.4\.1 relay none \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:$S_DOWN: Connection refused\)" \
	"down: connection refused, a DCID of its own"
like "$OUT" 'RID 1 <z@ok\.example> sent' "down: the other recipient delivered"
like "$OUT" '^  status: +partly delivered, bounced$' "down: partly delivered"
d_down=$(sed -nE 's/.*DCID ([0-9]+) RID 0 <x@down\.example> deferred.*/\1/p' "$OUT")
d_ok=$(sed -nE 's/.*DCID ([0-9]+) RID 1 <z@ok\.example> sent.*/\1/p' "$OUT")
ok "down: refused and delivered connections differ" test -n "$d_down" -a "$d_down" != "$d_ok"

# --- QUIT versus lost ---------------------------------------------------------
tr_run --from q@sender.example
like "$OUT" '^  received: +aborted: Receiving aborted by sender \(esmtpguard logged: Receiving aborted\)$' \
	"quit: settled as Receiving aborted by sender"
like "$OUT" '^  connection: +quit ' "quit: the connection ended with QUIT"
tr_run --from l@sender.example
like "$OUT" '^  received: +aborted: Receiving aborted$' "lost: Receiving aborted"
like "$OUT" '^  connection: +lost after DATA \(smtpd\[[0-9]+\].*esmtpguard logged lost$' \
	"lost: lost after DATA, as Postfix and esmtpguard say"

# --- by client address -----------------------------------------------------------
tr_run --ip 192.0.2.7
is "$?" 0 "--ip: exit 0 when something matched"
like "$OUT" '^  client: +192\.0\.2\.7 reverse dns host mail\.client\.example verified yes$' \
	"--ip: the XCLIENT client's record"
like "$OUT" '<w@ok\.example> sent' "--ip: its message delivered"
tr_run --ip 203.0.113.99
is "$?" 1 "--ip: exit 1 when nothing matched"
tr_run --ip 192.0.2.66
like "$OUT" '^ICID [0-9]+ .*\(no message\)$' "--ip: a refused client's connection record"
like "$OUT" '^  sender group: REJECT SG BLOCKED_SG match 192\.0\.2\.66$' "--ip: its HAT verdict"
# the connection XCLIENT replaced
tr_run --ip 127.0.0.1 --since 2000-01-01
like "$OUT" '^  connection: +replaced by XCLIENT' "XCLIENT: the replaced milter connection is settled"

# --- rules that fired ----------------------------------------------------------------
tr_run --ip 192.0.2.8
like "$OUT" '^  rule: +policy LIMITS matched rcpt_count gt 1: 2 action reject$' \
	"rules: the rcpt_count hit in the record"
like "$OUT" '<r1@ok\.example> sent' "rules: the first recipient delivered"
unlike "$OUT" '<r2@ok\.example> (sent|deferred|bounced)' "rules: the refused one never delivered"
tr_run --from h@sender.example
like "$OUT" '^  rule: +policy DEFAULT matched header_line_length gt 998: [0-9]+ action drop-connection$' \
	"rules: the header_line_length hit"
like "$OUT" '^  received: +aborted: Dropped by policy header_line_length$' \
	"rules: aborted, dropped by policy"
like "$OUT" '^  MTA reply: .*4\.7\.0 .*closing connection: header_line_length .*\(ICID [0-9]+ MID [0-9]+\)' \
	"rules: Postfix's reject joined by the IDs in it"
like "$OUT" '^  connection: +closed by the MTA ' "rules: Postfix closed the session"
tr_run --rejects
in_order "$OUT" "--rejects: hits per policy, rule and action" \
	'^Rule hits by policy, rule and action:$' \
	'^ +1  (DEFAULT +header_line_length +drop-connection|LIMITS +rcpt_count +reject)$' \
	'^ +1  (DEFAULT +header_line_length +drop-connection|LIMITS +rcpt_count +reject)$' \
	'^HAT REJECT by sender group:$'
like "$OUT" '^ +1  192\.0\.2\.8$' "--rejects: 192.0.2.8 among the top clients"

# --- queries --------------------------------------------------------------------------
qid=$(grep -E "MID $(mid_of hard) ICID [0-9]+ queue ID" "$T/eg.log" | sed -E 's/.* queue ID //')
tr_run --qid "${qid:-X}"
like "$OUT" "^MID $(mid_of hard) " "--qid: the message of that queue ID"
like "$OUT" "notification: about queue ID ${qid:-X}" "--qid: and Postfix's bounce about it"
tr_run --rcpt '<Y@OK.example>'
like "$OUT" "^MID $(mid_of ok) " "--rcpt: case-insensitive, brackets optional"
tr_run --until 2000-01-01
is "$(wc -c <"$OUT")" 0 "--until: nothing before 2000"

# --- host table --------------------------------------------------------------------------
tr_run --hosts
like "$OUT" '^Status as of: ' "--hosts: status line"
like "$OUT" '^ +[0-9]+\* down\.example +0 +0 +1 +1  connect to .*Connection refused$' \
	"--hosts: down.example down, 1 soft, 1 hard, the error"
like "$OUT" '^ +[0-9]+  hard\.example +0 +0 +0 +1  host 127\.0\.0\.1' "--hosts: hard.example 1 hard bounce"
like "$OUT" '^ +[0-9]+  ok\.example +0 +5 +0 +0 ' "--hosts: ok.example 5 delivered"
like "$OUT" '^ +[0-9]+  sender\.example +0 +3 ' "--hosts: 3 bounces delivered to the senders"
# a log that ends before the expiry: the deferred recipient is still active
sqid=$(grep -E "MID $(mid_of soft) ICID [0-9]+ queue ID" "$T/eg.log" | sed -E 's/.* queue ID //')
grep -vE "${sqid:-X}: (from=.*status=expired|removed)" "$MAILLOG" >"$T/maillog.cut"
"$TRACE" --hosts "$T/maillog.cut" "$T/eg.log" >"$OUT" 2>"$T/err"
like "$OUT" '^ +1  soft\.example +1 +0 +1 +0 ' "--hosts: a deferred recipient still queued is active"

# --- reject table ------------------------------------------------------------------------
tr_run --rejects
in_order "$OUT" "--rejects: HAT rejects by group, top clients" \
	'^HAT REJECT by sender group:$' '^ +1  BLOCKED_SG$' \
	'^Top client addresses' '^ +1  192\.0\.2\.66$'

# --- the ESA stream -----------------------------------------------------------------------
tr_run --esa
all_esa() { [ -s "$OUT" ] && ! grep -Evq "$ESA_TS" "$OUT"; }
ok "--esa: every line in ESA form" all_esa
is "$(count "$OUT" 'New SMTP ICID ')" "$(count "$T/eg.log" 'New SMTP ICID ')" \
	"--esa: esmtpguard's lines all there"
mid=$(mid_of ok)
in_order "$OUT" "--esa: a delivery as ESA writes it" \
	"Info: MID $mid queued for delivery\$" \
	"Info: New SMTP DCID $dcid0 interface unknown address 127\.0\.0\.1 port $S_OK\$" \
	"Info: Delivery start DCID $dcid0 MID $mid to RID \[0, 1\]\$" \
	"Info: Message done DCID $dcid0 MID $mid to RID \[0, 1\]\$" \
	"Info: MID $mid RID \[0\] Response '2\.0\.0 " \
	"Info: DCID $dcid0 close\$"
like "$OUT" "Info: Delayed: DCID [1-9][0-9]* MID $(mid_of soft) From: <b@sender\.example> To: <x@soft\.example> RID 0 - 4\.3\.0 - [A-Za-z ]+ \('450', \['4\.3\.0 Error: command failed'\]\)\$" \
	"--esa: Delayed: with the remote reply"
like "$OUT" "Info: Bounced: DCID [1-9][0-9]* MID $(mid_of hard) From: <c@sender\.example> To: <x@hard\.example> RID 0 - 5\.3\.0 - .* \('500', \['5\.3\.0 Error: command failed'\]\) \[\]\$" \
	"--esa: Bounced: with the remote reply"
like "$OUT" "Info: Bounced: DCID 0 MID $(mid_of soft) .* - 5\.4\.7 - Delivery expired \(message too old\)" \
	"--esa: expiry as ESA's Delivery expired"
like "$OUT" "Info: Connection Error: DCID: $d_down domain: 127\.0\.0\.1 IP: 127\.0\.0\.1 port: $S_DOWN details: Connection refused interface: unknown reason: network error\$" \
	"--esa: Connection Error: DCID"

# --- JSON ----------------------------------------------------------------------------------
tr_run --json --mid "$(mid_of ok)"
is "$(wc -l <"$OUT")" 1 "--json: one line per record"
like "$OUT" "^\{\"mid\":$(mid_of ok),.*\"deliveries\":\[\{\"dcid\":$dcid0,\"rid\":0,.*\"status\":\"sent\".*\"status\":\"delivered\",\"complete\":true\}\$" \
	"--json: the record with its deliveries"
if command -v python3 >/dev/null 2>&1; then
	tr_run --json
	ok "--json: every line parses" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$OUT"
fi

# --- gzip, stdin, malformed input -------------------------------------------------------
tr_run --hosts --rejects
cp "$OUT" "$T/plain.out"
gzip -c "$MAILLOG" >"$T/maillog.gz"
"$TRACE" --hosts --rejects "$T/maillog.gz" "$T/eg.log" >"$OUT" 2>&1
ok "gzip input: the same report" cmp -s "$OUT" "$T/plain.out"
"$TRACE" --hosts --rejects - "$T/eg.log" <"$MAILLOG" >"$OUT" 2>&1
ok "stdin input: the same report" cmp -s "$OUT" "$T/plain.out"
{
	head -c 200000 /dev/urandom | tr -d '\0' | head -c 100000
	echo
	head -n 20 "$MAILLOG" | cut -c1-40
	sed -n '1,40p' "$T/eg.log" | cut -c1-60
} >"$T/junk.log"
"$TRACE" --hosts "$T/junk.log" "$T/eg.log" "$MAILLOG" >"$OUT" 2>"$T/err"
is "$?" 0 "junk input: no crash"
like "$T/err" 'lines? skipped' "junk input: skipped lines reported"

# --- follow ------------------------------------------------------------------------------------
: >"$T/live.log"
"$TRACE" -f --json "$T/live.log" >"$T/follow.out" 2>&1 &
FPID=$!
sleep 0.5
mid=$(mid_of ok)
icid=$(grep -E "Start MID $mid ICID" "$T/eg.log" | sed -E 's/.*ICID ([0-9]+)$/\1/')
# esmtpguard's lines of one session, then Postfix's: complete at "removed"
grep -E " ICID ${icid:-X}( |\$)| MID $mid " "$T/eg.log" >>"$T/live.log"
cat "$MAILLOG" >>"$T/live.log"
wait_for 10 grep -q "\"mid\":$mid," "$T/follow.out"
like "$T/follow.out" "\"mid\":$mid," "-f: a record as soon as its lines arrive"
kill "$FPID" 2>/dev/null
wait "$FPID"
is "$?" 0 "-f: SIGTERM ends it cleanly"

eg_stop
done_testing
