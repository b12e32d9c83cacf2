#!/bin/sh
# deps.sh - install the Debian 12 packages esmtpguard needs to build, run
# and test, and only those that are missing. Runs as root; apt-get update
# runs once, and only when something has to be installed.
#
# Sendmail for the end-to-end tests: Debian's sendmail-bin conflicts with
# postfix as a package, so its .debs are downloaded (apt-get download) and
# unpacked (dpkg -x) into $SENDMAIL_ROOT, where contrib/sendmail-instance.sh
# runs it; its libraries and m4 are installed as ordinary packages.
set -eu
: "${SENDMAIL_ROOT:=/var/cache/esmtpguard/sendmail-root}"

PKGS="autoconf automake libtool pkg-config make gcc
libmilter-dev libspf2-dev libconfuse-dev check zlib1g-dev
postfix swaks miltertest dnsmasq-base iproute2 mandoc util-linux
logrotate dpkg-dev debhelper build-essential
m4 libwrap0 liblockfile1 libdb5.3 libldap-2.5-0 libnsl2 libsasl2-2 libssl3
clang libclang-rt-14-dev
cppcheck clang-tidy"

missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $st in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

sendmail_missing() { [ ! -x "$SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ]; }

[ -z "$missing" ] && ! sendmail_missing && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing; run me as root" >&2
	exit 1
fi
updated=

export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure (or start) a system mail service here.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
if [ -n "$missing" ]; then
	echo "deps.sh: installing$missing" >&2
	apt-get update -qq >/dev/null
	updated=1
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if sendmail_missing; then
	echo "deps.sh: unpacking Sendmail into $SENDMAIL_ROOT" >&2
	[ -n "$updated" ] || apt-get update -qq >/dev/null
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq sendmail-bin sendmail-cf sendmail-base \
		>/dev/null 2>&1)
	mkdir -p "$SENDMAIL_ROOT"
	for deb in "$tmp"/*.deb; do
		dpkg -x "$deb" "$SENDMAIL_ROOT"
	done
	rm -rf "$tmp"
	if sendmail_missing; then
		echo "deps.sh: no Sendmail in $SENDMAIL_ROOT" >&2
		exit 1
	fi
fi
echo "deps.sh: done" >&2
