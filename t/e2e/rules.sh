#!/bin/bash
# shellcheck disable=SC2034,SC2119
# rules.sh - the inspection rules through a real Postfix: every ASA default
# rule with its action (the reply the client sees, the log lines, nothing
# queued when the connection is dropped), the same traffic untouched from a
# relay client, and optional rules with per-IP limits over concurrent
# connections (clients presented with XCLIENT).
E2E_PORT=25255
# every message goes to the hold queue: what was queued can be counted
PF_EXTRA="smtpd_recipient_restrictions = check_client_access static:HOLD"
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

pf_start
eg_conf <<'EOF'
sendergroup RELAY_SG  { match = { "10.0.0.0/8" } policy = TRUSTED }
sendergroup LIMITS_SG { match = { "192.0.2.0/24" } policy = LIMITS }
sendergroup ALL       { match = { "ALL" } policy = DEFAULT }
policy TRUSTED { access = relay }
policy DEFAULT { access = accept }
policy LIMITS {
  access = accept
  match messages_per_connection { gt = 2 action = tempfail }
  match connections_per_ip      { gt = 2 action = reject }
  match rcpt_per_hour_per_ip    { gt = 3 action = tempfail }
  match header_to_fields_count  { gt = 1 action = reject }
  match body_length             { gt = 3000 action = reject }
}
EOF
if ! eg_start; then
	echo "Bail out! esmtpguard does not start"
	exit 1
fi

held() { find "$PF/spool/hold" -type f 2>/dev/null | wc -l; }
long() { head -c "$2" /dev/zero | tr '\0' "$1"; }
rcpts() {
	local i list=
	for i in $(seq 1 "$1"); do list=$list${list:+,}r$i@rcpt.example; done
	echo "$list"
}

# c_message FD FROM RCPT... - one transaction with a small body
c_message() {
	local fd=$1 from=$2 r
	shift 2
	c_cmd "$fd" "MAIL FROM:<$from>" || return 1
	for r in "$@"; do c_cmd "$fd" "RCPT TO:<$r>" || return 1; done
	c_cmd "$fd" "DATA" || return 1
	printf 'Subject: t\r\n\r\nbody\r\n.\r\n' >&"$fd"
	c_read "$fd"
}

: >"$T/last.out"

# --- ASA defaults, client 127.0.0.1 (policy DEFAULT) ------------------

# cmd_line_length gt 512 drop-connection: "EHLO " + 600
log_mark
: >"$T/last.out"
c_open 4
c_cmd 4 "EHLO $(long h 600)"
like "$T/last.out" "^<4 421 4\.7\.0 mx\.test\.example closing connection: cmd_line_length exceeds 512 \(ICID [0-9]+\)\$" \
	"cmd_line_length: 421 with the rule and the ICID"
c_cmd 4 "NOOP"
is "$C_REPLY" "(closed)" "cmd_line_length: Postfix closed the connection"
c_close 4
wait_close
like "$T/new.log" "ICID [0-9]+ ESMTP policy DEFAULT matched cmd_line_length gt 512: 605 action drop-connection\$" \
	"cmd_line_length: the hit is logged without MID"

# rcpt_count gt 100 drop-connection: the 101st recipient
log_mark
before=$(held)
sw --from a@sender.example --to "$(rcpts 101)" --body 'x'
like "$T/last.out" "421 4\.7\.0 mx\.test\.example closing connection: rcpt_count exceeds 100 \(ICID [0-9]+ MID [0-9]+\)" \
	"rcpt_count: the 101st RCPT gets 421 with ICID and MID"
wait_close
icid=$(icid_of 'address 127\.0\.0\.1 ')
mid=$(mids_of "${icid:-X}" | head -1)
in_order "$T/new.log" "rcpt_count: hit, dropped, finished aborted, close" \
	"MID $mid ICID $icid RID 99 To: <r100@rcpt\.example>\$" \
	"MID $mid ICID $icid ESMTP policy DEFAULT matched rcpt_count gt 100: 101 action drop-connection\$" \
	"Message aborted MID $mid Dropped by policy rcpt_count\$" \
	"Message finished MID $mid aborted\$" \
	"ICID $icid close\$"
unlike "$T/new.log" "RID 100 |ICID $icid lost" "rcpt_count: no RID 100, not 'lost'"
is "$(held)" "$before" "rcpt_count: nothing queued"

# body_line_length gt 998 log: the message goes through
log_mark
before=$(held)
sw --from a@sender.example --to b@rcpt.example --body "$(long b 1200)"
like "$T/last.out" '^<- +250 .*queued as' "body_line_length: queued (action log)"
wait_close
mid=$(grep -Eo 'Start MID [0-9]+' "$T/new.log" | head -1 | cut -d' ' -f3)
in_order "$T/new.log" "body_line_length: hit logged, message done" \
	"MID $mid ICID [0-9]+ ESMTP policy DEFAULT matched body_line_length gt 998: 1200 action log\$" \
	"Message finished MID $mid done\$"
is "$(held)" "$((before + 1))" "body_line_length: one message queued"

# header_line_length gt 998 drop-connection: found after the final dot
log_mark
before=$(held)
sw --from a@sender.example --to b@rcpt.example \
	--header "X-Long: $(long v 1100)" --body 'x'
like "$T/last.out" "421 4\.7\.0 mx\.test\.example closing connection: header_line_length exceeds 998 \(ICID [0-9]+ MID [0-9]+\)" \
	"header_line_length: 421 at end of data"
wait_close
mid=$(grep -Eo 'Start MID [0-9]+' "$T/new.log" | head -1 | cut -d' ' -f3)
in_order "$T/new.log" "header_line_length: hit (wire length), dropped" \
	"MID $mid ICID [0-9]+ ESMTP policy DEFAULT matched header_line_length gt 998: 1108 action drop-connection\$" \
	"Message aborted MID $mid Dropped by policy header_line_length\$" \
	"Message finished MID $mid aborted\$"
is "$(held)" "$before" "header_line_length: nothing queued"

# sender_address_length gt 320 drop-connection
log_mark
before=$(held)
sw --from "$(long s 321)@sender.example" --to b@rcpt.example --body 'x'
like "$T/last.out" "421 4\.7\.0 mx\.test\.example closing connection: sender_address_length exceeds 320 \(ICID [0-9]+ MID [0-9]+\)" \
	"sender_address_length: 421 at MAIL"
wait_close
like "$T/new.log" "MID [0-9]+ ICID [0-9]+ ESMTP policy DEFAULT matched sender_address_length gt 320: 336 action drop-connection\$" \
	"sender_address_length: hit logged with the address length"
like "$T/new.log" "Message aborted MID [0-9]+ Dropped by policy sender_address_length\$" \
	"sender_address_length: message dropped"
is "$(held)" "$before" "sender_address_length: nothing queued"

# mime_filename_length gt 255 drop-connection: a nested part's file name
# in RFC 2231 continuations, 300 bytes once decoded ("%41" is one byte)
mime_msg() {	# mime_msg FILE NAME_SECTION_0 NAME_SECTION_1
	cat >"$1" <<EOM
From: <a@sender.example>
To: <b@rcpt.example>
Subject: attachment
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain

see the attachment
--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: application/octet-stream
Content-Disposition: attachment;
 filename*0*=utf-8''$2;
 filename*1*=$3
Content-Transfer-Encoding: base64

aGVsbG8K
--inner--
--outer--
EOM
}
log_mark
before=$(held)
mime_msg "$T/mime-long.eml" "$(long a 200)" "$(printf '%%41%.0s' $(seq 1 100))"
sw --from a@sender.example --to b@rcpt.example --data "$T/mime-long.eml"
like "$T/last.out" "421 4\.7\.0 mx\.test\.example closing connection: mime_filename_length exceeds 255 \(ICID [0-9]+ MID [0-9]+\)" \
	"mime_filename_length: 421 at end of data"
wait_close
like "$T/new.log" "MID [0-9]+ ICID [0-9]+ ESMTP policy DEFAULT matched mime_filename_length gt 255: 300 action drop-connection\$" \
	"mime_filename_length: hit logged with the decoded length"
is "$(held)" "$before" "mime_filename_length: nothing queued"
mime_msg "$T/mime-ok.eml" "$(long a 200)" "$(printf '%%41%.0s' $(seq 1 55))"
sw --from a@sender.example --to b@rcpt.example --data "$T/mime-ok.eml"
like "$T/last.out" '^<- +250 .*queued as' "mime_filename_length: 255 bytes pass"

# pipe_in_address gt 0 drop-connection
log_mark
sw --from a@sender.example --to 'b|c@rcpt.example' --body 'x'
like "$T/last.out" "421 4\.7\.0 mx\.test\.example closing connection: pipe_in_address \(ICID [0-9]+ MID [0-9]+\)" \
	"pipe_in_address: 421 at RCPT"
wait_close
like "$T/new.log" "ESMTP policy DEFAULT matched pipe_in_address gt 0: <b\|c@rcpt\.example> action drop-connection\$" \
	"pipe_in_address: the offending address is logged"

# unknown_commands gt 0 log
log_mark
: >"$T/last.out"
c_open 4
c_cmd 4 "EHLO client.test.example"
c_cmd 4 "XFOO bar"
like "$T/last.out" "^<4 50[0-9] " "unknown: Postfix refuses the command itself"
c_cmd 4 "QUIT"
c_close 4
wait_close
in_order "$T/new.log" "unknown: the command, then the hit (connection-level, no MID)" \
	"ICID [0-9]+ Unknown command: XFOO\$" \
	"ICID [0-9]+ ESMTP policy DEFAULT matched unknown_commands gt 0: 1 action log\$"

# --- the same traffic from a relay client: untouched ------------------
log_mark
before=$(held)
sw --xclient-addr 10.1.2.3 --from "$(long s 321)@sender.example" \
	--to "$(rcpts 101),b|c@rcpt.example" --header "X-Long: $(long v 1100)" \
	--body "$(long b 1200)"
like "$T/last.out" '^<- +250 .*queued as' "relay: the violating message is queued"
wait_close 2
like "$T/new.log" "ICID [0-9]+ RELAY SG RELAY_SG match 10\.0\.0\.0/8" "relay: RELAY verdict"
unlike "$T/new.log" "matched" "relay: no rule matched"
like "$T/new.log" "RID 101 To: <b\|c@rcpt\.example>" "relay: all 102 recipients logged"
is "$(held)" "$((before + 1))" "relay: one message queued"

# --- optional rules (policy LIMITS, clients 192.0.2.x) ------------------

# messages_per_connection gt 2 tempfail: the third MAIL
log_mark
: >"$T/last.out"
c_as 4 192.0.2.10
c_message 4 a@sender.example b@rcpt.example
c_message 4 a@sender.example b@rcpt.example
c_cmd 4 "MAIL FROM:<a@sender.example>"
like "$T/last.out" "^<4 451 4\.7\.0 Too many messages in this connection: messages_per_connection exceeds 2 \(ICID [0-9]+ MID [0-9]+\)\$" \
	"messages_per_connection: the third MAIL gets 451 4.7.0"
c_cmd 4 "QUIT"
c_close 4
wait_close 2
like "$T/new.log" "ICID [0-9]+ ESMTP policy LIMITS matched messages_per_connection gt 2: 3 action tempfail\$" \
	"messages_per_connection: hit logged"
like "$T/new.log" "Message aborted MID [0-9]+ Rejected by policy messages_per_connection\$" \
	"messages_per_connection: the transaction ends"

# connections_per_ip gt 2 reject: three concurrent connections
log_mark
: >"$T/last.out"
c_as 4 192.0.2.20
c_as 5 192.0.2.20
c_as 6 192.0.2.20
c_cmd 6 "MAIL FROM:<a@sender.example>"
like "$T/last.out" "^<6 554 5\.7\.0 Too many connections from your address: connections_per_ip exceeds 2 \(ICID [0-9]+\)\$" \
	"connections_per_ip: the third concurrent connection is refused"
c_cmd 4 "MAIL FROM:<a@sender.example>"
like "$T/last.out" "^<4 250 " "connections_per_ip: the first still works"
c_cmd 4 "QUIT"
c_close 4
c_cmd 6 "QUIT"
c_close 6
wait_close 4
c_as 7 192.0.2.20
c_cmd 7 "MAIL FROM:<a@sender.example>"
like "$T/last.out" "^<7 250 " "connections_per_ip: a closed connection makes room"
for fd in 5 7; do c_cmd $fd QUIT; c_close $fd; done
wait_close 6
like "$T/new.log" "ICID [0-9]+ ESMTP policy LIMITS matched connections_per_ip gt 2: 3 action reject\$" \
	"connections_per_ip: hit logged"

# rcpt_per_hour_per_ip gt 3 tempfail: across two connections
log_mark
: >"$T/last.out"
c_as 4 192.0.2.30
c_message 4 a@sender.example r1@rcpt.example r2@rcpt.example
c_cmd 4 QUIT
c_close 4
c_as 5 192.0.2.30
c_cmd 5 "MAIL FROM:<a@sender.example>"
c_cmd 5 "RCPT TO:<r3@rcpt.example>"
c_cmd 5 "RCPT TO:<r4@rcpt.example>"
like "$T/last.out" "^<5 450 4\.7\.1 Too many recipients from your address: rcpt_per_hour_per_ip exceeds 3 \(ICID [0-9]+ MID [0-9]+\)\$" \
	"rcpt_per_hour_per_ip: the 4th recipient in the hour gets 450 4.7.1"
c_cmd 5 QUIT
c_close 5
wait_close 3
like "$T/new.log" "ICID [0-9]+ ESMTP policy LIMITS matched rcpt_per_hour_per_ip gt 3: 4 action tempfail\$" \
	"rcpt_per_hour_per_ip: hit logged"

# header_to_fields_count gt 1 reject, body_length gt 3000 reject
log_mark
before=$(held)
sw --xclient-addr 192.0.2.40 --from a@sender.example --to b@rcpt.example \
	--header 'To: <b@rcpt.example>' --add-header 'To: <c@rcpt.example>' --body 'x'
like "$T/last.out" "554 5\.6\.0 Too many To: header fields: header_to_fields_count exceeds 1 \(ICID [0-9]+ MID [0-9]+\)" \
	"header_to_fields_count: 554 5.6.0 at end of data"
sw --xclient-addr 192.0.2.41 --from a@sender.example --to b@rcpt.example \
	--body "$(long z 5000)"
like "$T/last.out" "552 5\.3\.4 Message size exceeds fixed limit: body_length exceeds 3000 \(ICID [0-9]+ MID [0-9]+\)" \
	"body_length: 552 5.3.4 at end of data"
is "$(held)" "$before" "rejected messages are not queued"
: >"$T/last.out"
c_as 4 192.0.2.42
c_cmd 4 "MAIL FROM:<a@sender.example> SIZE=5000"
like "$T/last.out" "^<4 552 5\.3\.4 Message size exceeds fixed limit: body_length exceeds 3000 " \
	"body_length: SIZE= at MAIL is refused at once"
c_cmd 4 QUIT
c_close 4

# --- counters on SIGUSR1 ----------------------------------------------
log_mark
kill -USR1 "$EG_PID"
wait_for 5 eval 'log_new; grep -q "Inspect: esmtp policy LIMITS match body_length" "$T/new.log"'
like "$T/new.log" "Inspect: esmtp policy DEFAULT match rcpt_count gt 100 drop-connection log: evaluated [0-9]+, matched 1, log 0, reject 0, tempfail 0, drop-connection 1\$" \
	"counters: rcpt_count matched once, dropped"
like "$T/new.log" "Inspect: esmtp policy LIMITS match body_length gt 3000 reject log: evaluated [0-9]+, matched 2, log 0, reject 2," \
	"counters: body_length rejected twice"
ok "Postfix stayed healthy" pf_healthy

done_testing
