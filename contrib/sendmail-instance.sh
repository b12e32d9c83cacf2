#!/bin/bash
# sendmail-instance.sh - write a private Sendmail instance that hands every
# SMTP session to esmtpguard (reference/mta-behaviour.md §5), beside the
# system's Postfix: Debian's sendmail-bin conflicts with postfix as a
# package, so it runs from the unpacked .debs (contrib/deps.sh puts them in
# $SENDMAIL_ROOT). Loopback only (or what EXTRA_MC adds), no queue runner at all: every
# accepted message stays in DIR/queue (DeliveryMode queueonly, the daemon
# started without -q), where a test can read it; nothing is ever sent on.
# The INPUT_MAIL_FILTER line is contrib/sendmail/esmtpguard.mc, with the
# socket path replaced.
#
#	sendmail-instance.sh DIR PORT MILTER_SOCKET MYHOSTNAME [EXTRA_MC]
#
# It listens on 127.0.0.1:PORT; EXTRA_MC lines go into the .mc before
# the milter line (e.g. a second DAEMON_OPTIONS).
#
# Start it with "$(sendmail-instance.sh --binary) -C DIR/etc/sendmail.cf -bD
# -X DIR/log/traffic.log &" (foreground daemon; -X writes the SMTP
# transcript, as there is no syslog); its pid is in DIR/run/sendmail.pid.
# Never start it with -d: debug output goes to the SMTP client.
set -eu
: "${SENDMAIL_ROOT:=/var/cache/esmtpguard/sendmail-root}"
SM=$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail
CF=$SENDMAIL_ROOT/usr/share/sendmail/cf
if [ "${1:-}" = --binary ]; then
	echo "$SM"
	exit 0
fi
[ $# -ge 4 ] || { echo "usage: $0 DIR PORT MILTER_SOCKET MYHOSTNAME [EXTRA_MC]" >&2; exit 64; }
DIR=$1 PORT=$2 SOCK=$3 NAME=$4 EXTRA=${5:-}
[ -x "$SM" ] && [ -f "$CF/m4/cf.m4" ] || {
	echo "$0: no Sendmail in $SENDMAIL_ROOT (contrib/deps.sh unpacks it there)" >&2
	exit 69
}
snippet=$(cd "$(dirname "$0")" && pwd)/sendmail/esmtpguard.mc

mkdir -p "$DIR/etc" "$DIR/queue" "$DIR/run" "$DIR/log"
chmod 700 "$DIR/queue"
: >"$DIR/etc/aliases"
: >"$DIR/etc/local-host-names"
: >"$DIR/etc/helpfile"
# names from the (private) /etc/hosts only, never DNS
printf 'hosts\tfiles\naliases\tfiles\n' >"$DIR/etc/service.switch"

{
	cat <<EOM
divert(-1)
# private Sendmail for the esmtpguard tests (contrib/sendmail-instance.sh)
divert(0)dnl
VERSIONID(\`esmtpguard test instance')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$NAME')dnl
define(\`confSERVICE_SWITCH_FILE', \`$DIR/etc/service.switch')dnl
define(\`QUEUE_DIR', \`$DIR/queue')dnl
define(\`confPID_FILE', \`$DIR/run/sendmail.pid')dnl
define(\`STATUS_FILE', \`$DIR/run/statistics')dnl
define(\`ALIAS_FILE', \`$DIR/etc/aliases')dnl
define(\`HELP_FILE', \`$DIR/etc/helpfile')dnl
define(\`confCW_FILE', \`$DIR/etc/local-host-names')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confDONT_BLAME_SENDMAIL', \`GroupWritableDirPathSafe,MapInUnsafeDirPath,TrustStickyBit')dnl
define(\`confDELIVERY_MODE', \`queueonly')dnl
define(\`confMAX_DAEMON_CHILDREN', \`20')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Port=$PORT, Addr=127.0.0.1, Name=MTA')dnl
EOM
	if [ -n "$EXTRA" ]; then printf "%s\n" "$EXTRA"; fi
	sed "s|unix:/run/esmtpguard/esmtpguard.sock|unix:$SOCK|" "$snippet"
	echo "MAILER(\`smtp')dnl"
} >"$DIR/etc/sendmail.mc"

# (m4 warns about promiscuous_relay, rightly: it listens on loopback only)
m4 -D_CF_DIR_="$CF/" "$CF/m4/cf.m4" "$DIR/etc/sendmail.mc" >"$DIR/etc/sendmail.cf" \
	2>"$DIR/log/m4.out"
grep -q "^Xesmtpguard, S=unix:$SOCK," "$DIR/etc/sendmail.cf" || {
	echo "$0: the INPUT_MAIL_FILTER line did not make it into sendmail.cf" >&2
	exit 70
}
"$SM" -C "$DIR/etc/sendmail.cf" -bi >"$DIR/log/newaliases.out" 2>&1
