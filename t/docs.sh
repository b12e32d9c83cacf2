#!/bin/sh
# docs.sh - every option and rule name of the option table must be
# documented in esmtpguard.conf(5) and in the annotated conf/esmtpguard.conf,
# and the man page's reply code table must say what rule_defs[] answers.
# TAP; needs top_srcdir and top_builddir (exported by the Makefile).
: "${top_srcdir:=.}" "${top_builddir:=.}"

man=$top_srcdir/man/esmtpguard.conf.5
conf=$top_srcdir/conf/esmtpguard.conf
list=$("$top_builddir/t/conf-options") || {
	echo "1..1"
	echo "not ok 1 - t/conf-options runs"
	exit 1
}
replies=$("$top_builddir/t/conf-options" --replies) || exit 1
n=$(printf '%s\n' "$list" | wc -l)
nr=$(printf '%s\n' "$replies" | wc -l)
echo "1..$((2 * n + nr))"

i=0
fail=0
check() {	# check FILE SECTION NAME
	i=$((i + 1))
	if grep -q -w -e "$3" "$1"; then
		echo "ok $i - $2 $3 in ${1#"$top_srcdir"/}"
	else
		echo "not ok $i - $2 $3 missing from ${1#"$top_srcdir"/}"
		fail=1
	fi
}
while read -r section name; do
	check "$man" "$section" "$name"
	check "$conf" "$section" "$name"
done <<END
$list
END
while IFS= read -r row; do
	i=$((i + 1))
	if grep -qxF -e "$row" "$man"; then
		echo "ok $i - reply codes: $row"
	else
		echo "not ok $i - reply code row missing from the man page: $row"
		fail=1
	fi
done <<END
$replies
END
exit $fail
