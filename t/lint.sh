#!/bin/sh
# lint.sh - static analysis of every C file of the tree (src/, and the
# test, bench and fuzz code under t/) with cppcheck or clang-tidy, with the
# flags of the real build. "make lint" runs both (make lint-cppcheck,
# make lint-clang-tidy: one each). Prints each finding, then one line
# "lint: TOOL: N findings in M of K files"; exits 1 on any finding, and
# when the tool is missing (contrib/deps.sh installs both).
#
# usage: lint.sh cppcheck|clang-tidy -- COMPILER-FLAGS...
# Run from the build directory (make does), so that the flags' relative
# -I paths and config.h are the build's. The configuration is committed:
# .clang-tidy (and t/.clang-tidy for the test code), t/lint/cppcheck.cfg
# and t/lint/cppcheck.supp; each suppression there, and each one inline
# (NOLINT, cppcheck-suppress), says why.
#
# Environment: top_srcdir (absolute), LINT_JOBS (parallel files, 2),
# CPPCHECK, CLANG_TIDY (the programs), LINT_FILES (only these files,
# relative to top_srcdir: make lint LINT_FILES=src/session.c).
set -u
tool=${1:?usage: lint.sh cppcheck|clang-tidy -- FLAGS...}
shift
[ "${1:-}" = -- ] && shift
: "${top_srcdir:?top_srcdir must be set (make lint does)}"
: "${LINT_JOBS:=2}" "${CPPCHECK:=cppcheck}" "${CLANG_TIDY:=clang-tidy}"

# shellcheck disable=SC2086 # LINT_FILES is a list of names
files=$(cd "$top_srcdir" &&
	if [ -n "${LINT_FILES:-}" ]; then printf '%s\n' $LINT_FILES
	else find src t -name '*.c' ! -path 't/fuzz/work-*'; fi |
	LC_ALL=C sort | sed "s|^|$top_srcdir/|")
nfiles=$(echo "$files" | wc -l)
out=$(mktemp -d "${TMPDIR:-/tmp}/lint.XXXXXX") || exit 2
trap 'rm -rf "$out"' EXIT
: >"$out/all"

case $tool in
cppcheck)
	command -v "$CPPCHECK" >/dev/null ||
		{ echo "lint: $CPPCHECK not installed (contrib/deps.sh)"; exit 1; }
	# cppcheck takes only the preprocessor flags; it reads the project's
	# headers (and config.h), and knows the C library from its own
	# descriptions rather than from /usr/include.
	cpp=
	for f in "$@"; do
		case $f in
		-D_FORTIFY_SOURCE*) ;;
		-I/usr/*) ;;
		-D*|-U*|-I*) cpp="$cpp $f" ;;
		esac
	done
	# shellcheck disable=SC2086
	"$CPPCHECK" -j "$LINT_JOBS" --quiet --std=c11 \
		--enable=warning,style,performance,portability,information \
		--library=posix --library=gnu \
		--library="$top_srcdir/t/lint/cppcheck.cfg" \
		--suppressions-list="$top_srcdir/t/lint/cppcheck.supp" \
		--inline-suppr --error-exitcode=1 \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		$cpp $files >"$out/all" 2>&1
	rc=$?
	;;
clang-tidy)
	command -v "$CLANG_TIDY" >/dev/null ||
		{ echo "lint: $CLANG_TIDY not installed (contrib/deps.sh)"; exit 1; }
	# a compilation database of the build's flags, then one file per
	# run, LINT_JOBS at a time, each report into its own file so that
	# they do not interleave
	args=
	for a in cc "$@"; do
		a=$(printf '%s' "$a" | sed 's/\\/\\\\/g; s/"/\\"/g')
		args="$args\"$a\", "
	done
	{
		echo '['
		sep=
		for f in $files; do
			printf '%s{"directory": "%s", "file": "%s",\n "arguments": [%s"-c", "%s"]}\n' \
				"$sep" "$(pwd)" "$f" "$args" "$f"
			sep=,
		done
		echo ']'
	} >"$out/compile_commands.json"
	# shellcheck disable=SC2016 # expanded by the sh -c
	printf '%s\n' "$files" |
		LINT_OUT=$out CLANG_TIDY=$CLANG_TIDY xargs -P "$LINT_JOBS" -n 1 \
		sh -c 'o=$LINT_OUT/$(printf "%s" "$1" | tr / _)
			"$CLANG_TIDY" --quiet -p "$LINT_OUT" "$1" >"$o.out" 2>&1 ||
			echo "$1" >"$o.failed"' lint-tidy
	rc=0
	for f in "$out"/*.out; do
		[ -f "$f" ] || continue
		# the count of warnings clang-tidy suppressed (NOLINT, filters)
		# goes to stderr too: keep only what it reports
		grep -v -E '^[0-9]+ (warning|error)s? generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' "$f" >>"$out/all"
	done
	ls "$out"/*.failed >/dev/null 2>&1 && rc=1
	;;
*)
	echo "lint: unknown tool $tool (cppcheck or clang-tidy)" >&2
	exit 2
	;;
esac

findings=$(grep -c -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error|style|performance|portability|information):' "$out/all")
bad=$(grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error|style|performance|portability|information):' "$out/all" |
	cut -d: -f1 | sort -u | wc -l)
sed "s|$top_srcdir/||" "$out/all"
if [ "$rc" -ne 0 ] && [ "$findings" -eq 0 ]; then
	echo "lint: $tool failed without a finding (see above)"
	exit 1
fi
echo "lint: $tool: $findings findings in $bad of $nfiles files"
[ "$findings" -eq 0 ] && [ "$rc" -eq 0 ]
