#!/bin/bash
# shellcheck disable=SC2034,SC2119
# daemon.sh - the daemon's command line and signals: -V, -h, -n on good and
# bad files, pidfile and socket_mode, -p/-P/-u, SIGHUP reload (new sessions
# only; a bad file keeps the running configuration), SIGTERM/SIGINT remove
# the socket, a stale socket is replaced at start.
E2E_PORT=25254
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# --- -V, -h, usage ---
"$EG_BIN" -V >"$T/out" 2>&1
is "$?" 0 "-V: exit 0"
like "$T/out" 'esmtpguard.*[0-9]+\.[0-9]+' "-V: prints its own version"
like "$T/out" 'libmilter.*[0-9]+\.[0-9]+' "-V: prints the libmilter version"
like "$T/out" 'libspf2.*[0-9]+\.[0-9]+' "-V: prints the libspf2 version"
like "$T/out" 'libconfuse.*[0-9]+\.[0-9]+' "-V: prints the libconfuse version"
"$EG_BIN" -h >"$T/out" 2>&1
is "$?" 0 "-h: exit 0"
like "$T/out" '-c' "-h: shows the usage"
"$EG_BIN" -Z >"$T/out" 2>&1
ok "an unknown flag fails" test "$?" -ne 0

# --- -n ---
"$EG_BIN" -n -c "$top_srcdir/conf/esmtpguard.conf" >"$T/out" 2>&1
rc=$?
is "$rc" 0 "-n: the shipped conf/esmtpguard.conf is valid"
[ "$rc" = 0 ] || diag_file "$T/out"

eg_conf <<'EOF'
sendergroup RELAY_SG { match = { "10.7.7.7" } policy = TRUSTED }
sendergroup ALL      { match = { "ALL" } policy = DEFAULT }
policy TRUSTED { access = relay }
policy BLOCKED { access = reject }
policy DEFAULT {
  access = accept
  match cmd_line_length { gt = 512 action = drop-connection log = true }
  match body_line_length { gt = 998 action = log }
}
EOF
cp "$EG_CONF" "$T/good.conf"
"$EG_BIN" -n -c "$EG_CONF" >"$T/out" 2>&1
rc=$?
is "$rc" 0 "-n: the test configuration is valid"
[ "$rc" = 0 ] || diag_file "$T/out"

# a syntax error: an unknown option on line 3
printf '%s\n' '' 'socket = "unix:/tmp/x.sock"' 'no_such_option = 1' >"$T/bad1.conf"
"$EG_BIN" -n -c "$T/bad1.conf" >"$T/out" 2>&1
is "$?" 78 "-n: unknown option: exit 78 (EX_CONFIG)"
like "$T/out" "^$T/bad1\\.conf:3: .*no_such_option" "-n: unknown option reported as FILE:3: message"
# the same after comment lines: each one counts once
printf '%s\n' '# comment' '/* comment */' '// comment' 'no_such_option = 1' >"$T/bad0.conf"
"$EG_BIN" -n -c "$T/bad0.conf" >"$T/out" 2>&1
like "$T/out" "^$T/bad0\\.conf:4: .*no_such_option" "-n: line numbers count each comment line once"

# semantic problems, one per line: every one is reported
cat >"$T/bad2.conf" <<'EOF'

sendergroup BADADDR { match = { "300.1.2.3" } policy = DEFAULT }
sendergroup NOPOL   { match = { "10.0.0.0/8" } policy = NO_SUCH_POLICY }
sendergroup DUP     { match = { "10.1.0.0/16" } policy = DEFAULT }
sendergroup DUP     { match = { "10.2.0.0/16" } policy = DEFAULT }
policy BADACT { access = accept match rcpt_count { gt = 10 action = explode log = true } }
policy DEFAULT { access = accept }
EOF
"$EG_BIN" -n -c "$T/bad2.conf" >"$T/out" 2>&1
is "$?" 78 "-n: semantic errors: exit 78"
like "$T/out" "^$T/bad2\\.conf:2: .*300\\.1\\.2\\.3" "-n: bad address at line 2"
like "$T/out" "^$T/bad2\\.conf:3: .*NO_SUCH_POLICY" "-n: unknown policy at line 3"
like "$T/out" "^$T/bad2\\.conf:5: .*DUP" "-n: duplicate group at line 5"
like "$T/out" "^$T/bad2\\.conf:6: .*explode" "-n: bad action at line 6"
ok "-n: every message is FILE:LINE: message" \
	eval "! grep -Ev '^$T/bad2\\.conf:[0-9]+: .' \"\$T/out\" | grep -q ."

"$EG_BIN" -n -c "$T/no-such.conf" >"$T/out" 2>&1
is "$?" 78 "-n: a missing file: exit 78"

# --- start: pidfile, socket_mode, a stale socket is replaced ---
pf_start
ok "start" eg_start
is "$(cat "$EG_PIDFILE" 2>/dev/null)" "$E2E_CHILD" "the pidfile holds the daemon's pid"
is "$(stat -c %a "$SOCK" 2>/dev/null)" 666 "socket_mode 0666 applied to the socket"

# xsend ADDR - one message presented as ADDR by XCLIENT
xsend() {
	log_mark
	sw --from a@sender.example --to b@rcpt.example \
		--xclient-addr "$1" --xclient-name '[UNAVAILABLE]'
	wait_close 2
}
xsend 10.7.7.7
like "$T/new.log" 'ICID [0-9]+ RELAY SG RELAY_SG match 10\.7\.7\.7 ' \
	"before reload: 10.7.7.7 is RELAY"

# a session that starts before the reload and ends after it
log_mark
smtp_open
smtp_cmd "EHLO client.test.example"
smtp_cmd "XCLIENT ADDR=10.7.7.7 NAME=[UNAVAILABLE]"
smtp_cmd "EHLO client.test.example"
smtp_cmd "MAIL FROM:<long@sender.example>"
smtp_cmd "RCPT TO:<b@rcpt.example>"
is "${SMTP_REPLY%% *}" 250 "long session: RCPT accepted before the reload"

# hup - SIGHUP, then wait (10 s) until the daemon says it reloaded or
# refused the file (a line mentioning "reload" on its stderr)
hup() {
	local n
	n=$(count "$T/esmtpguard.stderr" reload)
	kill -HUP "$EG_PID"
	wait_for 10 eval "[ \$(count \"\$T/esmtpguard.stderr\" reload) -gt $n ]" ||
		diag "no reload message within 10 s"
}

# --- SIGHUP: the group's policy changes for new sessions ---
sed -i 's/policy = TRUSTED }/policy = BLOCKED }/' "$EG_CONF"
hup
ok "SIGHUP: the daemon is still running" alive "$EG_PID"
smtp_cmd "DATA"
smtp_send "Subject: long"
smtp_send ""
smtp_send "started before the reload"
smtp_cmd "."
like "$T/last.out" '^<3 250 .*queued as' "long session: keeps its snapshot and finishes"
smtp_cmd "QUIT"
smtp_close
wait_close 2
like "$T/new.log" 'Message finished MID [0-9]+ done$' "long session: logged done"
xsend 10.7.7.7
like "$T/new.log" 'ICID [0-9]+ REJECT SG RELAY_SG match 10\.7\.7\.7 ' \
	"after reload: 10.7.7.7 is REJECT (new policy for new sessions)"
like "$T/last.out" '^<\*\* +5[0-9][0-9] ' "after reload: the client gets a 5xx"

# --- a bad reload keeps the running configuration and says why ---
cp "$EG_CONF" "$T/reloaded.conf"
printf 'sendergroup BROKEN { match = { "999.9.9.9" } policy = DEFAULT }\n' >>"$EG_CONF"
bad_line=$(wc -l <"$EG_CONF")
stderr_lines=$(wc -l <"$T/esmtpguard.stderr")
log_lines=$(wc -l <"$EG_LOG")
hup
ok "bad reload: the daemon is still running" alive "$EG_PID"
{ tail -n "+$((stderr_lines + 1))" "$T/esmtpguard.stderr"
  tail -n "+$((log_lines + 1))" "$EG_LOG"; } >"$T/why.log"
like "$T/why.log" "$EG_CONF:$bad_line: .*999\\.9\\.9\\.9" \
	"bad reload: the problem is logged as FILE:LINE: message"
xsend 10.7.7.7
like "$T/new.log" 'ICID [0-9]+ REJECT SG RELAY_SG match 10\.7\.7\.7 ' \
	"bad reload: the previous configuration stays in force"
unlike "$T/new.log" 'BROKEN' "bad reload: nothing of the bad file is used"
log_mark
sw --from a@sender.example --to b@rcpt.example
like "$T/last.out" '250 .*queued as' "bad reload: mail still flows"

# --- SIGUSR1 logs the counters ---
log_mark
kill -USR1 "$EG_PID"
wait_for 5 eval "log_new; grep -qi counters \"\$T/new.log\""
like "$T/new.log" '[Cc]ounters.*[0-9]' "SIGUSR1: the counters are logged"
ok "SIGUSR1: the daemon is still running" alive "$EG_PID"

# --- SIGTERM removes the socket ---
ok "SIGTERM stops it" eg_stop TERM
is "${EG_STATUS:-none}" 0 "SIGTERM: exit status 0"
ok "SIGTERM: the socket is removed" test ! -e "$SOCK"
ok "SIGTERM: the pidfile is removed" test ! -e "$EG_PIDFILE"

# --- SIGINT likewise ---
cp "$T/good.conf" "$EG_CONF"
ok "start again" eg_start
ok "SIGINT stops it" eg_stop INT
is "${EG_STATUS:-none}" 0 "SIGINT: exit status 0"
ok "SIGINT: the socket is removed" test ! -e "$SOCK"

# --- a stale socket (left by kill -9) is replaced at start ---
ok "start" eg_start
ok "kill -9" eg_kill9
ok "kill -9 leaves the socket behind" test -S "$SOCK"
ok "start over the stale socket" eg_start
log_mark
sw --from a@sender.example --to b@rcpt.example
like "$T/last.out" '250 .*queued as' "stale socket replaced: mail flows"
wait_close
like "$T/new.log" 'Message finished MID [0-9]+ done$' "stale socket replaced: sessions logged"
eg_stop

# --- -p and -P override the configuration ---
SOCK_CONF=$SOCK PID_CONF=$EG_PIDFILE
SOCK=$T/other.sock EG_PIDFILE=$T/other.pid
ok "start with -p and -P" eg_start -p "unix:$SOCK" -P "$EG_PIDFILE"
ok "-p: the socket is where -p says" test -S "$SOCK"
ok "-p: not where the configuration says" test ! -e "$SOCK_CONF"
is "$(cat "$EG_PIDFILE" 2>/dev/null)" "$E2E_CHILD" "-P: the pidfile is where -P says"
ok "-P: not where the configuration says" test ! -e "$PID_CONF"
eg_stop
SOCK=$SOCK_CONF EG_PIDFILE=$PID_CONF

# --- -u drops privileges after the socket is open ---
chown -R postfix "$EG_STATE" "$EG_LOG"
ok "start with -u postfix" eg_start -u postfix
is "$(awk '/^Uid:/ { print $2 }' "/proc/$EG_PID/status" 2>/dev/null)" \
	"$(id -u postfix)" "-u: the daemon runs as postfix"
log_mark
sw --from a@sender.example --to b@rcpt.example
like "$T/last.out" '250 .*queued as' "-u: mail flows"
wait_close
like "$T/new.log" 'Message finished MID [0-9]+ done$' "-u: still logging and allocating IDs"
eg_stop

ok "Postfix logged nothing fatal" pf_healthy
done_testing
