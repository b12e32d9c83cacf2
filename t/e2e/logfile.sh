#!/bin/bash
# shellcheck disable=SC2034
# logfile.sh - log_file and log rotation: SIGHUP reopens log_file whether
# the configuration on disk is good or bad, and contrib/logrotate/esmtpguard
# rotates it without losing or misplacing a line (run for real through
# logrotate when it is installed).
E2E_PORT=25256
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

pf_start
eg_conf </dev/null
if ! eg_start; then
	echo "Bail out! esmtpguard does not start"
	exit 1
fi

# hup_until FILE TEXT - SIGHUP, then wait until FILE has TEXT
hup_until() {
	kill -HUP "$EG_PID"
	wait_for 10 grep -Fqs -- "$2" "$1"
}

# --- 1. a good file: the rotated file keeps the old lines, the new one
# gets everything after the SIGHUP ---
sw --from a@sender.example --to b@rcpt.example
wait_for 10 grep -q ' ICID 1 close$' "$EG_LOG"
mv "$EG_LOG" "$EG_LOG.1"
ok "good file: SIGHUP reopens log_file at its path" \
	hup_until "$EG_LOG" "reloaded configuration from"
sw --from a@sender.example --to b@rcpt.example
wait_for 10 grep -q ' ICID 2 close$' "$EG_LOG"
like "$EG_LOG.1" ' ICID 1 close$' "good file: the first session stayed in the rotated file"
like "$EG_LOG" ' ICID 2 close$' "good file: the next session is in the new file"
unlike "$EG_LOG.1" 'ICID 2 |reloaded configuration' \
	"good file: nothing after the SIGHUP went to the rotated file"

# --- 2. a broken file on disk: the reload is refused, the log is still
# reopened, and the refusal is in the new file ---
cp "$EG_CONF" "$T/good.conf"
echo 'no_such_option = 1' >>"$EG_CONF"
mv "$EG_LOG" "$EG_LOG.2"
ok "bad file: SIGHUP still reopens log_file" \
	hup_until "$EG_LOG" "failed; the running configuration stays in force"
unlike "$EG_LOG.2" 'failed; the running configuration' \
	"bad file: the refusal is not in the rotated file"
sw --from a@sender.example --to b@rcpt.example
like "$T/last.out" '^<- +250 .*queued as' "bad file: mail still flows on the running configuration"
wait_for 10 grep -q ' ICID 3 close$' "$EG_LOG"
like "$EG_LOG" ' ICID 3 close$' "bad file: the next session is in the new file"
cp "$T/good.conf" "$EG_CONF"

# --- 3. the shipped logrotate file, run by logrotate itself ---
if command -v logrotate >/dev/null 2>&1; then
	# the shipped paths point at this test; no "su": no such user here
	sed -e "s|/var/log/esmtpguard/mail_logs|$EG_LOG|" \
	    -e "s|/run/esmtpguard/esmtpguard.pid|$EG_PIDFILE|" \
	    -e '/^[[:space:]]*su /d' -e '/^[[:space:]]*create /d' \
	    -e '/^\/var\/log\/esmtpguard.log/,$d' \
	    "$top_srcdir/contrib/logrotate/esmtpguard" >"$T/logrotate.conf"
	chmod 644 "$T/logrotate.conf"
	rm -f "$EG_LOG".[0-9]*
	ok "logrotate: the shipped file rotates log_file" \
		logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf"
	ok "logrotate: esmtpguard reopened the file (postrotate SIGHUP)" \
		wait_for 10 grep -Fq "reloaded configuration from" "$EG_LOG"
	sw --from a@sender.example --to b@rcpt.example
	wait_for 10 grep -q ' ICID 4 close$' "$EG_LOG"
	like "$EG_LOG" ' ICID 4 close$' "logrotate: the next session is in the new file"
	like "$EG_LOG.1" ' ICID 3 close$' "logrotate: the earlier lines are in $(basename "$EG_LOG").1"
else
	for d in "rotates log_file" "esmtpguard reopened the file" \
		 "the next session is in the new file" "the earlier lines are rotated"; do
		E2E_N=$((E2E_N + 1))
		echo "ok $E2E_N - logrotate: $d # SKIP logrotate not installed"
	done
fi

ok "esmtpguard still running" alive "$EG_PID"
eg_stop
is "${EG_STATUS:-none}" 0 "SIGTERM: exit status 0"
done_testing
