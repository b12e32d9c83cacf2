#!/bin/sh
# man.sh - the manual pages are lint-clean (mandoc -Tlint, every message
# down to style level except "referenced manual not found", which only
# says the page is not installed yet, nor its mandoc.db twin), and esmtpguard(8) documents every
# command-line option, signal and exit status that src/main.c has, and
# esmtpguard-trace(1) every option its --help lists. TAP; needs top_srcdir
# and top_builddir (exported by the Makefile).
: "${top_srcdir:=.}" "${top_builddir:=.}"
main=$top_srcdir/src/main.c
page8=$top_srcdir/man/esmtpguard.8

# shellcheck source=t/tap.sh
. "$top_srcdir/t/tap.sh"
command -v mandoc >/dev/null 2>&1 || {
	echo "1..0 # SKIP mandoc not installed (contrib/deps.sh installs it)"
	exit 0
}


# 1. lint
for page in "$top_srcdir"/man/*.[0-9]; do
	out=$(mandoc -Tlint -Wstyle "$page" 2>&1 |
		grep -Ev 'STYLE: referenced manual not found|outdated mandoc.db lacks')
	[ -z "$out" ]
	result $? "mandoc -Tlint clean: ${page#"$top_srcdir"/}" "$out"
done

# 2. esmtpguard(8): options (the getopt string), signals, exit statuses
letters=$(sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' "$main" | tr -d ':')
[ -n "$letters" ]
result $? "the getopt string of src/main.c was found"
for l in $(printf '%s' "$letters" | sed 's/./& /g'); do
	grep -Eq "^\.It Fl $l( |\$)" "$page8"
	result $? "esmtpguard(8) documents option -$l"
done
for sig in $(sed -n 's/.*sigaddset(&set, \(SIG[A-Z0-9]*\)).*/\1/p' "$main" | sort -u); do
	sed -n "/^\.Sh SIGNALS/,/^\.Sh /p" "$page8" | grep -qw "$sig"
	result $? "esmtpguard(8) documents signal $sig"
done
for ex in $(grep -o 'EX_[A-Z]*' "$main" | sort -u); do
	sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$page8" | grep -q "Dv $ex"
	result $? "esmtpguard(8) EXIT STATUS documents $ex"
done

# 3. esmtpguard-trace(1): every option of its --help
trace=$top_builddir/src/esmtpguard-trace
page1=$top_srcdir/man/esmtpguard-trace.1
if [ -x "$trace" ] && [ -f "$page1" ]; then
	opts=$("$trace" --help 2>&1 | grep -Eo '(^|[[ ,])--?[A-Za-z][A-Za-z0-9-]*' |
		sed 's/^[[ ,]*//' | sort -u)
	for o in $opts; do
		name=${o#-}
		grep -Eq "Fl $name(\$|[ ,;.])" "$page1"
		result $? "esmtpguard-trace(1) documents option $o"
	done
fi

echo "1..$i"
exit $fail
