#!/bin/bash
# run-all.sh - run the whole test suite from a fresh clone, as root on
# Debian 12: install what is missing, build out of tree in _build/ with
# warnings as errors, `make check`, show the logs of what failed, and end
# with one line "N passed, M failed". Exit status 0 only when nothing failed
# and something passed. .ci/run calls this.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
build=$top/_build

totals() {
	echo "$1 passed, $2 failed"
	[ "$2" -eq 0 ] && [ "$1" -gt 0 ]
	exit $?
}
step() { printf '\n=== %s\n' "$*"; }

step "dependencies (contrib/deps.sh)"
bash contrib/deps.sh || { echo "run-all: installing the dependencies failed"; totals 0 1; }

step "autoreconf -fi"
autoreconf -fi >"$top/_autoreconf.out" 2>&1 || {
	cat "$top/_autoreconf.out"; rm -f "$top/_autoreconf.out"
	echo "run-all: autoreconf failed"; totals 0 1
}
rm -f "$top/_autoreconf.out"

step "configure --enable-werror (in _build/)"
mkdir -p "$build" && cd "$build" || exit 1
if ! "$top/configure" --enable-werror -q; then
	tail -n 30 config.log
	[ -f "$top/config.status" ] &&
		echo "run-all: the source tree is configured in place; run 'make distclean' there"
	echo "run-all: configure failed"
	totals 0 1
fi

step "make -j2"
if ! make -j2 >make.out 2>&1; then
	tail -n 60 make.out
	echo "run-all: the build failed"
	totals 0 1
fi

step "make check"
rm -f test-suite.log
make -j2 check
if [ ! -f test-suite.log ]; then
	echo "run-all: make check did not run the tests (no test-suite.log)"
	totals 0 1
fi

num() { sed -n "s/^# $1: *\\([0-9][0-9]*\\).*/\\1/p" test-suite.log | head -1; }
pass=$(num PASS) fail=$(num FAIL) error=$(num ERROR) xpass=$(num XPASS)
pass=${pass:-0} failed=$(( ${fail:-0} + ${error:-0} + ${xpass:-0} ))

if [ "$failed" -gt 0 ]; then
	step "test-suite.log (the tests that failed)"
	cat test-suite.log
fi
echo
totals "$pass" "$failed"
