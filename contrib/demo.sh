#!/bin/bash
# demo.sh - the main job: install what is missing, build, start esmtpguard in
# front of a private Postfix on 127.0.0.1:2525 with the shipped
# conf/esmtpguard.conf, send a few sample sessions, show the esmtpguard log
# and stay up for your own
#	swaks --server 127.0.0.1:2525 --to you@example.com --from me@example.org
# Ctrl-C stops everything it started. Run as root on Debian 12.
#
#	contrib/demo.sh [--no-wait]	(--no-wait: stop after the samples)
#
# Everything lives in $DEMO_DIR (default /tmp/esmtpguard-demo): the Postfix
# instance, esmtpguard's socket, pidfile, ID state and its ESA-format log.
# Postfix and esmtpguard run in a private mount namespace with their own
# /etc/hosts and /etc/resolv.conf (a resolver on 127.0.0.1 that nobody
# runs), so the demo sends no DNS query off the machine.
set -u

DEMO_PORT=2525
DEMO_DIR=${DEMO_DIR:-/tmp/esmtpguard-demo}
NO_WAIT=
[ "${1:-}" = --no-wait ] && NO_WAIT=1

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/_build
EG_BIN=$build/src/esmtpguard
export PATH=$PATH:/usr/sbin:/sbin

say() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

if [ -z "${DEMO_IN_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || die "run me as root (it installs packages and runs a private Postfix)"

	say "Installing what is missing (contrib/deps.sh)"
	bash "$top/contrib/deps.sh" || die "installing the dependencies failed"

	say "Building in _build/"
	cd "$top" || exit 1
	if [ ! -f "$build/config.status" ]; then
		[ -x configure ] || autoreconf -fi >/dev/null 2>&1 || die "autoreconf failed"
		mkdir -p "$build"
		(cd "$build" && "$top/configure" -q) ||
			die "configure failed (see _build/config.log)"
	fi
	make -C "$build" -j2 >"$build/demo-make.out" 2>&1 || {
		tail -n 40 "$build/demo-make.out"; die "the build failed"
	}
	echo "built $EG_BIN"

	export DEMO_IN_NS=1
	exec unshare --mount --propagation private -- bash "$0" "$@"
fi

# --- in the private mount namespace ---------------------------------------
PF=$DEMO_DIR/postfix
SOCK=$DEMO_DIR/esmtpguard.sock
CONF=$DEMO_DIR/esmtpguard.conf
LOG=$DEMO_DIR/esmtpguard.log
PIDFILE=$DEMO_DIR/esmtpguard.pid
EG_PID=
TAIL_PID=

MASTER_PID=

# One demo per directory: refuse while another one runs; clean up what a
# demo that was killed left behind (its Postfix, its esmtpguard).
if [ -s "$DEMO_DIR/demo.pid" ]; then
	old=$(cat "$DEMO_DIR/demo.pid")
	if [ -r "/proc/$old/cmdline" ] && tr '\0' ' ' <"/proc/$old/cmdline" | grep -q demo.sh; then
		die "another demo runs in $DEMO_DIR (pid $old): stop it first (Ctrl-C there, or kill $old), or set DEMO_DIR"
	fi
fi
if [ -s "$PF/spool/pid/master.pid" ]; then
	old=$(tr -d ' ' <"$PF/spool/pid/master.pid")
	if kill -0 "$old" 2>/dev/null; then
		echo "stopping the Postfix a killed demo left running (pid $old)"
		postfix -c "$PF/etc" stop >/dev/null 2>&1
		for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
	fi
fi
if [ -s "$PIDFILE" ]; then
	old=$(cat "$PIDFILE")
	if [ -r "/proc/$old/cmdline" ] && tr '\0' ' ' <"/proc/$old/cmdline" | grep -q "$CONF"; then
		echo "stopping the esmtpguard a killed demo left running (pid $old)"
		kill "$old"
		for _ in $(seq 150); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
	fi
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$DEMO_PORT") 2>/dev/null; then
	die "something already listens on 127.0.0.1:$DEMO_PORT; stop it first"
fi

rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR/etc" "$DEMO_DIR/state" "$PF/etc" "$PF/data" "$PF/log" "$PF/spool"
chmod 755 "$DEMO_DIR"
echo $$ >"$DEMO_DIR/demo.pid"
chown postfix:postfix "$PF/data"
chmod 700 "$PF/data"
runuser -u postfix -- test -w "$PF/data" ||
	die "user postfix cannot reach $DEMO_DIR: its parent directories must be searchable (o+x)"

# private name service
printf '127.0.0.1 localhost mx.demo.example\n::1 localhost ip6-localhost\n' >"$DEMO_DIR/etc/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$DEMO_DIR/etc/resolv.conf"
if ! mount --bind "$DEMO_DIR/etc/hosts" /etc/hosts ||
   ! mount --bind "$DEMO_DIR/etc/resolv.conf" /etc/resolv.conf; then
	die "cannot bind-mount the private /etc/hosts and /etc/resolv.conf"
fi

# cleanup - stop what this demo started, by pid, and nothing else
cleanup() {
	trap - EXIT INT TERM HUP
	say "Stopping"
	[ -n "$TAIL_PID" ] && kill "$TAIL_PID" 2>/dev/null
	if [ -n "$MASTER_PID" ] && kill -0 "$MASTER_PID" 2>/dev/null; then
		if [ "$(tr -d ' ' <"$PF/spool/pid/master.pid" 2>/dev/null)" = "$MASTER_PID" ]; then
			postfix -c "$PF/etc" stop >/dev/null 2>&1
		else
			kill -TERM "$MASTER_PID"
		fi
		for _ in $(seq 50); do kill -0 "$MASTER_PID" 2>/dev/null || break; sleep 0.1; done
		echo "Postfix stopped"
	fi
	if [ -n "$EG_PID" ] && kill -0 "$EG_PID" 2>/dev/null; then
		kill -TERM "$EG_PID"
		for _ in $(seq 150); do kill -0 "$EG_PID" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$EG_PID" 2>/dev/null && kill -KILL "$EG_PID"
		echo "esmtpguard stopped"
	fi
	[ "$(cat "$DEMO_DIR/demo.pid" 2>/dev/null)" = $$ ] && rm -f "$DEMO_DIR/demo.pid"
	echo "files kept in $DEMO_DIR"
	exit 0
}
trap cleanup EXIT INT TERM HUP

# --- esmtpguard: the shipped configuration, with private paths ---------------
say "esmtpguard with conf/esmtpguard.conf (paths moved to $DEMO_DIR)"
{
	echo "# conf/esmtpguard.conf with the daemon's paths moved for the demo"
	echo "socket      = \"unix:$SOCK\""
	echo "socket_mode = \"0666\"   # smtpd runs as postfix"
	echo "user        = \"\""
	echo "pidfile     = \"$PIDFILE\""
	echo "state_dir   = \"$DEMO_DIR/state\""
	echo "log_file    = \"$LOG\""
	sed -E '/^[[:space:]]*(socket|socket_mode|user|pidfile|state_dir|log_file)[[:space:]]*=/s/^/#demo# /' \
		"$top/conf/esmtpguard.conf"
} >"$CONF"
"$EG_BIN" -n -c "$CONF" || die "esmtpguard -n refuses $CONF"
: >"$LOG"
"$EG_BIN" -f -c "$CONF" >"$DEMO_DIR/esmtpguard.stderr" 2>&1 &
for _ in $(seq 100); do
	[ -S "$SOCK" ] && [ -s "$PIDFILE" ] && break
	kill -0 $! 2>/dev/null || break
	sleep 0.1
done
if [ ! -S "$SOCK" ] || [ ! -s "$PIDFILE" ]; then
	cat "$DEMO_DIR/esmtpguard.stderr"; die "esmtpguard did not start"
fi
EG_PID=$(cat "$PIDFILE")
echo "esmtpguard pid $EG_PID, socket $SOCK"

# --- Postfix (reference/mta-behaviour.md §2) -----------------------------------
say "Private Postfix on 127.0.0.1:$DEMO_PORT (mail is discarded)"
bash "$top/contrib/postfix-instance.sh" "$PF" "$DEMO_PORT" "$SOCK" mx.demo.example ||
	die "could not write the Postfix instance"
postfix -c "$PF/etc" check >/dev/null 2>&1
postfix -c "$PF/etc" start >/dev/null 2>&1 || {
	tail "$PF/log/maillog"; die "Postfix did not start"
}
MASTER_PID=$(tr -d ' ' <"$PF/spool/pid/master.pid")
echo "Postfix master pid $MASTER_PID, log $PF/log/maillog"

# --- sample sessions ------------------------------------------------------------
SW=(swaks --server "127.0.0.1:$DEMO_PORT" --helo client.demo.example --timeout 20)

# smtp LINE... - a raw SMTP client: each line is sent after the previous
# reply; "<DATA>" sends the following lines without waiting; "<DROP>" closes
smtp() {
	local line reply raw=
	exec 3<>"/dev/tcp/127.0.0.1/$DEMO_PORT" || return 1
	IFS= read -r -t 20 reply <&3; echo "  <- ${reply%$'\r'}"
	for line in "$@"; do
		case $line in
		"<DROP>") echo "  (connection dropped)"; break ;;
		"<DATA>") raw=1; continue ;;
		esac
		echo "  -> $line"
		printf '%s\r\n' "$line" >&3
		[ -n "$raw" ] && [ "$line" != . ] && continue
		raw=
		while IFS= read -r -t 20 reply <&3; do
			echo "  <- ${reply%$'\r'}"
			case $reply in [0-9][0-9][0-9]-*) continue ;; esac
			break
		done
	done
	exec 3>&- 3<&-
}

say "1. A normal message"
"${SW[@]}" --from alice@sender.example --to bob@rcpt.example \
	--header 'Subject: hello from the esmtpguard demo' | grep -E '^ *(<-|->) +(MAIL|RCPT|DATA|[0-9]{3} )'
say "2. MAIL and RCPT, then QUIT"
"${SW[@]}" --from carol@sender.example --to bob@rcpt.example --quit-after RCPT |
	grep -E '^ *(<-|->) +(MAIL|RCPT|QUIT|[0-9]{3} )'
say "3. A connection dropped in the middle of DATA"
smtp "EHLO client.demo.example" "MAIL FROM:<dave@sender.example>" "RCPT TO:<bob@rcpt.example>" \
	DATA "<DATA>" "Subject: never finished" "" "half a body..." "<DROP>" | grep -v '^  <- 250-'
say "4. RSET between two messages"
smtp "EHLO client.demo.example" "MAIL FROM:<erin@sender.example>" "RCPT TO:<bob@rcpt.example>" RSET \
	"MAIL FROM:<erin@sender.example>" "RCPT TO:<frank@rcpt.example>" DATA "<DATA>" \
	"Subject: the second try" "Message-Id: <second@sender.example>" "" "body" . QUIT | grep -v '^  <- 250-'
say "5. A header line over 998 bytes: the ASA default drops the connection"
"${SW[@]}" --from grace@sender.example --to bob@rcpt.example \
	--header "X-Long: $(head -c 1100 /dev/zero | tr '\0' x)" 2>&1 |
	grep -E '^ *(<-|->|<\*\*) +(MAIL|RCPT|DATA|[0-9]{3} )'
say "6. 101 recipients: the 101st is one too many (ASA: rcpt count gt 100)"
RCPTS=$(for i in $(seq 1 101); do printf 'r%d@rcpt.example,' "$i"; done)
"${SW[@]}" --from heidi@sender.example --to "${RCPTS%,}" 2>&1 |
	grep -E '^ *(<\*\*|\*\*\*) ' | head -3
say "7. A trusted relay (10.1.2.3 is in RELAY_SG), presented with XCLIENT: not inspected"
"${SW[@]}" --from gw@relay.example --to bob@rcpt.example --xclient-addr 10.1.2.3 \
	--xclient-name gw.relay.example --header "X-Long: $(head -c 1100 /dev/zero | tr '\0' x)" |
	grep -E '^ *(<-|->) +(XCLIENT|MAIL|[0-9]{3} )'

sleep 1
say "The esmtpguard log ($LOG)"
cat "$LOG"

if [ -n "$NO_WAIT" ]; then
	exit 0
fi
say "esmtpguard runs in front of Postfix on 127.0.0.1:$DEMO_PORT"
cat <<EOF
Try your own, from another terminal:
  swaks --server 127.0.0.1:$DEMO_PORT --from me@example.org --to you@example.com
  swaks --server 127.0.0.1:$DEMO_PORT --xclient-addr 10.9.8.7 --to you@example.com
New log lines follow here. Ctrl-C stops esmtpguard and Postfix.
EOF
tail -n 0 -f "$LOG" &
TAIL_PID=$!
# until Ctrl-C, or until esmtpguard or Postfix is stopped from outside
while kill -0 "$EG_PID" 2>/dev/null && kill -0 "$MASTER_PID" 2>/dev/null; do
	sleep 1 &
	wait $!
done
echo "esmtpguard or Postfix has exited"
