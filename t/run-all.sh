#!/bin/bash
# run-all.sh - run the whole test suite from a fresh clone, as root on
# Debian 12: install what is missing, build out of tree in _build/ with
# warnings as errors, `make check`, show the logs of what failed, `make lint`
# (cppcheck, clang-tidy); then the
# same unit and end-to-end tests again in _build-asan/ under ASan+UBSan with
# leak checks, plus the 20,000-session soak (make soak) there, and the
# threaded tests and the fault test (the daemon under load, reloads, a
# crash) in _build-tsan/ under TSan (t/tsan.supp: libmilter's own). It ends
# with one line "N passed, M failed" summing every step. Exit status 0 only
# when nothing failed and something passed. .ci/run calls this.
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

PASS=0 FAILED=0

# count_log STEP - add a test-suite.log's counts to the totals; show the
# log when something in it failed
count_log() {
	local pass fail error xpass failed
	if [ ! -f test-suite.log ]; then
		echo "run-all: $1: make check did not run the tests (no test-suite.log)"
		FAILED=$((FAILED + 1))
		return
	fi
	pass=$(num PASS) fail=$(num FAIL) error=$(num ERROR) xpass=$(num XPASS)
	failed=$(( ${fail:-0} + ${error:-0} + ${xpass:-0} ))
	PASS=$((PASS + ${pass:-0})) FAILED=$((FAILED + failed))
	if [ "$failed" -gt 0 ]; then
		step "$1: test-suite.log (the tests that failed)"
		cat test-suite.log
	fi
}
num() { sed -n "s/^# $1: *\\([0-9][0-9]*\\).*/\\1/p" test-suite.log | head -1; }

step "make check"
rm -f test-suite.log
make -j2 check
count_log "make check"

# sanitized DIR KIND TESTS... - configure and build DIR with
# --enable-sanitizers=KIND and run TESTS (all when none) under it. Every
# report lands in DIR/san/ (daemons have no terminal): each report file is
# one failure even when the process that wrote it exited 0.
# RUN_ALL_SANITIZERS=no skips both trees.
sanitized() {
	local dir=$1 kind=$2 f n=0
	shift 2
	step "configure --enable-sanitizers=$kind (in ${dir##*/}/)"
	mkdir -p "$dir" && cd "$dir" || exit 1
	if ! "$top/configure" --enable-werror --enable-sanitizers="$kind" -q ||
	   ! make -j2 >make.out 2>&1; then
		tail -n 60 config.log make.out 2>/dev/null
		echo "run-all: the $kind-sanitized build failed"
		FAILED=$((FAILED + 1))
		return
	fi
	rm -rf san test-suite.log && mkdir san
	step "make check under $kind sanitizers${1:+ ($*)}"
	# halt on the first finding; allocator_may_return_null: the strbuf
	# tests ask malloc for more than the address space on purpose.
	# Sanitizers make the scanners' chunking tests 5-10x slower: Check's
	# hang guard per test (60 s, Makefile.am) times 5
	CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-5} \
	ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:allocator_may_return_null=1:log_path=$dir/san/asan" \
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$dir/san/ubsan" \
	TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$top/t/tsan.supp:log_path=$dir/san/tsan" \
		make -j2 check ${1:+TESTS="$*"}
	count_log "$kind sanitizers"
	for f in san/*; do
		# allocator_may_return_null still logs a warning: not a finding
		grep -Eq 'ERROR: |runtime error|WARNING: ThreadSanitizer' "$f" || continue
		step "$kind sanitizer report $f"
		head -n 80 "$f"
		n=$((n + 1))
	done
	FAILED=$((FAILED + n))
}

# static analysis (make lint-cppcheck, make lint-clang-tidy: the committed
# .clang-tidy and t/lint/ over src/ and t/); one pass or fail per tool
for tool in cppcheck clang-tidy; do
	step "make lint-$tool"
	cd "$build" || exit 1
	t0=$SECONDS
	if make -s lint-$tool; then
		PASS=$((PASS + 1))
	else
		echo "run-all: $tool has findings (see above)"
		FAILED=$((FAILED + 1))
	fi
	echo "run-all: lint-$tool took $((SECONDS - t0)) s"
done

# make distcheck: the release tarball builds, installs and uninstalls
# cleanly, with warnings as errors. The whole suite ran above, so the
# tarball's own check runs the unit tests only.
step "make distcheck (unit tests in the tarball's build)"
cd "$build" || exit 1
rm -f test-suite.log
units=$(printf 'run-all-units:\n\t@echo $(UNIT_TESTS)\n' |
	make -s -f Makefile -f - run-all-units)
if make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror \
	TESTS="$units" >distcheck.out 2>&1; then
	PASS=$((PASS + 1))
	grep -E '^esmtpguard-.* archives ready' -A2 distcheck.out
else
	tail -n 60 distcheck.out
	echo "run-all: make distcheck failed"
	FAILED=$((FAILED + 1))
fi

# soak DIR - make soak in the sanitized tree DIR: RUN_ALL_SOAK sessions
# (20,000; 0 skips it) with mixed violations through the private Postfix
# under ASan+UBSan, then flat RSS/descriptors, the log's counts, no report
# and no leak at exit (t/e2e/soak.sh); its TAP results count in the totals
soak() {
	local dir=$1 n=${RUN_ALL_SOAK:-20000} pass fail
	[ "$n" -gt 0 ] || { echo "run-all: soak skipped (RUN_ALL_SOAK=0)"; return; }
	step "make soak under address sanitizers ($n sessions, in ${dir##*/}/)"
	if [ ! -x "$dir/src/esmtpguard" ] || ! cd "$dir"; then
		echo "run-all: soak: no sanitized build in $dir"
		FAILED=$((FAILED + 1))
		return
	fi
	local t0=$SECONDS
	make soak SOAK_SESSIONS="$n" >/dev/null 2>&1
	echo "run-all: make soak: $((SECONDS - t0)) s"
	pass=$(grep -c '^:test-result: PASS' t/e2e/soak.trs 2>/dev/null)
	fail=$(grep -Ec '^:test-result: (FAIL|ERROR|XPASS)' t/e2e/soak.trs 2>/dev/null)
	if ! grep -q '^:global-test-result: PASS' t/e2e/soak.trs 2>/dev/null; then
		[ "${fail:-0}" -gt 0 ] || fail=1
		step "soak: t/e2e/soak.log"
		cat t/e2e/soak.log 2>/dev/null
	else
		grep -E '^# (after|outcomes| )' t/e2e/soak.log
	fi
	PASS=$((PASS + ${pass:-0})) FAILED=$((FAILED + ${fail:-0}))
}

if [ "${RUN_ALL_SANITIZERS:-yes}" != no ]; then
	sanitized "$top/_build-asan" address
	soak "$top/_build-asan"
	sanitized "$top/_build-tsan" thread \
		t/unit/check_peer t/unit/check_conf t/unit/check_idalloc \
		t/unit/check_spf t/unit/check_log t/e2e/faults.sh
fi

# bounded fuzzing in _build/: make fuzz runs every target FUZZ_SECONDS
# (60 unless set), two at a time on the two cores; one pass per target
# that ran clean, one failure per target that found something. The seed
# is fixed (FUZZ_SEED, 1 unless set) so that a run repeats: CI gates on
# the inputs that were fuzzed before the commit (longer, with the same
# seed) instead of failing at random on a new finding; exploring with
# drawn seeds is `make fuzz FUZZ_SEED=0`, and what it finds becomes a seed
# and a test before it lands
step "make fuzz (libFuzzer, ASan+UBSan)"
cd "$build" || exit 1
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { (void) d; return (int) n * 0; }' |
     clang -x c -fsanitize=fuzzer,address,undefined -o fuzz-probe - >/dev/null 2>&1; then
	echo "run-all: skipped: clang with libFuzzer not available (contrib/deps.sh installs clang, libclang-rt-14-dev)"
else
	rm -f fuzz-probe
	fuzz_start=$(date +%s)
	make fuzz FUZZ_SEED="${FUZZ_SEED:-1}" ${FUZZ_SECONDS:+FUZZ_SECONDS="$FUZZ_SECONDS"} 2>&1 |
		tee fuzz.out
	fuzz_ok=$(grep -c '^fuzz_[a-z]*: ok,' fuzz.out)
	fuzz_failed=$(grep -c '^fuzz_[a-z]*: FAILED' fuzz.out)
	echo "run-all: make fuzz: $fuzz_ok targets clean, $fuzz_failed found something," \
		"$(( $(date +%s) - fuzz_start )) s"
	[ "$fuzz_failed" -gt 0 ] && echo "run-all: the inputs are in _build/t/fuzz/ (NAME-crash-*)"
	# a build that failed ran no target at all
	[ "$fuzz_ok" -eq 0 ] && [ "$fuzz_failed" -eq 0 ] && fuzz_failed=1
	PASS=$((PASS + fuzz_ok)) FAILED=$((FAILED + fuzz_failed))
fi

echo
totals "$PASS" "$FAILED"
