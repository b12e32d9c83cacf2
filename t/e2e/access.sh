#!/bin/bash
# shellcheck disable=SC2034,SC2119
# access.sh - sender groups and access through a real Postfix, client
# addresses and names presented with XCLIENT: relay (exempt) client, rejected
# client, host-name entries only for a verified name, never for a bare PTR.
E2E_PORT=25252
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

pf_start
eg_conf <<'EOF'
sendergroup RELAY_SG   { match = { "10.9.9.0/24", "trusted.test.example", ".relays.test.example" } policy = TRUSTED }
sendergroup BLOCKED_SG { match = { "192.0.2.66", "192.0.2.70-79" } policy = BLOCKED }
sendergroup ALL        { match = { "ALL" } policy = DEFAULT }
policy TRUSTED { access = relay }
policy BLOCKED { access = reject }
policy DEFAULT { access = accept }
EOF
if ! eg_start; then
	echo "Bail out! esmtpguard does not start"
	exit 1
fi

# xsend DESC ADDR NAME [swaks args] - one message from a client presented
# by XCLIENT; waits for both milter connections (before/after XCLIENT)
xsend() {
	log_mark
	sw --from a@sender.example --to b@rcpt.example \
		--xclient-addr "$1" --xclient-name "$2" "${@:3}"
	wait_close 2
}
# verdict ICID - the HAT verdict line of that connection
verdict() { grep -E "ICID $1 (ACCEPT|RELAY|REJECT) " "$T/new.log" | head -1; }

# --- relay: an address in RELAY_SG is exempt, still logged with IDs ---
xsend 10.9.9.5 relay.other.example
icid=$(icid_of 'address 10\.9\.9\.5 ')
ok "relay: a New SMTP ICID line for the XCLIENT address" test -n "$icid"
like "$T/new.log" "New SMTP ICID ${icid:-X} interface [^ ]+ address 10\.9\.9\.5 reverse dns host relay\.other\.example verified yes\$" \
	"relay: client address, name and 'verified yes' logged"
like "$T/new.log" "ICID ${icid:-X} RELAY SG RELAY_SG match 10\.9\.9\.0/24 SBRS not enabled\$" \
	"relay: RELAY SG RELAY_SG match 10.9.9.0/24"
like "$T/last.out" '250 .*queued as' "relay: the message is queued"
mid=$(mids_of "${icid:-X}" | head -1)
in_order "$T/new.log" "relay: the message is logged with IDs, done" \
	"Start MID ${mid:-X} ICID ${icid:-X}\$" \
	"MID ${mid:-X} ICID ${icid:-X} From: <a@sender\.example>\$" \
	"Message finished MID ${mid:-X} done\$" \
	"ICID ${icid:-X} close\$"

# --- reject: an address in BLOCKED_SG is refused ---
xsend 192.0.2.66 '[UNAVAILABLE]'
icid=$(icid_of 'address 192\.0\.2\.66 ')
like "$T/new.log" "ICID ${icid:-X} REJECT SG BLOCKED_SG match 192\.0\.2\.66 SBRS not enabled\$" \
	"reject: REJECT SG BLOCKED_SG match 192.0.2.66"
like "$T/last.out" '^<\*\* +5[0-9][0-9] ' "reject: the client gets a 5xx"
unlike "$T/last.out" 'queued as' "reject: nothing is queued"
unlike "$T/new.log" "Start MID [0-9]+ ICID ${icid:-X}\$" "reject: no MID is started"
like "$T/new.log" "ICID ${icid:-X} close\$" "reject: the connection is closed in the log"

xsend 192.0.2.75 '[UNAVAILABLE]'
icid=$(icid_of 'address 192\.0\.2\.75 ')
like "$T/new.log" "ICID ${icid:-X} REJECT SG BLOCKED_SG match 192\.0\.2\.70-79 " \
	"reject: a range entry matches"

# --- host names: verified name matches, a bare PTR never does ---
xsend 198.51.100.7 trusted.test.example
icid=$(icid_of 'address 198\.51\.100\.7 ')
like "$T/new.log" "ICID ${icid:-X} RELAY SG RELAY_SG match trusted\.test\.example " \
	"host name: a verified XCLIENT NAME matches the host-name entry"

xsend 198.51.100.9 mx1.relays.test.example
icid=$(icid_of 'address 198\.51\.100\.9 ')
like "$T/new.log" "ICID ${icid:-X} RELAY SG RELAY_SG match \.relays\.test\.example " \
	"host name: a verified name matches the .domain entry"

xsend 198.51.100.8 '[UNAVAILABLE]' --xclient-reverse-name trusted.test.example
icid=$(icid_of 'address 198\.51\.100\.8 ')
ok "PTR only: a New SMTP ICID line" test -n "$icid"
like "$T/new.log" "New SMTP ICID ${icid:-X} .*address 198\.51\.100\.8 reverse dns host .* verified no\$" \
	"PTR only: logged as 'verified no'"
is "$(verdict "${icid:-X}" | sed -E 's/.*ICID [0-9]+ //')" \
	"ACCEPT SG ALL match ALL SBRS not enabled" \
	"PTR only (name unverified): the host-name entry does not match"

xsend 198.51.100.10 '[TEMPUNAVAIL]' --xclient-reverse-name mx2.relays.test.example
icid=$(icid_of 'address 198\.51\.100\.10 ')
is "$(verdict "${icid:-X}" | sed -E 's/.*ICID [0-9]+ //')" \
	"ACCEPT SG ALL match ALL SBRS not enabled" \
	"PTR only (name lookup TEMP): the .domain entry does not match"

xsend 198.51.100.11 '[UNAVAILABLE]'
icid=$(icid_of 'address 198\.51\.100\.11 ')
like "$T/new.log" "New SMTP ICID ${icid:-X} .*address 198\.51\.100\.11 reverse dns host .* verified no\$" \
	"no name at all: 'verified no'"

# --- reject at connect, without XCLIENT: 127.0.0.1 itself blocked ---
ok "stop for the next configuration" eg_stop
eg_conf <<'EOF'
sendergroup BLOCKED_SG { match = { "127.0.0.0/8" } policy = BLOCKED }
sendergroup ALL        { match = { "ALL" } policy = DEFAULT }
policy BLOCKED { access = reject }
policy DEFAULT { access = accept }
EOF
ok "restart with 127.0.0.0/8 blocked" eg_start
log_mark
smtp_open
first=$SMTP_REPLY
case $first in 220*)
	smtp_cmd "EHLO client.test.example"
	first=$SMTP_REPLY ;;
esac
like <(echo "$first") '^5[0-9][0-9] ' "connect reject: the client's first non-220 reply is 5xx"
smtp_cmd "MAIL FROM:<a@sender.example>"
like <(echo "$SMTP_REPLY") '^5[0-9][0-9] ' "connect reject: MAIL FROM is refused too"
smtp_cmd QUIT
smtp_close
wait_close
like "$T/new.log" "ICID [0-9]+ REJECT SG BLOCKED_SG match 127\.0\.0\.0/8 SBRS not enabled\$" \
	"connect reject: REJECT logged"
like "$PF/log/maillog" 'milter-reject: CONNECT' "connect reject: Postfix says the milter rejected at CONNECT"

ok "Postfix logged nothing fatal" pf_healthy
eg_stop
done_testing
