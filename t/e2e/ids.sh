#!/bin/bash
# shellcheck disable=SC2034,SC2119
# ids.sh - ICID and MID strictly increase and are never reused across a
# clean restart and a kill -9 (in the middle of a session).
E2E_PORT=25253
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

pf_start
eg_conf <<'EOF'
sendergroup ALL { match = { "ALL" } policy = DEFAULT }
policy DEFAULT { access = accept }
EOF

# max_id KIND - the largest ICID ("New SMTP ICID") or MID ("Start MID")
# logged so far; 0 when none
max_id() {
	local re
	case $1 in
	icid) re='New SMTP ICID ([0-9]+) .*' ;;
	mid) re='Start MID ([0-9]+) ICID .*' ;;
	esac
	grep -E "$re" "$EG_LOG" | sed -E "s/.*$re/\\1/" | sort -n | tail -1 |
		grep . || echo 0
}
# ids_increase KIND - in log order, every ID is above all earlier ones
ids_increase() {
	local re
	case $1 in
	icid) re='New SMTP ICID ([0-9]+) .*' ;;
	mid) re='Start MID ([0-9]+) ICID .*' ;;
	esac
	grep -E "$re" "$EG_LOG" | sed -E "s/.*$re/\\1/" |
		awk 'NR > 1 && $1 <= max { bad = 1 } $1 > max { max = $1 } END { exit bad }'
}
two_messages() {
	local i
	for i in 1 2; do
		log_mark
		sw --from "a$i@sender.example" --to b@rcpt.example
		wait_close
	done
}

ok "start" eg_start
two_messages
like "$T/last.out" '250 .*queued as' "first run: mail flows"
icid1=$(max_id icid) mid1=$(max_id mid)
ok "first run: IDs logged (ICID $icid1, MID $mid1)" test "$icid1" -gt 0 -a "$mid1" -gt 0
ok "state_dir holds the ID state" test -n "$(ls -A "$EG_STATE")"

# clean restart
ok "SIGTERM stops it" eg_stop
ok "restart" eg_start
two_messages
like "$T/last.out" '250 .*queued as' "after restart: mail flows"
ok "after restart: ICIDs strictly increase, never reused" ids_increase icid
ok "after restart: MIDs strictly increase, never reused" ids_increase mid
icid2=$(max_id icid) mid2=$(max_id mid)
ok "after restart: ICID $icid2 > $icid1" test "$icid2" -gt "$icid1"
ok "after restart: MID $mid2 > $mid1" test "$mid2" -gt "$mid1"

# kill -9 in the middle of a session (a MID is open)
log_mark
smtp_open
smtp_cmd "EHLO client.test.example"
smtp_cmd "MAIL FROM:<k@sender.example>"
smtp_cmd "RCPT TO:<b@rcpt.example>"
wait_for 5 eval "log_new; grep -q 'From: <k@sender.example>' \"\$T/new.log\""
icid3=$(max_id icid) mid3=$(max_id mid)
ok "open session logged (ICID $icid3, MID $mid3)" test "$mid3" -gt "$mid2"
ok "kill -9" eg_kill9
smtp_close
ok "restart after kill -9 (stale socket replaced)" eg_start
two_messages
like "$T/last.out" '250 .*queued as' "after kill -9: mail flows"
ok "after kill -9: ICIDs strictly increase, never reused" ids_increase icid
ok "after kill -9: MIDs strictly increase, never reused" ids_increase mid
icid4=$(max_id icid) mid4=$(max_id mid)
ok "after kill -9: ICID $icid4 > $icid3" test "$icid4" -gt "$icid3"
ok "after kill -9: MID $mid4 > $mid3" test "$mid4" -gt "$mid3"

# and a kill -9 of an idle daemon, twice in a row
ok "kill -9 (idle)" eg_kill9
ok "restart" eg_start
ok "kill -9 again right after start" eg_kill9
ok "restart" eg_start
two_messages
ok "after two more crashes: ICIDs strictly increase" ids_increase icid
ok "after two more crashes: MIDs strictly increase" ids_increase mid
is "$(grep -Eo 'New SMTP ICID [0-9]+' "$EG_LOG" | sort | uniq -d | head -1)" "" \
	"no ICID logged twice"
is "$(grep -Eo 'Start MID [0-9]+' "$EG_LOG" | sort | uniq -d | head -1)" "" \
	"no MID logged twice"

ok "Postfix logged nothing fatal" pf_healthy
eg_stop
done_testing
