# shellcheck shell=bash disable=SC2034
# scenarios.sh - the session-log scenarios every MTA must pass alike
# (sourced after lib.sh by session.sh for Postfix, sendmail.sh for
# Sendmail). Each function drives the MTA on 127.0.0.1:$E2E_PORT, checks
# the esmtpguard lines both MTAs must produce, and leaves the IDs in SC_*
# for the caller's MTA-specific checks (queue files, the MTA's own log).
#
# MTA_ACCEPTED: ERE for the MTA's reply to the final "." of an accepted
# message, without the "<- " or "<3 " of the transcript.

: "${MTA_ACCEPTED:=250 }"

# sc_ids ERE - SC_ICID of the session whose New SMTP line matches ERE, and
# SC_MID its first MID ("X" when missing, so later patterns fail cleanly)
sc_ids() {
	SC_ICID=$(icid_of "$1")
	SC_MID=$(mids_of "${SC_ICID:-X}" | head -1)
	ok "$2: ICID and MID logged" test -n "$SC_ICID" -a -n "$SC_MID"
	: "${SC_ICID:=X}" "${SC_MID:=X}"
}

# sc_normal - a message with two recipients: the full line sequence
sc_normal() {
	log_mark
	sw --from a@sender.example --to b@rcpt.example,c@rcpt.example \
		--header 'Subject: hello' --header 'Message-Id: <m1@sender.example>' \
		--body 'line one'
	like "$T/last.out" "^<- +$MTA_ACCEPTED" "normal: the MTA accepted the message"
	wait_close
	sc_ids 'address 127\.0\.0\.1 ' normal
	local icid=$SC_ICID mid=$SC_MID
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
	ok "normal: every line in ESA file format (date Info: text)" sc_all_esa
	unlike "$T/new.log" "Message aborted MID $mid|ICID $icid lost" \
		"normal: neither aborted nor lost"
	is "$(count "$T/new.log" "ICID $icid close\$")" 1 "normal: exactly one close line"
	is "$(count "$T/new.log" "MID $mid ICID $icid queue ID ")" 1 "normal: one queue ID line"
	SC_QID=$(sc_qid_of "$mid")
}
sc_all_esa() { [ -s "$T/new.log" ] && ! grep -Evq "$ESA_TS" "$T/new.log"; }

# sc_qid_of MID - the queue ID esmtpguard logged for MID
sc_qid_of() {
	sed -nE "s/.*MID $1 ICID [0-9]+ queue ID ([0-9A-Za-z]+)\$/\\1/p" "$T/new.log" | head -1
}

# sc_quit - MAIL + RCPT, then QUIT
sc_quit() {
	log_mark
	sw --from q@sender.example --to b@rcpt.example --quit-after RCPT
	wait_close
	sc_ids 'address 127\.0\.0\.1 ' quit
	local icid=$SC_ICID mid=$SC_MID
	in_order "$T/new.log" "quit: aborted, finished aborted, close" \
		"Start MID $mid ICID $icid\$" \
		"MID $mid ICID $icid From: <q@sender\.example>\$" \
		"MID $mid ICID $icid RID 0 To: <b@rcpt\.example>\$" \
		"Message aborted MID $mid Receiving aborted\$" \
		"Message finished MID $mid aborted\$" \
		"ICID $icid close\$"
	unlike "$T/new.log" "ICID $icid lost" "quit: no 'lost' line (QUIT before DATA)"
	unlike "$T/new.log" "Message finished MID $mid done" "quit: not done"
	SC_QID=$(sc_qid_of "$mid")
}

# sc_drop - the connection lost in the middle of DATA
sc_drop() {
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
	sc_ids 'address 127\.0\.0\.1 ' drop
	in_order "$T/new.log" "drop: Receiving aborted, finished aborted, lost, close" \
		"Start MID $SC_MID ICID $SC_ICID\$" \
		"Message aborted MID $SC_MID Receiving aborted\$" \
		"Message finished MID $SC_MID aborted\$" \
		"ICID $SC_ICID lost\$" \
		"ICID $SC_ICID close\$"
	unlike "$T/new.log" "Receiving aborted by sender" "drop: not 'by sender'"
}

# sc_rset - RSET between two messages; SC_M1, SC_M2 the two MIDs
sc_rset() {
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
	like "$T/last.out" "^<3 $MTA_ACCEPTED" "rset: the second message is accepted"
	smtp_cmd "QUIT"
	smtp_close
	wait_close
	local icid mids
	icid=$(icid_of 'address 127\.0\.0\.1 ')
	mapfile -t mids < <(mids_of "${icid:-X}")
	is "${#mids[@]}" 2 "rset: two MIDs in one ICID"
	SC_ICID=${icid:-X} SC_M1=${mids[0]:-X} SC_M2=${mids[1]:-X}
	ok "rset: the second MID is above the first" test "$SC_M2" -gt "$SC_M1" 2>/dev/null
	in_order "$T/new.log" "rset: first aborted by sender, second done, then close" \
		"MID $SC_M1 ICID $SC_ICID From: <r1@sender\.example>\$" \
		"Message aborted MID $SC_M1 Receiving aborted by sender\$" \
		"Message finished MID $SC_M1 aborted\$" \
		"Start MID $SC_M2 ICID $SC_ICID\$" \
		"MID $SC_M2 ICID $SC_ICID From: <r2@sender\.example>\$" \
		"MID $SC_M2 Subject 'second'\$" \
		"Message finished MID $SC_M2 done\$" \
		"ICID $SC_ICID close\$"
	unlike "$T/new.log" "ICID $SC_ICID lost" "rset: no 'lost' line"
}
