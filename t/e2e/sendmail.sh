#!/bin/bash
# shellcheck disable=SC2034,SC2119
# sendmail.sh - the session log through a real private Sendmail (the
# INPUT_MAIL_FILTER line of contrib/sendmail/esmtpguard.mc), the scenarios
# of session.sh plus what Sendmail does differently (reference/mta-
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
# addresses of this test's own network namespace: the MTA's interface and
# a client without a name
ip addr add 192.0.2.1/32 dev lo && ip addr add 192.0.2.10/32 dev lo ||
	skip_all "cannot add addresses to lo in the test namespace"

eg_conf <<'EOF'
sendergroup RELAY_SG { match = { "10.0.0.0/8" } policy = TRUSTED }
sendergroup ALL      { match = { "ALL" } policy = DEFAULT }
policy TRUSTED { access = relay }
policy DEFAULT { access = accept }
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

# --- 9. esmtpguard down: F=T makes MAIL FROM fail temporarily ---
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
