#!/bin/bash
# shellcheck disable=SC2034,SC2119
# session.sh - the ESA-format session log through a real Postfix: a normal
# message, MAIL+RCPT then QUIT, a connection lost mid-DATA, RSET between two
# messages, client control bytes escaped; id_header in the queued message.
E2E_PORT=25251
# every message goes to the hold queue, so postcat can show what was queued
PF_EXTRA="smtpd_recipient_restrictions = check_client_access static:HOLD"
MTA_ACCEPTED='250 .*queued as'
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/e2e/scenarios.sh
. "$(dirname "$0")/scenarios.sh"

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

# --- 1-4: the scenarios both MTAs pass alike (scenarios.sh) ---
sc_normal
like "$PF/log/maillog" "${SC_QID:-NOQID}: client=localhost" \
	"normal: the logged queue ID is Postfix's"
postcat -c "$PF/etc" -hq "${SC_QID:-NOQID}" >"$T/postcat.out" 2>&1
like "$T/postcat.out" "^X-ESMTPGuard-ID: ICID=$SC_ICID MID=$SC_MID\$" \
	"normal: id_header X-ESMTPGuard-ID in the queued message"
is "$(count "$T/postcat.out" '^X-ESMTPGuard-ID:')" 1 \
	"normal: the id_header is added once"
sc_quit
sc_drop
sc_rset

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
