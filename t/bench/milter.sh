#!/bin/bash
# milter.sh - the milter alone: t/bench/mdriver speaks the milter protocol
# straight to the socket (no MTA), esmtpguard (shipped default policy, SPF
# off) against t/bench/noop (libmilter doing nothing: the floor). Prints:
#
#  1. memory: RSS and threads with HOLD sessions held open after HELO, on
#     freshly started filters, holds in increasing order; KiB per session
#     is (RSS(HOLD) - RSS(1)) / (HOLD - 1), and esmtpguard's cost beyond
#     libmilter's is its KiB per session minus noop's;
#  2. throughput: BENCH_MDRIVER_MSGS messages over BENCH_SESSIONS concurrent
#     sessions, runs interleaved noop, esmtpguard, noop, ... (after one
#     warm-up run each), medians of BENCH_RUNS: messages/s and the
#     filter's CPU time (utime + stime of all its threads) per message,
#     and the median of each round's CPU ratio; the system calls per
#     message under strace -c (BENCH_SC_MSGS messages), which count the
#     kernel's side of the work where CPU time is noisy; then one run
#     each beside BENCH_IDLE idle sessions;
#  3. instructions per message under valgrind --tool=callgrind (two runs
#     of BENCH_CG_MSGS / 5 and BENCH_CG_MSGS messages, the difference):
#     the figure that does not depend on what else the 2 cores are doing
#     (perf stat has no PMU counters on this VM); and esmtpguard's top
#     functions, self cost.
#
# Runs in t/e2e/lib.sh's private namespaces. Environment (defaults):
#	BENCH_HOLD="1 100 1000 5000" BENCH_MDRIVER_MSGS=20000 BENCH_SESSIONS=20
#	BENCH_SIZE=2000 BENCH_RUNS=5 BENCH_CG_MSGS=2000 (0: no callgrind)
#	BENCH_CG_TOP=12 BENCH_IDLE=5000 (0: no run beside idle sessions)
#	BENCH_SC_MSGS=2000 (0: no strace count)
# A quick run: BENCH_HOLD="1 100" BENCH_MDRIVER_MSGS=2000 BENCH_RUNS=1
#	BENCH_CG_MSGS=0 BENCH_IDLE=0 BENCH_SC_MSGS=0
. "$(dirname "$0")/../e2e/lib.sh"

: "${BENCH_HOLD:=1 100 1000 5000}" "${BENCH_MDRIVER_MSGS:=20000}"
: "${BENCH_SESSIONS:=20}" "${BENCH_SIZE:=2000}" "${BENCH_RUNS:=5}"
: "${BENCH_CG_MSGS:=2000}" "${BENCH_CG_TOP:=12}" "${BENCH_IDLE:=5000}"
: "${BENCH_SC_MSGS:=2000}"
NOOP_BIN=$top_builddir/t/bench/noop
MDRIVER=$top_builddir/t/bench/mdriver
NOOP_SOCK=$T/noop.sock
NOOP_PID=
for b in "$NOOP_BIN" "$MDRIVER"; do
	[ -x "$b" ] || skip_all "$b not built (make bench builds it)"
done
# esmtpguard raises its own soft limit; noop, plain libmilter, does not
ulimit -n "$(ulimit -Hn)" 2>/dev/null

sed -n '/^sendergroup RELAY_SG/,$p' "$top_srcdir/conf/esmtpguard.conf" |
	sed 's/verify = true/verify = false/' | eg_conf

noop_start() {
	rm -f "$NOOP_SOCK"
	${1:+"$@"} "$NOOP_BIN" "unix:$NOOP_SOCK" 2>>"$T/noop.stderr" &
	NOOP_PID=$!
	wait_for 30 test -S "$NOOP_SOCK" || { echo "Bail out! noop does not start"; exit 1; }
}
noop_stop() {
	[ -n "$NOOP_PID" ] || return 0
	kill "$NOOP_PID" 2>/dev/null
	wait "$NOOP_PID" 2>/dev/null
	NOOP_PID=
}
# esmtpguard as it runs in production: detached, without -f (which
# copies every log line to stderr, a cost the shipped unit never pays);
# [WRAPPER...] is valgrind, which follows the fork
eg_run() {
	rm -f "$EG_PIDFILE"
	"$@" "$EG_BIN" -c "$EG_CONF" >>"$T/esmtpguard.stderr" 2>&1
	wait_for 30 eg_run_ready || { echo "Bail out! esmtpguard does not start"; exit 1; }
	EG_PID=$(cat "$EG_PIDFILE")
}
eg_run_ready() { [ -s "$EG_PIDFILE" ] && [ -S "$SOCK" ]; }
eg_run_stop() {
	[ -n "$EG_PID" ] || return 0
	kill "$EG_PID" 2>/dev/null
	wait_for 60 eval "! alive $EG_PID"
	EG_PID=
}
trap 'rc=$?; noop_stop; eg_run_stop; (exit $rc); e2e_cleanup' EXIT

sock_of() { if [ "$1" = noop ]; then echo "$NOOP_SOCK"; else echo "$SOCK"; fi; }
pid_of() { if [ "$1" = noop ]; then echo "$NOOP_PID"; else echo "$EG_PID"; fi; }
# field NAME LINE - the value after NAME in an mdriver line
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$2"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-";
	else if (NR % 2) print v[(NR + 1) / 2];
	else printf "%g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
failures=0

eg_run
noop_start

echo "milter alone: mdriver over the unix socket; esmtpguard with the shipped default"
echo "policy (SPF off), noop = libmilter doing nothing; libmilter $(
	dpkg-query -W -f='${Version}' libmilter1.0.1 2>/dev/null ||
	"$EG_BIN" -V | sed -n 's/^libmilter //p')"
echo
# --- 1. memory ---------------------------------------------------------
echo "RSS with N sessions held open after HELO (fresh filters, N increasing);"
echo "KiB/session = (RSS(N) - RSS(1)) / (N - 1)"
printf '%-9s | %12s %8s | %12s %8s | %10s %10s %10s\n' "sessions" \
	"noop RSS KiB" threads "eg RSS KiB" threads "noop KiB/" \
	"eg KiB/" "eg - noop"
declare -A rss1
for h in $BENCH_HOLD; do
	line=
	for name in noop esmtpguard; do
		if ! out=$("$MDRIVER" "$(sock_of $name)" "$(pid_of $name)" "$h" \
			2>"$T/mdriver.err"); then
			failures=$((failures + 1))
			diag "$name: holding $h sessions failed: $(cat "$T/mdriver.err")"
		fi
		rss=$(field rss_kb "$out") thr=$(field threads "$out")
		[ -n "${rss1[$name]:-}" ] || rss1[$name]=$rss
		line="$line ${rss:-0} ${thr:-0}"
	done
	# shellcheck disable=SC2086
	set -- $line
	awk -v h="$h" -v nr="$1" -v nt="$2" -v er="$3" -v et="$4" \
	    -v nb="${rss1[noop]}" -v eb="${rss1[esmtpguard]}" 'BEGIN {
		if (h > 1) {
			n = (nr - nb) / (h - 1); e = (er - eb) / (h - 1)
			ns = sprintf("%.2f", n); es = sprintf("%.2f", e)
			ds = sprintf("%.2f", e - n)
		} else
			ns = es = ds = "-"
		printf "%-9d | %12d %8d | %12d %8d | %10s %10s %10s\n", h, nr, nt, er, et, ns, es, ds }'
done
echo

# --- 2. throughput -----------------------------------------------------
run() {	# run NAME MSGS SESSIONS: one mdriver run, its line or nothing
	local out
	if ! out=$("$MDRIVER" "$(sock_of "$1")" "$(pid_of "$1")" 0 "$3" "$2" \
		"$BENCH_SIZE" 2>"$T/mdriver.err"); then
		failures=$((failures + 1))
		diag "$1: $2 messages failed: $(cat "$T/mdriver.err")"
		return 1
	fi
	echo "$out"
}
for name in noop esmtpguard; do
	run $name $((BENCH_SESSIONS * 20)) "$BENCH_SESSIONS" >/dev/null
done
: >"$T/runs"
for _ in $(seq "$BENCH_RUNS"); do
	for name in noop esmtpguard; do
		out=$(run $name "$BENCH_MDRIVER_MSGS" "$BENCH_SESSIONS") || continue
		echo "$name $(field msg_per_s "$out") $(field cpu_us_per_msg "$out")" >>"$T/runs"
	done
done
# each round's esmtpguard/noop CPU: the two runs of a round are seconds
# apart, so the machine's slower drift (noop alone moves by a third over
# minutes here) falls out of their ratio
round_ratios=$(awk '$1 == "noop" { n = $3 } $1 == "esmtpguard" && n > 0 {
	printf "%.3f\n", $3 / n; n = 0 }' "$T/runs")
cpu_round=$(median <<<"$round_ratios")
cpu_range=$(sort -g <<<"$round_ratios" | sed -n '1p;$p' | paste -sd-)
for name in noop esmtpguard; do
	eval "mps_$name=\$(awk -v n=$name '\$1 == n { print \$2 }' \"\$T/runs\" | median)"
	eval "cpu_$name=\$(awk -v n=$name '\$1 == n { print \$3 }' \"\$T/runs\" | median)"
done
# once more beside BENCH_IDLE idle sessions: libmilter's pool controller
# polls every waiting session, so its cost grows with them
mps_idle_noop=- mps_idle_esmtpguard=- cpu_idle_noop=- cpu_idle_esmtpguard=-
if [ "$BENCH_IDLE" -gt 0 ]; then
	for name in noop esmtpguard; do
		if out=$(MDRIVER_KEEP=1 "$MDRIVER" "$(sock_of $name)" "$(pid_of $name)" \
			"$BENCH_IDLE" "$BENCH_SESSIONS" "$BENCH_MDRIVER_MSGS" \
			"$BENCH_SIZE" 2>"$T/mdriver.err"); then
			eval "mps_idle_$name=$(field msg_per_s "$out")"
			eval "cpu_idle_$name=$(field cpu_us_per_msg "$out")"
		else
			failures=$((failures + 1))
			diag "$name: beside $BENCH_IDLE idle sessions: $(cat "$T/mdriver.err")"
		fi
	done
fi
# system calls per message under strace -c -f: the kernel's side of the
# work counted, not timed (BENCH_SC_MSGS; 0 or no strace: skipped)
declare -A sc
if [ "$BENCH_SC_MSGS" -gt 0 ] && command -v strace >/dev/null; then
	for name in noop esmtpguard; do
		strace -c -f -q -o "$T/strace.$name" -p "$(pid_of $name)" 2>/dev/null &
		st=$!
		sleep 1
		run $name "$BENCH_SC_MSGS" "$BENCH_SESSIONS" >/dev/null
		kill -INT "$st"; wait "$st" 2>/dev/null
		for c in total poll read writev write futex; do
			sc[$name.$c]=$(awk -v c=$c -v m="$BENCH_SC_MSGS" '$NF == c {
				printf "%.1f", $4 / m }' "$T/strace.$name")
		done
	done
fi
nofile=$(awk '/^Max open files/ { print $4 }' "/proc/$EG_PID/limits")
eg_alive=yes; alive "$EG_PID" || { eg_alive=no; failures=$((failures + 1)); }
eg_run_stop
noop_stop

# --- 3. instructions (callgrind) ---------------------------------------
# callgrind_control cannot reach a forked daemon, so each filter runs
# twice under callgrind, with BENCH_CG_MSGS / 5 and with BENCH_CG_MSGS
# messages over the same sessions; the difference of the totals divided
# by the difference of the messages leaves start, stop and sessions out.
cg_total() {	# cg_total NAME MSGS: the filter's instructions, start to exit
	local vg="valgrind --tool=callgrind --callgrind-out-file=$T/cg.$1.$2.%p" p
	# shellcheck disable=SC2086
	if [ "$1" = noop ]; then noop_start $vg; else eg_run $vg; fi
	p=$(pid_of "$1")
	run "$1" "$2" "$BENCH_SESSIONS" >/dev/null
	if [ "$1" = noop ]; then noop_stop; else eg_run_stop; fi
	awk -v f="$T/cg.$1.$2.$p" '/^summary:/ { print $2, f }' "$T/cg.$1.$2.$p" 2>/dev/null
}
ir_noop=- ir_esmtpguard=-
cg_lo=$((BENCH_CG_MSGS / 5))
if [ "$BENCH_CG_MSGS" -gt 0 ] && command -v valgrind >/dev/null; then
	for name in noop esmtpguard; do
		lo=$(cg_total $name $cg_lo) hi=$(cg_total $name "$BENCH_CG_MSGS")
		[ $name = esmtpguard ] && cg_eg=${hi#* }
		lo=${lo%% *} hi=${hi%% *}
		if [ -n "$lo" ] && [ -n "$hi" ]; then
			eval "ir_$name=$(((hi - lo) / (BENCH_CG_MSGS - cg_lo)))"
		else
			failures=$((failures + 1))
			diag "$name: no callgrind totals"
		fi
	done
fi

printf '%s messages of %s bytes over %s sessions, median of %s interleaved runs\n' \
	"$BENCH_MDRIVER_MSGS" "$BENCH_SIZE" "$BENCH_SESSIONS" "$BENCH_RUNS"
printf '%-24s | %10s | %10s | %14s\n' "" noop esmtpguard "esmtpguard/noop"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b != "-") printf "%.2f", b / a; else print "-" }'; }
printf '%-24s | %10s | %10s | %14s\n' "messages/s" "$mps_noop" "$mps_esmtpguard" \
	"$(ratio "$mps_noop" "$mps_esmtpguard")"
printf '%-24s | %10s | %10s | %14s\n' "CPU us/message" "$cpu_noop" "$cpu_esmtpguard" \
	"$(ratio "$cpu_noop" "$cpu_esmtpguard")"
printf '%-24s | %10s | %10s | %14s\n' "CPU per round" "" "" "$cpu_round"
for c in total poll read writev write futex; do
	[ -n "${sc[noop.$c]:-}${sc[esmtpguard.$c]:-}" ] || continue
	printf '%-24s | %10s | %10s | %14s\n' "syscalls/message: $c" \
		"${sc[noop.$c]:-0}" "${sc[esmtpguard.$c]:-0}" \
		"$(ratio "${sc[noop.$c]:-0}" "${sc[esmtpguard.$c]:-0}")"
done
printf '%-24s | %10s | %10s | %14s\n' "instructions/message" "$ir_noop" \
	"$ir_esmtpguard" "$(ratio "$ir_noop" "$ir_esmtpguard")"
if [ "$BENCH_IDLE" -gt 0 ]; then
	printf 'beside %s idle sessions (one run each)\n' "$BENCH_IDLE"
	printf '%-24s | %10s | %10s | %14s\n' "messages/s" "$mps_idle_noop" \
		"$mps_idle_esmtpguard" "$(ratio "$mps_idle_noop" "$mps_idle_esmtpguard")"
	printf '%-24s | %10s | %10s | %14s\n' "CPU us/message" "$cpu_idle_noop" \
		"$cpu_idle_esmtpguard" "$(ratio "$cpu_idle_noop" "$cpu_idle_esmtpguard")"
fi
diag "CPU per round: the median of each round's esmtpguard/noop (range $cpu_range)"
diag "goals: CPU/message esmtpguard/noop <= 1.1; KiB/session eg - noop <= 64"
[ "$BENCH_CG_MSGS" -gt 0 ] &&
	diag "instructions: callgrind, all threads, (I($BENCH_CG_MSGS msgs) - I($cg_lo)) / $((BENCH_CG_MSGS - cg_lo))"
diag "esmtpguard's open files limit: $nofile; alive after the runs: $eg_alive"
if [ -n "${cg_eg:-}" ] && command -v callgrind_annotate >/dev/null; then
	diag "esmtpguard's top functions under callgrind (self, start to exit, $BENCH_CG_MSGS messages):"
	callgrind_annotate --inclusive=no "$cg_eg" 2>/dev/null |
		awk '/^-+$/ { s++ } s >= 4 && /[0-9] \(/ && !/PROGRAM TOTALS/' |
		head -n "$BENCH_CG_TOP" |
		sed -E 's/ \[[^]]*\]$//; s#[^ ]*/(src/[a-z]+\.c)#\1#' |
		while IFS= read -r l; do diag "  $l"; done
fi
[ "$failures" -eq 0 ] || { echo "Bail out! $failures mdriver runs failed"; exit 1; }
