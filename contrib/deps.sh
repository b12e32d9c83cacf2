#!/bin/sh
# deps.sh - install the Debian 12 packages esmtpguard needs to build, run
# and test, and only those that are missing. Runs as root; apt-get update
# runs once, and only when something has to be installed.
set -eu

PKGS="autoconf automake libtool pkg-config make gcc
libmilter-dev libspf2-dev libconfuse-dev check zlib1g-dev
postfix swaks miltertest dnsmasq-base iproute2 mandoc util-linux
logrotate dpkg-dev debhelper build-essential"

missing=
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case $st in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing; run me as root" >&2
	exit 1
fi

echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure (or start) a system mail service here.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps.sh: done" >&2
