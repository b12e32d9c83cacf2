#!/bin/bash
# shellcheck disable=SC2034
# package.sh - the Debian package, as an administrator gets it: build it
# with contrib/deb.sh (dpkg-buildpackage -us -uc -b), install it with
# dpkg -i, check what it put where (binaries, configuration, man pages,
# systemd unit, user, directories, postfix in the esmtpguard group), then
# start the installed esmtpguard the way its systemd unit does (as user
# esmtpguard, ExecStartPre, ExecStart, ExecReload) with the installed
# /etc/esmtpguard.conf, attach a private Postfix with the lines of
# contrib/postfix/main.cf and a private Sendmail with the line of
# contrib/sendmail/esmtpguard.mc, send mail through both, see what Postfix
# answers once esmtpguard is stopped. The package is
# purged at the end (the esmtpguard user stays, as after any purge).
#
# Skipped when not root, without dpkg-buildpackage and debhelper
# (contrib/deps.sh installs them), when an esmtpguard package is already
# installed (it is not ours to replace), or in a sanitizer build (the
# package is built without them; the plain run has tested it).
E2E_PORT=25257
PF_EXTRA="smtpd_recipient_restrictions = check_client_access static:HOLD"
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

grep -q -- '--enable-sanitizers' "$top_builddir/config.status" 2>/dev/null &&
	skip_all "sanitizer build: the package builds without sanitizers, the plain run tests it"
for tool in dpkg-buildpackage dh setpriv; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip_all "$tool not installed (contrib/deps.sh installs it)"
done
# one package test at a time on this machine (dpkg, the system user)
mkdir -p /run/lock
exec 9>/run/lock/esmtpguard-package-test.lock
flock -w 600 9 || skip_all "another package test holds /run/lock/esmtpguard-package-test.lock"
if dpkg-query -W -f='${Status}' esmtpguard 2>/dev/null | grep -q ' installed$'; then
	skip_all "an esmtpguard package is already installed on this machine"
fi

UNIT=/lib/systemd/system/esmtpguard.service
RUN=/run/esmtpguard
PKG_INSTALLED=
pkg_cleanup() {
	[ -n "$EG_PID" ] && kill -KILL "$EG_PID" 2>/dev/null
	EG_PID=
	[ -n "$PKG_INSTALLED" ] && dpkg --purge esmtpguard >"$T/purge.out" 2>&1
	return 0
}
trap 'rc=$?; pkg_cleanup; (exit $rc); e2e_cleanup' EXIT

# unit_value KEY - the value of KEY= in the installed unit (first one)
unit_value() { sed -n "s/^$1=//p" "$UNIT" | head -1; }

# --- 1. build and install ---
ok "contrib/deb.sh builds the package" \
	eval 'DEB_BUILD_OPTIONS=nocheck bash "$top_srcdir/contrib/deb.sh" "$T/debs" >"$T/deb.out" 2>&1' 
deb=$(ls "$T"/debs/esmtpguard_*.deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then
	diag_file "$T/deb.out" 40
	echo "Bail out! no package was built"
	exit 1
fi
if dpkg -i "$deb" >"$T/install.out" 2>&1; then
	PKG_INSTALLED=1
	pass "dpkg -i installs it"
else
	fail "dpkg -i installs it" "$(tail -n 20 "$T/install.out")"
	echo "Bail out! the package does not install"
	exit 1
fi

# --- 2. what it installed ---
is "$(/usr/sbin/esmtpguard -V | head -1)" \
	"esmtpguard $(sed -n 's/^AC_INIT(\[esmtpguard\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")" \
	"/usr/sbin/esmtpguard -V: the version of this tree"
ok "/etc/esmtpguard.conf is the shipped configuration" \
	cmp -s /etc/esmtpguard.conf "$top_srcdir/conf/esmtpguard.conf"
ok "esmtpguard -n finds and accepts /etc/esmtpguard.conf (no -c)" \
	/usr/sbin/esmtpguard -n
dpkg-query -W -f='${Conffiles}\n' esmtpguard >"$T/conffiles"
like "$T/conffiles" '^ /etc/esmtpguard.conf ' "/etc/esmtpguard.conf is a conffile (upgrades keep local changes)"
for page in man8/esmtpguard.8 man5/esmtpguard.conf.5 man1/esmtpguard-trace.1; do
	ok "man page $page installed" test -s "/usr/share/man/$page.gz"
done
ok "esmtpguard-trace installed and runs" eval '/usr/bin/esmtpguard-trace --help >/dev/null 2>&1'
ok "systemd unit installed" test -s "$UNIT"
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify --man=no "$UNIT" 2>&1)
	is "$out" "" "systemd-analyze verify: the installed unit, no warning"
fi
ok "examples installed (Postfix, Sendmail, ASA migration)" \
	test -s /usr/share/doc/esmtpguard/examples/postfix-main.cf -a \
	     -s /usr/share/doc/esmtpguard/examples/sendmail-esmtpguard.mc -a \
	     -s /usr/share/doc/esmtpguard/examples/ASA-MIGRATION.md
like <(getent passwd esmtpguard) '^esmtpguard:x:[0-9]+:[0-9]+:.*:/usr/sbin/nologin$' \
	"sysusers.d: system user esmtpguard without a shell"
ok "postinst: postfix is in the esmtpguard group" \
	eval "id -nG postfix | tr ' ' '\n' | grep -qx esmtpguard"
is "$(stat -c '%a %U %G' "$RUN" /var/lib/esmtpguard 2>&1 | tr '\n' ' ')" \
	"750 esmtpguard esmtpguard 750 esmtpguard esmtpguard " \
	"tmpfiles.d: /run/esmtpguard and /var/lib/esmtpguard, 0750 esmtpguard"

# --- 3. start it as the unit does, on private copies of its directories
# (this mount namespace only: a real instance would not be disturbed) ---
mount -t tmpfs -o mode=0755 tmpfs "$RUN" && mount -t tmpfs -o mode=0755 tmpfs /var/lib/esmtpguard
systemd-tmpfiles --create esmtpguard.conf >/dev/null 2>&1
is "$(unit_value User):$(unit_value Group)" "esmtpguard:esmtpguard" "the unit runs as esmtpguard"
is "$(unit_value Type)" forking "the unit is Type=forking"
as_unit() {
	(umask "$(unit_value UMask)"
	 # shellcheck disable=SC2046
	 exec setpriv --reuid=esmtpguard --regid=esmtpguard --init-groups \
		--no-new-privs -- $(unit_value "$1"))
}
ok "ExecStartPre (esmtpguard -n) passes" as_unit ExecStartPre
ok "ExecStart returns (forking) with status 0" as_unit ExecStart
pidfile=$(unit_value PIDFile)
SOCK=$RUN/esmtpguard.sock
ok "the pid file ($pidfile) and the socket are there" \
	wait_for 10 eval "test -s $pidfile -a -S $SOCK"
EG_PID=$(cat "$pidfile" 2>/dev/null)
is "$(awk '/^Uid:/ { print $2 }' "/proc/${EG_PID:-0}/status" 2>&1)" \
	"$(id -u esmtpguard)" "the daemon runs as esmtpguard"
is "$(stat -c '%a %U %G' "$SOCK" 2>&1)" "660 esmtpguard esmtpguard" \
	"socket: mode 0660, group esmtpguard"

# --- 4. a private Postfix with the lines of contrib/postfix/main.cf ---
PF_EXTRA="$PF_EXTRA
$(grep -Ev '^[[:space:]]*(#|$)' "$top_srcdir/contrib/postfix/main.cf")"
pf_start
sw --from a@sender.example --to b@rcpt.example --header 'Subject: packaged'
like "$T/last.out" '^<- +250 .*queued as' \
	"Postfix (user postfix, via the group) reaches the installed esmtpguard"
qid=$(sed -nE 's/.*queued as ([0-9A-Za-z]+).*/\1/p' "$T/last.out" | head -1)
postcat -c "$PF/etc" -hq "${qid:-NOQID}" >"$T/postcat.out" 2>&1
like "$T/postcat.out" '^X-ESMTPGuard-ID: ICID=[0-9]+ MID=[0-9]+$' \
	"the queued message carries the id_header of the installed configuration"
unlike "$PF/log/maillog" 'Milter service.*(Permission denied|No such file)' \
	"Postfix logged no milter connection failure"
ok "Postfix logged nothing fatal" pf_healthy

# --- 4b. and a private Sendmail with contrib/sendmail/esmtpguard.mc ---
if sm_available; then
	SM_PORT=$((E2E_PORT + 1000))
	sm_start
	timeout 60 swaks --server "127.0.0.1:$SM_PORT" --timeout 20 \
		--helo client.test.example --from a@sender.example \
		--to b@rcpt.example >"$T/last.out" 2>&1
	smid=$(sed -nE 's/^<- +250 2\.0\.0 ([0-9A-Za-z]+) Message accepted.*/\1/p' "$T/last.out")
	like "$SM/queue/qf${smid:-none}" '^H\?\?X-ESMTPGuard-ID: ICID=[0-9]+ MID=[0-9]+$' \
		"Sendmail reaches the installed esmtpguard: id_header in its queued message"
	sm_stop
else
	E2E_N=$((E2E_N + 1))
	echo "ok $E2E_N - Sendmail reaches the installed esmtpguard # SKIP no unpacked Sendmail"
fi

# --- 5. ExecReload, then stop ---
# shellcheck disable=SC2046
eval "MAINPID=$EG_PID; $(unit_value ExecReload | sed 's/\$MAINPID/$MAINPID/')"
sw --from a@sender.example --to b@rcpt.example
like "$T/last.out" '^<- +250 .*queued as' "after ExecReload (SIGHUP) mail still flows"
ok "after ExecReload it still runs" alive "$EG_PID"
kill -TERM "$EG_PID"
ok "SIGTERM stops it" wait_for 30 eval "! alive $EG_PID"
EG_PID=
ok "the socket and the pid file are gone (the run directory is the user's)" \
	test ! -e "$SOCK" -a ! -e "$pidfile"

# --- 6. esmtpguard down: milter_default_action = tempfail (the snippet) ---
: >"$T/last.out"
c_open 4
c_cmd 4 "EHLO client.test.example"
c_cmd 4 "MAIL FROM:<down@sender.example>"
like "$T/last.out" '^<4 451 4\.7\.1 Service unavailable - try again later$' \
	"esmtpguard down: Postfix answers MAIL FROM with 451 4.7.1"
c_cmd 4 "NOOP"
is "${C_REPLY%% *}" 250 "esmtpguard down: the connection stays open"
c_cmd 4 "QUIT"
c_close 4
like "$PF/log/maillog" "warning: connect to Milter service unix:$SOCK: No such file or directory" \
	"esmtpguard down: Postfix logs why"
umount "$RUN" /var/lib/esmtpguard

# --- 7. purge ---
PKG_INSTALLED=
ok "dpkg --purge removes it" eval 'dpkg --purge esmtpguard >"$T/purge.out" 2>&1' 
ok "purge removed the binary, the configuration and the state directory" \
	test ! -e /usr/sbin/esmtpguard -a ! -e /etc/esmtpguard.conf -a ! -e /var/lib/esmtpguard
done_testing
