#!/bin/sh
# contrib.sh - what contrib/ and the manual pages give administrators to
# copy must work as written: every esmtpguard.conf block of
# contrib/ASA-MIGRATION.md and of the EXAMPLES of esmtpguard.conf(5), and
# the shipped conf/esmtpguard.conf, pass `esmtpguard -n`; the systemd unit
# passes systemd-analyze verify without a single warning; the sysusers.d
# and tmpfiles.d snippets create the user and the directories in a
# scratch root. (The Postfix and Sendmail snippets are used for real by
# t/e2e/package.sh and t/e2e/sendmail.sh, the logrotate file by
# t/e2e/logfile.sh.) TAP; needs top_srcdir and top_builddir.
: "${top_srcdir:=.}" "${top_builddir:=.}"
eg=$top_builddir/src/esmtpguard
c=$top_srcdir/contrib
# shellcheck source=t/tap.sh
. "$top_srcdir/t/tap.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/esmtpguard-contrib.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT


# check_conf FILE DESC - esmtpguard -n accepts it
check_conf() {
	out=$("$eg" -n -c "$1" 2>&1)
	result $? "$2" "$out"
}

# 1. configuration blocks
awk -v dir="$tmp" '/^```conf$/ { f = 1; n++; next } /^```$/ { f = 0 }
	f { print > (dir "/asa" n ".conf") }' "$c/ASA-MIGRATION.md"
n=0
for f in "$tmp"/asa*.conf; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	check_conf "$f" "ASA-MIGRATION.md: configuration block $n passes esmtpguard -n"
done
[ "$n" -ge 3 ]
result $? "ASA-MIGRATION.md: at least three configuration blocks checked ($n)"

# the .Bd -literal blocks of EXAMPLES that are configurations (mdoc
# escapes: \e is a backslash, \& nothing)
awk -v dir="$tmp" '/^\.Sh EXAMPLES/ { e = 1; next } /^\.Sh / { e = 0 }
	e && /^\.Bd -literal/ { f = 1; n++; next } e && /^\.Ed/ { f = 0 }
	f { gsub(/\\e/, "\\"); gsub(/\\&/, ""); print > (dir "/man" n ".conf") }' \
	"$top_srcdir/man/esmtpguard.conf.5"
n=0
for f in "$tmp"/man*.conf; do
	[ -f "$f" ] || continue
	grep -Eq '^ *(sendergroup|policy) ' "$f" || continue
	n=$((n + 1))
	check_conf "$f" "esmtpguard.conf(5) EXAMPLES: configuration $n passes esmtpguard -n"
done
[ "$n" -ge 2 ]
result $? "esmtpguard.conf(5) EXAMPLES: the ASA map and the ESA HAT examples checked ($n)"
check_conf "$top_srcdir/conf/esmtpguard.conf" "the shipped conf/esmtpguard.conf passes esmtpguard -n"

# 2. systemd unit, sysusers.d, tmpfiles.d
if command -v systemd-analyze >/dev/null 2>&1; then
	# the unit as installed, with the binary of this build
	sed "s|/usr/sbin/esmtpguard|$(cd "$top_builddir" && pwd)/src/esmtpguard|g" \
		"$c/systemd/esmtpguard.service" >"$tmp/esmtpguard.service"
	out=$(cd "$tmp" && systemd-analyze verify --man=no esmtpguard.service 2>&1)
	[ $? -eq 0 ] && [ -z "$out" ]
	result $? "systemd-analyze verify: esmtpguard.service, no warning" "$out"
	for k in ProtectSystem=strict NoNewPrivileges=yes RuntimeDirectory=esmtpguard \
		 StateDirectory=esmtpguard 'ExecReload=/bin/kill -HUP $MAINPID' \
		 User=esmtpguard PIDFile=/run/esmtpguard/esmtpguard.pid; do
		grep -qxF "$k" "$c/systemd/esmtpguard.service"
		result $? "esmtpguard.service has $k"
	done
else
	skip "systemd-analyze verify: esmtpguard.service" "systemd-analyze not installed"
fi
if command -v systemd-sysusers >/dev/null 2>&1 &&
   command -v systemd-tmpfiles >/dev/null 2>&1; then
	root=$tmp/root
	mkdir -p "$root/etc"
	out=$(systemd-sysusers --root="$root" "$(cd "$c" && pwd)/systemd/esmtpguard.sysusers" 2>&1)
	result $? "sysusers.d: systemd-sysusers takes the snippet" "$out"
	grep -q '^esmtpguard:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' "$root/etc/passwd" 2>/dev/null
	result $? "sysusers.d: a system user esmtpguard without a shell"
	grep -q '^esmtpguard:' "$root/etc/group" 2>/dev/null
	result $? "sysusers.d: a group esmtpguard"
	out=$(systemd-tmpfiles --root="$root" --create "$(cd "$c" && pwd)/systemd/esmtpguard.tmpfiles" 2>&1)
	result $? "tmpfiles.d: systemd-tmpfiles --create takes the snippet" "$out"
	uid=$(awk -F: '$1 == "esmtpguard" { print $3 }' "$root/etc/passwd")
	for d in run/esmtpguard var/lib/esmtpguard var/log/esmtpguard; do
		st=$(stat -c '%a %u' "$root/$d" 2>&1)
		[ "$st" = "750 $uid" ]
		result $? "tmpfiles.d: /$d is mode 750, owned by esmtpguard" "got: $st"
	done
else
	skip "sysusers.d and tmpfiles.d snippets" "systemd-sysusers or systemd-tmpfiles not installed"
fi

echo "1..$i"
exit $fail
