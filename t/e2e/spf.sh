#!/bin/bash
# shellcheck disable=SC2034,SC2119
# spf.sh - SPF through the private Postfix against a real DNS server
# (dnsmasq in the test's own network namespace): every result, on_fail as
# log, reject and tempfail (the client sees the reply), the DNS budget
# against a zone whose server never answers, the Received-SPF header in the
# queued message, the policy switches, a relay client not checked. Postfix
# XCLIENT presents the client addresses (libspf2 passes any loopback client
# as "localhost" without asking DNS).
E2E_PORT=25258
# every message goes to the hold queue, so postcat can show what was queued
PF_EXTRA="smtpd_recipient_restrictions = check_client_access static:HOLD"
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v dnsmasq >/dev/null 2>&1 ||
	skip_all "dnsmasq not installed (contrib/deps.sh installs dnsmasq-base)"

# 192.0.2.0/24 is allowed by pass.test, 198.51.100.0/24 by fail.test
dead=$(dns_blackhole)
if ! dns_start <<EOF; then
txt-record=pass.test,"v=spf1 ip4:192.0.2.0/24 -all"
txt-record=fail.test,"v=spf1 ip4:198.51.100.0/24 -all"
txt-record=softfail.test,"v=spf1 ~all"
txt-record=neutral.test,"v=spf1 ?all"
txt-record=none.test,"google-site-verification=not-spf"
txt-record=twice.test,"v=spf1 -all"
txt-record=twice.test,"v=spf1 +all"
txt-record=helo.test,"v=spf1 a -all"
host-record=helo.test,192.0.2.10
txt-record=incdead.test,"v=spf1 include:dead.test -all"
server=/dead.test/$dead
EOF
	echo "Bail out! dnsmasq does not start"
	exit 1
fi
# Without the budget, the resolver would wait 30 s twice for dead.test,
# and Postfix gives up on a milter after 30 s (milter_command_timeout).
printf 'nameserver 127.0.0.1\noptions timeout:30 attempts:2\n' >"$T/etc/resolv.conf"

pf_start
eg_conf <<'EOF'
spf_timeout = 3
sendergroup RELAY_SG  { match = { "10.0.0.0/8" }  policy = TRUSTED }
sendergroup REJECT_SG { match = { "192.0.2.20" }  policy = SPF_REJECT }
sendergroup TEMP_SG   { match = { "192.0.2.30" }  policy = SPF_TEMPFAIL }
sendergroup NOHDR_SG  { match = { "192.0.2.40" }  policy = NO_HEADER }
sendergroup OFF_SG    { match = { "192.0.2.50" }  policy = NO_SPF }
sendergroup NOHELO_SG { match = { "192.0.2.60" }  policy = NO_HELO }
sendergroup ALL       { match = { "ALL" }         policy = DEFAULT }
policy TRUSTED      { access = relay }
policy SPF_REJECT   { spf { on_fail = reject } }
policy SPF_TEMPFAIL { spf { on_fail = tempfail } }
policy NO_HEADER    { spf { received_spf_header = false } }
policy NO_SPF       { spf { verify = false } }
policy NO_HELO      { spf { helo = false } }
policy DEFAULT      { access = accept }
EOF
if ! eg_start; then
	echo "Bail out! esmtpguard does not start"
	exit 1
fi

# spf_mail CLIENT HELO FROM - one message from CLIENT (XCLIENT); sets ICID,
# MID and QID from the log. Postfix hands XCLIENT's new session to a new
# milter connection, so two sessions close.
spf_mail() {
	log_mark
	sw --xclient-addr "$1" --xclient-name mail.client.test --helo "$2" \
		--from "$3" --to b@rcpt.example
	wait_close 2
	ICID=$(icid_of "address ${1//./\\.} ")
	MID=$(mids_of "${ICID:-X}" | head -1)
	QID=$(grep -E "MID ${MID:-X} ICID ${ICID:-X} queue ID " "$T/new.log" |
		sed -E 's/.* queue ID ([0-9A-Za-z]+)$/\1/')
	: "${ICID:=X}" "${MID:=X}" "${QID:=NOQID}"
}

# queued_header - the queued message's header, in $T/postcat.out
queued_header() { postcat -c "$PF/etc" -hq "$QID" >"$T/postcat.out" 2>&1; }

# --- 1. pass, both identities; the header on top ---
spf_mail 192.0.2.10 helo.test a@pass.test
like "$T/last.out" '^<- +250 .*queued as' "pass: queued"
in_order "$T/new.log" "pass: queue ID, HELO then MAIL FROM result, then Message-ID" \
	"MID $MID ICID $ICID queue ID " \
	"MID $MID SPF: helo identity postmaster@helo\.test Pass\$" \
	"MID $MID SPF: mailfrom identity a@pass\.test Pass\$" \
	"MID $MID Message-ID " \
	"Message finished MID $MID done\$"
queued_header
like "$T/postcat.out" '^Received-SPF: pass \(.*: domain of pass\.test designates 192\.0\.2\.10 as permitted sender\) client-ip=192\.0\.2\.10; envelope-from=a@pass\.test; helo=helo\.test;$' \
	"pass: Received-SPF in the queued message, as libspf2 builds it"
first=$(grep -m1 -E '^[A-Za-z-]+:' "$T/postcat.out" | cut -d: -f1)
is "$first" "Received-SPF" "pass: Received-SPF is the first header, above Postfix's Received"
is "$(count "$T/postcat.out" '^Received-SPF:')" 1 "pass: one Received-SPF header"
like "$DNS_DIR/queries" 'query\[TXT\] pass\.test from 127\.0\.0\.1' \
	"pass: the answer came from the test's DNS server"

# --- 2. fail with each action ---
spf_mail 192.0.2.10 helo.test a@fail.test
like "$T/last.out" '^<- +250 .*queued as' "fail, on_fail = log: queued"
has "$T/new.log" "MID $MID SPF: mailfrom identity a@fail.test Fail" \
	"fail, log: logged Fail"
queued_header
like "$T/postcat.out" '^Received-SPF: fail \(' "fail, log: Received-SPF: fail"

spf_mail 192.0.2.20 helo.test a@fail.test
like "$T/last.out" "^<[*-]+ +550 5\.7\.1 SPF unauthorized mail is prohibited \(ICID $ICID MID $MID\)\$" \
	"fail, on_fail = reject: the client sees 550 5.7.1 with the IDs"
unlike "$T/last.out" 'queued as' "fail, reject: nothing queued"
in_order "$T/new.log" "fail, reject: the result, then the message aborted" \
	"MID $MID SPF: mailfrom identity a@fail\.test Fail\$" \
	"Message aborted MID $MID Rejected by policy spf\$" \
	"Message finished MID $MID aborted\$"

spf_mail 192.0.2.30 helo.test a@fail.test
like "$T/last.out" "^<[*-]+ +451 4\.4\.3 Temporary error occurred during SPF verification \(ICID $ICID MID $MID\)\$" \
	"fail, on_fail = tempfail: the client sees 451 4.4.3 with the IDs"
unlike "$T/last.out" 'queued as' "fail, tempfail: nothing queued"
has "$T/new.log" "MID $MID SPF: mailfrom identity a@fail.test Fail" \
	"fail, tempfail: logged Fail"

# under the same policy a pass goes through...
spf_mail 192.0.2.20 nothing.test a@pass.test
like "$T/last.out" '^<- +250 .*queued as' "pass under on_fail = reject: queued"
# ...unless the HELO identity fails: helo.test allows 192.0.2.10 only
spf_mail 192.0.2.20 helo.test a@pass.test
like "$T/last.out" "^<[*-]+ +550 5\.7\.1 SPF unauthorized mail is prohibited \(ICID $ICID MID $MID\)\$" \
	"HELO identity Fail, on_fail = reject: 550 although MAIL FROM passes"
in_order "$T/new.log" "HELO Fail, reject: both results, then the message aborted" \
	"MID $MID SPF: helo identity postmaster@helo\.test Fail\$" \
	"MID $MID SPF: mailfrom identity a@pass\.test Pass\$" \
	"Message aborted MID $MID Rejected by policy spf\$"

# --- 3. the other results (on_* = log by default: all queued) ---
for r in softfail:SoftFail neutral:Neutral none:None nxdomain:None \
	twice:PermError; do
	spf_mail 192.0.2.10 helo.test "a@${r%%:*}.test"
	like "$T/last.out" '^<- +250 .*queued as' "${r%%:*}: queued"
	has "$T/new.log" "MID $MID SPF: mailfrom identity a@${r%%:*}.test ${r#*:}" \
		"${r%%:*}: logged ${r#*:}"
done
queued_header
like "$T/postcat.out" '^Received-SPF: permerror \(.*Multiple SPF' \
	"permerror: Received-SPF: permerror (two records)"

# --- 4. null sender: postmaster at the HELO domain ---
spf_mail 192.0.2.10 helo.test '<>'
has "$T/new.log" "MID $MID SPF: mailfrom identity postmaster@helo.test Pass" \
	"null sender: checked as postmaster@HELO"

# --- 5. a DNS server that never answers: the budget holds ---
spf_mail 192.0.2.10 helo.test a@incdead.test
like "$T/last.out" '^<- +250 .*queued as' \
	"temperror: the session completes within the budget and is queued"
has "$T/new.log" "MID $MID SPF: mailfrom identity a@incdead.test TempError" \
	"temperror: logged TempError"
like "$DNS_DIR/queries" 'forwarded dead\.test to 198\.51\.100\.53' \
	"temperror: the query went to the server that never answers"
spf_mail 192.0.2.10 x.dead.test a@pass.test
like "$T/last.out" '^<- +250 .*queued as' "dead HELO domain: queued"
in_order "$T/new.log" "dead HELO domain: HELO TempError, MAIL FROM still Pass" \
	"MID $MID SPF: helo identity postmaster@x\.dead\.test TempError\$" \
	"MID $MID SPF: mailfrom identity a@pass\.test Pass\$"
BOTH_MID=$MID

# --- 6. the policy switches ---
spf_mail 192.0.2.40 helo.test a@pass.test
has "$T/new.log" "MID $MID SPF: mailfrom identity a@pass.test Pass" \
	"received_spf_header = false: still checked"
queued_header
unlike "$T/postcat.out" '^Received-SPF:' "received_spf_header = false: no header"

spf_mail 192.0.2.50 helo.test a@fail.test
like "$T/last.out" '^<- +250 .*queued as' "verify = false: queued"
unlike "$T/new.log" "MID $MID SPF:" "verify = false: no SPF line"

spf_mail 192.0.2.60 helo.test a@pass.test
has "$T/new.log" "MID $MID SPF: mailfrom identity a@pass.test Pass" \
	"helo = false: MAIL FROM checked"
unlike "$T/new.log" "MID $MID SPF: helo identity" "helo = false: no HELO line"

# --- 7. a relay client is not checked ---
spf_mail 10.1.2.3 helo.test a@fail.test
like "$T/new.log" "ICID $ICID RELAY SG RELAY_SG match 10\.0\.0\.0/8" \
	"relay: the client is in RELAY_SG"
like "$T/last.out" '^<- +250 .*queued as' "relay: queued"
unlike "$T/new.log" "MID $MID SPF:" "relay: no SPF line"
queued_header
unlike "$T/postcat.out" '^Received-SPF:' "relay: no Received-SPF header"

ok "Postfix logged nothing fatal" pf_healthy
ok "esmtpguard still running" alive "$EG_PID"
eg_stop
is "${EG_STATUS:-none}" 0 "SIGTERM: exit status 0"

# --- 8. esmtpguard-trace reads the SPF lines back ---
TRACE=$top_builddir/src/esmtpguard-trace
"$TRACE" --mid "$BOTH_MID" "$EG_LOG" >"$T/trace.out" 2>&1
has "$T/trace.out" "SPF:          helo identity postmaster@x.dead.test TempError" \
	"trace: the HELO identity's result"
has "$T/trace.out" "SPF:          mailfrom identity a@pass.test Pass" \
	"trace: the MAIL FROM identity's result"
"$TRACE" --json --mid "$BOTH_MID" "$EG_LOG" >"$T/trace.json" 2>&1
has "$T/trace.json" '"spf":{"helo_identity":"postmaster@x.dead.test","helo":"TempError","mailfrom_identity":"a@pass.test","mailfrom":"Pass"}' \
	"trace --json: both results"
done_testing
