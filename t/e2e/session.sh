#!/bin/bash
# shellcheck disable=SC2034,SC2119
# session.sh - the ESA-format session log through a real Postfix: a normal
# message, MAIL+RCPT then QUIT, a connection lost mid-DATA, RSET between two
# messages, client control bytes escaped; id_header in the queued message.
E2E_PORT=25251
# every message goes to the hold queue, so postcat can show what was queued
PF_EXTRA="smtpd_recipient_restrictions = check_client_access static:HOLD"
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

pf_start
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

# --- 1. a normal message, two recipients ---
log_mark
sw --from a@sender.example --to b@rcpt.example,c@rcpt.example \
	--header 'Subject: hello' --header 'Message-Id: <m1@sender.example>' \
	--body 'line one'
like "$T/last.out" '^<- +250 .*queued as' "normal: Postfix queued the message"
wait_close
icid=$(icid_of 'address 127\.0\.0\.1 ')
mid=$(mids_of "$icid" | head -1)
ok "normal: ICID and MID logged" test -n "$icid" -a -n "$mid"
: "${icid:=X}" "${mid:=X}"
in_order "$T/new.log" "normal: the full line sequence, in order" \
	"New SMTP ICID $icid interface 127\.0\.0\.1 address 127\.0\.0\.1 reverse dns host localhost verified yes\$" \
	"ICID $icid ACCEPT SG ALL match ALL SBRS not enabled\$" \
	"Start MID $mid ICID $icid\$" \
	"MID $mid ICID $icid From: <a@sender\.example>\$" \
	"MID $mid ICID $icid RID 0 To: <b@rcpt\.example>\$" \
	"MID $mid ICID $icid RID 1 To: <c@rcpt\.example>\$" \
	"MID $mid ICID $icid queue ID [0-9A-Za-z]+\$" \
	"MID $mid Message-ID '<m1@sender\.example>'\$" \
	"MID $mid Subject 'hello'\$" \
	"MID $mid ready [0-9]+ bytes from <a@sender\.example>\$" \
	"Message finished MID $mid done\$" \
	"ICID $icid close\$"
all_esa() { [ -s "$T/new.log" ] && ! grep -Evq "$ESA_TS" "$T/new.log"; }
ok "normal: every line in ESA file format (date Info: text)" all_esa
unlike "$T/new.log" "Message aborted MID $mid|ICID $icid lost" \
	"normal: neither aborted nor lost"
is "$(count "$T/new.log" "ICID $icid close\$")" 1 "normal: exactly one close line"
qid=$(grep -E "MID $mid ICID $icid queue ID " "$T/new.log" | head -1 |
	sed -E 's/.* queue ID ([0-9A-Za-z]+)$/\1/')
like "$PF/log/maillog" "${qid:-NOQID}: client=localhost" \
	"normal: the logged queue ID is Postfix's"
postcat -c "$PF/etc" -hq "${qid:-NOQID}" >"$T/postcat.out" 2>&1
like "$T/postcat.out" "^X-ESMTPGuard-ID: ICID=$icid MID=$mid\$" \
	"normal: id_header X-ESMTPGuard-ID in the queued message"
is "$(count "$T/postcat.out" '^X-ESMTPGuard-ID:')" 1 \
	"normal: the id_header is added once"

# --- 2. MAIL + RCPT, then QUIT ---
log_mark
sw --from q@sender.example --to b@rcpt.example --quit-after RCPT
wait_close
icid=$(icid_of 'address 127\.0\.0\.1 ')
mid=$(mids_of "${icid:-X}" | head -1)
ok "quit: ICID and MID logged" test -n "$icid" -a -n "$mid"
: "${icid:=X}" "${mid:=X}"
in_order "$T/new.log" "quit: aborted, finished aborted, close" \
	"Start MID $mid ICID $icid\$" \
	"MID $mid ICID $icid From: <q@sender\.example>\$" \
	"MID $mid ICID $icid RID 0 To: <b@rcpt\.example>\$" \
	"Message aborted MID $mid Receiving aborted\$" \
	"Message finished MID $mid aborted\$" \
	"ICID $icid close\$"
unlike "$T/new.log" "ICID $icid lost" "quit: no 'lost' line (QUIT before DATA)"
unlike "$T/new.log" "Message finished MID $mid done" "quit: not done"

# --- 3. connection lost mid-DATA ---
log_mark
smtp_open
smtp_cmd "EHLO client.test.example"
smtp_cmd "MAIL FROM:<d@sender.example>"
smtp_cmd "RCPT TO:<b@rcpt.example>"
smtp_cmd "DATA"
is "${SMTP_REPLY%% *}" 354 "drop: DATA accepted (354)"
smtp_send "Subject: never finished"
smtp_send ""
smtp_send "half a body"
smtp_close
wait_close
icid=$(icid_of 'address 127\.0\.0\.1 ')
mid=$(mids_of "${icid:-X}" | head -1)
ok "drop: ICID and MID logged" test -n "$icid" -a -n "$mid"
: "${icid:=X}" "${mid:=X}"
in_order "$T/new.log" "drop: Receiving aborted, finished aborted, lost, close" \
	"Start MID $mid ICID $icid\$" \
	"Message aborted MID $mid Receiving aborted\$" \
	"Message finished MID $mid aborted\$" \
	"ICID $icid lost\$" \
	"ICID $icid close\$"
unlike "$T/new.log" "Receiving aborted by sender" "drop: not 'by sender'"

# --- 4. RSET between two messages ---
log_mark
smtp_open
smtp_cmd "EHLO client.test.example"
smtp_cmd "MAIL FROM:<r1@sender.example>"
smtp_cmd "RCPT TO:<b@rcpt.example>"
smtp_cmd "RSET"
smtp_cmd "MAIL FROM:<r2@sender.example>"
smtp_cmd "RCPT TO:<b@rcpt.example>"
smtp_cmd "DATA"
smtp_send "Subject: second"
smtp_send "Message-Id: <r2@sender.example>"
smtp_send ""
smtp_send "body"
smtp_cmd "."
like "$T/last.out" '^<3 250 .*queued as' "rset: the second message is queued"
smtp_cmd "QUIT"
smtp_close
wait_close
icid=$(icid_of 'address 127\.0\.0\.1 ')
mapfile -t mids < <(mids_of "${icid:-X}")
is "${#mids[@]}" 2 "rset: two MIDs in one ICID"
m1=${mids[0]:-X} m2=${mids[1]:-X}
ok "rset: the second MID is above the first" test "$m2" -gt "$m1" 2>/dev/null
in_order "$T/new.log" "rset: first aborted by sender, second done, then close" \
	"MID $m1 ICID $icid From: <r1@sender\.example>\$" \
	"Message aborted MID $m1 Receiving aborted by sender\$" \
	"Message finished MID $m1 aborted\$" \
	"Start MID $m2 ICID $icid\$" \
	"MID $m2 ICID $icid From: <r2@sender\.example>\$" \
	"MID $m2 Subject 'second'\$" \
	"Message finished MID $m2 done\$" \
	"ICID $icid close\$"
unlike "$T/new.log" "ICID ${icid:-X} lost" "rset: no 'lost' line"

# --- 5. client control bytes and bad UTF-8 are escaped ---
log_mark
sw --from e@sender.example --to b@rcpt.example \
	--header $'Subject: a\x01b\x1b[31mc\\d\xffe \xc3\xa9' \
	--header $'Message-Id: <esc\x7f@sender.example>'
wait_close
has "$T/new.log" "Subject 'a\\x01b\\x1b[31mc\\\\d\\xffe "$'\xc3\xa9'"'" \
	"escape: Subject with 0x01, ESC, backslash, 0xff logged escaped, UTF-8 kept"
has "$T/new.log" "Message-ID '<esc\\x7f@sender.example>'" \
	"escape: DEL in Message-ID logged as \\x7f"
no_raw_ctl() { ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$EG_LOG"; }
ok "escape: no raw control byte in the log" no_raw_ctl

ok "Postfix logged nothing fatal" pf_healthy
ok "esmtpguard still running" alive "$EG_PID"
eg_stop
is "${EG_STATUS:-none}" 0 "SIGTERM: exit status 0"
done_testing
