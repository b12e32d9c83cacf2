#!/bin/bash
# shellcheck disable=SC2034,SC2119
# sendmail.sh - the session log and the inspection rules through a real
# private Sendmail (the INPUT_MAIL_FILTER line of contrib/sendmail/
# esmtpguard.mc): the scenarios of session.sh, the ASA defaults and actions
# of rules.sh, and what Sendmail does differently (reference/mta-
# behaviour.md §3, §5): a queue ID from connect on and a new one per
# transaction, {if_addr} and a {daemon_addr} that is the listening address,
# {client_ptr} "[addr]" for a client without a name, the whole line of an
# unknown command, a bare LF answered with 421.
E2E_PORT=25252
ANY_PORT=25253		# a second listener on 0.0.0.0
SM_EXTRA="DAEMON_OPTIONS(\`Port=$ANY_PORT, Addr=0.0.0.0, Name=MTA-ANY')dnl"
MTA_ACCEPTED='250 2\.0\.0 [0-9A-Za-z]+ Message accepted'
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/e2e/scenarios.sh
. "$(dirname "$0")/scenarios.sh"

sm_available || skip_all "no unpacked Sendmail (contrib/deps.sh puts it in /var/cache/esmtpguard)"
for tool in m4 ss; do
	command -v "$tool" >/dev/null 2>&1 || skip_all "$tool not installed (contrib/deps.sh installs it)"
done
# addresses of this test's own network namespace: the MTA's interface,
# clients without a name (one with on_fail = reject), a relay
ip addr add 192.0.2.1/32 dev lo && ip addr add 192.0.2.10/32 dev lo &&
	ip addr add 192.0.2.20/32 dev lo && ip addr add 198.51.100.7/32 dev lo ||
	skip_all "cannot add addresses to lo in the test namespace"

# 198.51.100.7 relays; 192.0.2.10 gets limits Sendmail's own do not hide
eg_conf <<'EOF'
sendergroup RELAY_SG  { match = { "198.51.100.0/24" } policy = TRUSTED }
sendergroup LIMITS_SG { match = { "192.0.2.10" } policy = LIMITS }
sendergroup SPFREJ_SG { match = { "192.0.2.20" } policy = SPF_REJECT }
sendergroup ALL       { match = { "ALL" } policy = DEFAULT }
policy TRUSTED { access = relay }
policy SPF_REJECT { spf { on_fail = reject } }
policy DEFAULT { access = accept }
policy LIMITS {
  access = accept
  match sender_address_length { gt = 100 action = drop-connection }
  match rcpt_count            { gt = 2 action = reject }
}
EOF
if ! eg_start; then
	echo "Bail out! esmtpguard does not start"
	exit 1
fi
sm_start

# accepted_id - the queue ID of Sendmail's last "250 2.0.0 ID Message
# accepted for delivery" in last.out
accepted_id() {
	sed -nE 's/^<[-3] +250 2\.0\.0 ([0-9A-Za-z]+) Message accepted.*/\1/p' "$T/last.out" | tail -1
}

# --- 1-4: the scenarios both MTAs pass alike (scenarios.sh), and where
# Sendmail's queue ID ("i", from connect on, new per transaction) lands ---
sc_normal
smid=$(accepted_id)
is "$SC_QID" "${smid:-none}" \
	"normal: the logged queue ID is the one in Sendmail's 250 reply"
ok "normal: Sendmail holds the message in its queue" sm_queued "${smid:-none}"
is "$(grep -c '^H??X-ESMTPGuard-ID: ' "$SM/queue/qf${smid:-none}" 2>/dev/null)" 1 \
	"normal: the id_header is added once"
has "$SM/queue/qf${smid:-none}" "X-ESMTPGuard-ID: ICID=$SC_ICID MID=$SC_MID" \
	"normal: id_header X-ESMTPGuard-ID: ICID=$SC_ICID MID=$SC_MID in the queued message"
sc_quit
ok "quit: nothing of the transaction is queued" test ! -e "$SM/queue/qf${SC_QID:-none}"
sc_drop
sc_rset
smid=$(accepted_id)
q1=$(sc_qid_of "$SC_M1") q2=$(sc_qid_of "$SC_M2")
is "$q2" "${smid:-none}" "rset: the second message's queue ID is Sendmail's (250 reply)"
ok "rset: the reset transaction had a queue ID of its own" \
	test -n "$q1" -a "$q1" != "$q2"
ok "rset: nothing of the reset transaction is queued" test ! -e "$SM/queue/qf${q1:-none}"

# --- 5. unknown commands: Sendmail passes the whole line ---
log_mark
smtp_open
smtp_cmd "EHLO client.test.example"
smtp_cmd "XFOO bar baz"
like "$T/last.out" '^<3 500 5\.5\.1 Command unrecognized: "XFOO bar baz"' \
	"unknown: Sendmail answers 500 with the whole line"
smtp_cmd "MAIL FROM:<u@sender.example>"
smtp_cmd $'XBAR \x01'
smtp_cmd "QUIT"
smtp_close
wait_close
icid=$(icid_of 'address 127\.0\.0\.1 ')
has "$T/new.log" "ICID ${icid:-X} Unknown command: XFOO bar baz" \
	"unknown: logged with its arguments (the whole line)"
has "$T/new.log" "ICID ${icid:-X} Unknown command: XBAR \\x01" \
	"unknown: inside a transaction too, control byte escaped"

# --- 6. a bare LF in the message: Sendmail answers 421 and closes ---
log_mark
smtp_open
smtp_cmd "EHLO client.test.example"
smtp_cmd "MAIL FROM:<lf@sender.example>"
smtp_cmd "RCPT TO:<b@rcpt.example>"
smtp_cmd "DATA"
printf 'Subject: smuggled\r\n\r\nbare\nline feed\r\n.\r\n' >&3
smtp_read
like "$T/last.out" '^<3 421 4\.5\.0 Bare linefeed' "bare LF: Sendmail answers 421 4.5.0"
smtp_close
wait_close
icid=$(icid_of 'address 127\.0\.0\.1 ')
mid=$(mids_of "${icid:-X}" | head -1)
: "${icid:=X}" "${mid:=X}"
in_order "$T/new.log" "bare LF: Receiving aborted, finished aborted, lost, close" \
	"MID $mid ICID $icid From: <lf@sender\.example>\$" \
	"Message aborted MID $mid Receiving aborted\$" \
	"Message finished MID $mid aborted\$" \
	"ICID $icid lost\$" \
	"ICID $icid close\$"
unlike "$T/new.log" "Message finished MID $mid done|Subject 'smuggled'" \
	"bare LF: the message never reached the end of the header"

# --- 7. a client without a name, on an interface that is not loopback:
# {client_ptr} is "[192.0.2.10]", {if_addr} names the interface ---
log_mark
timeout 60 swaks --server "192.0.2.1:$ANY_PORT" --local-interface 192.0.2.10 \
	--timeout 20 --helo client.test.example --from n@sender.example \
	--to b@rcpt.example >"$T/last.out" 2>&1
like "$T/last.out" '^<- +250 2\.0\.0 [0-9A-Za-z]+ Message accepted' "no name: accepted"
wait_close
like "$T/new.log" "New SMTP ICID [0-9]+ interface 192\.0\.2\.1 address 192\.0\.2\.10 reverse dns host unknown verified no\$" \
	"no name: interface from {if_addr}, [addr] logged as no name"
unlike "$T/new.log" 'reverse dns host \[' "no name: '[192.0.2.10]' is never shown as a host name"

# --- 8. the 0.0.0.0 listener reached over loopback: no {if_addr}, and
# {daemon_addr} is the wildcard, which says nothing ---
log_mark
timeout 60 swaks --server "127.0.0.1:$ANY_PORT" --timeout 20 \
	--helo client.test.example --from w@sender.example \
	--to b@rcpt.example >"$T/last.out" 2>&1
wait_close
like "$T/new.log" "New SMTP ICID [0-9]+ interface unknown address 127\.0\.0\.1 " \
	"wildcard listener: interface unknown"
unlike "$T/new.log" 'interface 0\.0\.0\.0' "wildcard listener: 0.0.0.0 is not logged as the interface"

# --- 9. the ASA defaults and actions through Sendmail ---
long() { head -c "$2" /dev/zero | tr '\0' "$1"; }
rcpts() {
	local i list=
	for i in $(seq 1 "$1"); do list=$list${list:+,}r$i@rcpt.example; done
	echo "$list"
}
queued() { find "$SM/queue" -name 'qf*' | wc -l; }
# swaks_from ADDR ARGS... - swaks from a client address of the namespace
swaks_from() {
	timeout 60 swaks --server "127.0.0.1:$E2E_PORT" --local-interface "$1" \
		--timeout 20 --helo client.test.example "${@:2}" >"$T/last.out" 2>&1
}
# dropped RULE WHAT DESC - after a client action: the 421 naming RULE, the
# hit "matched RULE WHAT action drop-connection", the message ended as
# dropped, nothing more in the queue than $before
dropped() {
	like "$T/last.out" "421 4\.7\.0 mx\.test\.example closing connection: $1" \
		"$1: 421 closing connection"
	wait_close
	like "$T/new.log" "ESMTP policy [A-Z_]+ matched $1 $2 action drop-connection\$" \
		"$1: the hit is logged"
	like "$T/new.log" "Message aborted MID [0-9]+ Dropped by policy $1\$" \
		"$1: the message is dropped"
	is "$(queued)" "$before" "$1: nothing queued"
}

# cmd_line_length: Sendmail refuses a HELO name that long itself, but
# passes an unknown command whole, arguments included (Postfix: the verb)
log_mark
: >"$T/last.out"
c_open 4
c_cmd 4 "EHLO client.test.example"
c_cmd 4 "XFOO $(long x 600)"
like "$T/last.out" "^<4 421 4\.7\.0 mx\.test\.example closing connection: cmd_line_length exceeds 512 \(ICID [0-9]+\)\$" \
	"cmd_line_length: a 605-byte unknown command gets 421 with the ICID"
c_cmd 4 "NOOP"
is "$C_REPLY" "(closed)" "cmd_line_length: Sendmail closed the connection"
c_close 4
wait_close
like "$T/new.log" "ICID [0-9]+ ESMTP policy DEFAULT matched cmd_line_length gt 512: 605 action drop-connection\$" \
	"cmd_line_length: the hit is logged without MID"

log_mark
before=$(queued)
sw --from a@sender.example --to "$(rcpts 101)" --body x
dropped rcpt_count "gt 100: 101"
unlike "$T/new.log" "RID 100 " "rcpt_count: no RID 100"

log_mark
before=$(queued)
sw --from a@sender.example --to b@rcpt.example --header "X-Long: $(long v 1100)" --body x
dropped header_line_length "gt 998: 1108"

log_mark
before=$(queued)
sw --from a@sender.example --to 'b|c@rcpt.example' --body x
dropped pipe_in_address "gt 0: <b\|c@rcpt\.example>"

log_mark
before=$(queued)
sw --from a@sender.example --to b@rcpt.example --body "$(long b 1200)"
like "$T/last.out" "^<- +$MTA_ACCEPTED" "body_line_length: accepted (action log)"
wait_close
like "$T/new.log" "ESMTP policy DEFAULT matched body_line_length gt 998: 1200 action log\$" \
	"body_line_length: the hit is logged"
is "$(queued)" "$((before + 1))" "body_line_length: the message is queued"

# mime_filename_length: a quoted Content-Disposition file name of 300 bytes
printf '%s\r\n' "From: <a@sender.example>" "To: <b@rcpt.example>" \
	"Subject: attachment" "MIME-Version: 1.0" \
	'Content-Type: multipart/mixed; boundary="b"' "" "--b" \
	"Content-Type: application/octet-stream" \
	"Content-Disposition: attachment;" " filename=\"$(long f 296).pdf\"" \
	"" "aGVsbG8K" "--b--" >"$T/mime.eml"
log_mark
before=$(queued)
sw --from a@sender.example --to b@rcpt.example --data "$T/mime.eml"
dropped mime_filename_length "gt 255: 300"

log_mark
: >"$T/last.out"
c_open 4
c_cmd 4 "EHLO client.test.example"
c_cmd 4 "XFOO bar"
c_cmd 4 "QUIT"
c_close 4
wait_close
in_order "$T/new.log" "unknown_commands: the whole line, then the hit (no MID)" \
	"ICID [0-9]+ Unknown command: XFOO bar\$" \
	"ICID [0-9]+ ESMTP policy DEFAULT matched unknown_commands gt 0: 1 action log\$"

# sender_address_length: Sendmail refuses addresses over 256 bytes itself,
# so the ASA's 320 never reaches the milter; a lower limit does
log_mark
sw --from "$(long s 321)@sender.example" --to b@rcpt.example --body x
like "$T/last.out" "^<\*\* +553 5\.1\.0 " "sender_address_length: Sendmail refuses 336 bytes itself (553)"
wait_close
unlike "$T/new.log" "matched sender_address_length" "sender_address_length: the milter never saw it"
log_mark
before=$(queued)
swaks_from 192.0.2.10 --from "$(long s 150)@sender.example" --to b@rcpt.example --body x
dropped sender_address_length "gt 100: 165"

# reject: the third recipient is refused, the message goes with two
log_mark
before=$(queued)
swaks_from 192.0.2.10 --from a@sender.example --to "$(rcpts 3)" --body x
like "$T/last.out" "^<\*\* +552 5\.5\.3 .*Too many recipients" "rcpt_count reject: the 3rd RCPT gets 552 5.5.3"
like "$T/last.out" "^<- +$MTA_ACCEPTED" "rcpt_count reject: the message goes to the other two"
wait_close
like "$T/new.log" "ESMTP policy LIMITS matched rcpt_count gt 2: 3 action reject\$" \
	"rcpt_count reject: the hit is logged"
is "$(queued)" "$((before + 1))" "rcpt_count reject: one message queued"

# relay: the same traffic passes untouched, and is logged
log_mark
before=$(queued)
swaks_from 198.51.100.7 --from a@sender.example --to "$(rcpts 101)" \
	--header "X-Long: $(long v 1100)" --body x
like "$T/last.out" "^<- +$MTA_ACCEPTED" "relay: 101 recipients and a long header pass"
wait_close
like "$T/new.log" "ICID [0-9]+ RELAY SG RELAY_SG match 198\.51\.100\.0/24 SBRS not enabled\$" \
	"relay: the HAT line says RELAY"
unlike "$T/new.log" "ESMTP policy" "relay: no rule fires"
is "$(queued)" "$((before + 1))" "relay: the message is queued"

# --- 10. SPF: Sendmail has no XCLIENT, so the clients really connect
# from addresses of the namespace (libspf2 passes loopback without DNS),
# against dnsmasq in the namespace ---
if command -v dnsmasq >/dev/null 2>&1 && dns_start <<'EOF'; then
txt-record=pass.test,"v=spf1 ip4:192.0.2.0/24 -all"
txt-record=fail.test,"v=spf1 ip4:198.51.100.0/24 -all"
EOF
	log_mark
	swaks_from 192.0.2.10 --from a@pass.test --to b@rcpt.example --body x
	like "$T/last.out" "^<- +$MTA_ACCEPTED" "spf pass: accepted"
	smid=$(accepted_id)
	wait_close
	mid=$(grep -Eo 'Start MID [0-9]+' "$T/new.log" | head -1 | cut -d' ' -f3)
	has "$T/new.log" "MID ${mid:-X} SPF: mailfrom identity a@pass.test Pass" \
		"spf pass: the result is logged"
	like "$SM/queue/qf${smid:-none}" '^H\?\?Received-SPF: pass \(.*client-ip=192\.0\.2\.10; envelope-from=a@pass\.test' \
		"spf pass: Received-SPF in the queued message"

	log_mark
	before=$(queued)
	swaks_from 192.0.2.20 --from a@fail.test --to b@rcpt.example --body x
	like "$T/last.out" "^<[*-]+ +550 5\.7\.1 SPF unauthorized mail is prohibited \(ICID [0-9]+ MID [0-9]+\)\$" \
		"spf fail, on_fail = reject: 550 5.7.1 with the IDs"
	wait_close
	like "$T/new.log" "MID [0-9]+ SPF: mailfrom identity a@fail\.test Fail\$" \
		"spf fail: the result is logged"
	is "$(queued)" "$before" "spf fail, on_fail = reject: nothing queued"
	dns_stop
else
	for d in "pass: accepted" "pass: logged" "pass: Received-SPF" \
		 "fail: 550 5.7.1" "fail: logged" "fail: nothing queued"; do
		E2E_N=$((E2E_N + 1))
		echo "ok $E2E_N - spf $d # SKIP dnsmasq missing or does not start"
	done
fi

# --- 11. esmtpguard down: F=T makes MAIL FROM fail temporarily ---
ok "esmtpguard still running" alive "$EG_PID"
eg_stop
is "${EG_STATUS:-none}" 0 "SIGTERM: exit status 0"
smtp_open
smtp_cmd "EHLO client.test.example"
smtp_cmd "MAIL FROM:<down@sender.example>"
like "$T/last.out" '^<3 451 4\.3\.2 ' "esmtpguard down: MAIL FROM gets 451 4.3.2 (F=T)"
smtp_cmd "QUIT"
smtp_close
done_testing
