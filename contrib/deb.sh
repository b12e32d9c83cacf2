#!/bin/bash
# deb.sh - build the Debian package of esmtpguard from this source tree:
#
#	contrib/deb.sh OUTDIR
#
# Copies the tree to a scratch directory, puts contrib/debian there as
# debian/ (with the systemd unit, sysusers.d and tmpfiles.d files of
# contrib/systemd, the snippets as examples, and a changelog carrying the
# version of configure.ac), runs `dpkg-buildpackage -us -uc -b` and moves
# the .deb to OUTDIR. Needs dpkg-dev and debhelper, plus the build
# dependencies (contrib/deps.sh). DEB_BUILD_OPTIONS is passed on
# (nocheck skips the unit tests).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 64; }
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
for tool in dpkg-buildpackage dh; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "deb.sh: $tool not found (apt-get install dpkg-dev debhelper)" >&2; exit 69; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/esmtpguard-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^AC_INIT(\[esmtpguard\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")
[ -n "$version" ] || { echo "deb.sh: no version in configure.ac" >&2; exit 65; }
tree=$work/esmtpguard-$version

# The sources only: what git tracks in a clone (uncommitted edits
# included), else everything (an unpacked dist tarball), leaving out
# build directories and whatever configure made in place.
mkdir -p "$tree"
if git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1 &&
   [ "$(git -C "$src" rev-parse --show-toplevel)" = "$src" ]; then
	git -C "$src" ls-files -z | (cd "$src" && xargs -0 cp --parents -t "$tree")
else
	(cd "$src" && tar -cf - --exclude=./_build --exclude=./debian \
		--exclude=./autom4te.cache --exclude=./config.status \
		--exclude=./config.log --exclude=./Makefile --exclude='*.o' .) |
		(cd "$tree" && tar -xf -)
fi
chmod -R u+w "$tree"

d=$tree/debian
rm -rf "$d"
cp -r "$tree/contrib/debian" "$d"
cp "$tree/contrib/systemd/esmtpguard.service" "$d/esmtpguard.service"
cp "$tree/contrib/systemd/esmtpguard.sysusers" "$d/esmtpguard.sysusers"
cp "$tree/contrib/systemd/esmtpguard.tmpfiles" "$d/esmtpguard.tmpfiles"
mkdir -p "$d/examples"
cp "$tree/contrib/ASA-MIGRATION.md" "$d/examples/"
cp "$tree/contrib/postfix/main.cf" "$d/examples/postfix-main.cf"
cp "$tree/contrib/sendmail/esmtpguard.mc" "$d/examples/sendmail-esmtpguard.mc"
cp "$tree/contrib/rsyslog/esmtpguard.conf" "$d/examples/rsyslog-esmtpguard.conf"
cp "$tree/contrib/logrotate/esmtpguard" "$d/examples/logrotate-esmtpguard"
cat >"$d/changelog" <<EOC
esmtpguard ($version) unstable; urgency=medium

  * Built from the source tree by contrib/deb.sh.

 -- esmtpguard developers <esmtpguard@localhost>  $(date -R)
EOC

(cd "$tree" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed" >&2
	exit 1
}
mv "$work"/esmtpguard_"$version"_*.deb "$out/"
ls "$out"/esmtpguard_"$version"_*.deb
