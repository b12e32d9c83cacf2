#!/bin/bash
# shellcheck disable=SC2034 # E2E_KEEP is read by lib.sh
# profile.sh - where esmtpguard's CPU goes per message, against the no-op
# filter, with deterministic counts: both milters run under valgrind
# --tool=callgrind behind the private Postfix of t/bench/e2e.sh while
# smtp-source sends PROF_MSGS messages, and again with twice as many; the
# difference is the cost of PROF_MSGS messages without start-up and
# shutdown. Also the system calls per message (strace -c -f), which
# callgrind does not see, and where the CPU time goes, kernel included:
# perf record sampling the cpu-clock software event (it needs no hardware
# counters, which this VM does not expose). esmtpguard runs detached, as
# the systemd unit runs it (not -f, which copies every line to stderr).
#
# Environment: PROF_MSGS=400 PROF_SIZE=2000 PROF_SESSIONS=5
#	PROF_PARTS=all, or one of callgrind, strace, perf
#	PROF_OUT=directory for callgrind.out.*, strace and perf output
#	(default: kept in the test directory, printed at the end)
# Output: instructions (Ir) per message for noop and esmtpguard, their
# ratio, the top functions of esmtpguard (inclusive), the system calls
# per message of each, and each milter's CPU samples per message by
# kernel and user space and by function.
# shellcheck source=t/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"

: "${PROF_MSGS:=400}" "${PROF_SIZE:=2000}" "${PROF_SESSIONS:=5}" "${PROF_PARTS:=all}"
NOOP_BIN=$top_builddir/t/bench/noop
NOOP_SOCK=$T/noop.sock
[ -x "$NOOP_BIN" ] || skip_all "$NOOP_BIN not built (make bench builds it)"
SRC=$(command -v smtp-source) || skip_all "smtp-source (package postfix) not found"
command -v valgrind >/dev/null || skip_all "valgrind not installed"
command -v callgrind_control >/dev/null || skip_all "callgrind_control not installed"
HAVE_STRACE=; command -v strace >/dev/null && HAVE_STRACE=1
HAVE_PERF=; perf version >/dev/null 2>&1 && HAVE_PERF=1
OUT=${PROF_OUT:-$T/prof}
mkdir -p "$OUT"
E2E_KEEP=1

pf_setup
cat >>"$PF/etc/master.cf" <<EOC
127.0.0.1:2602 inet n - n - - smtpd -o smtpd_milters=unix:$NOOP_SOCK
EOC
# valgrind is slow: give the milters time
postconf -c "$PF/etc" -e "default_process_limit = 200" \
	"smtpd_client_connection_count_limit = 0" \
	"smtpd_client_connection_rate_limit = 0" \
	"smtpd_client_message_rate_limit = 0" "in_flow_delay = 0" \
	"milter_connect_timeout = 60s" "milter_command_timeout = 120s" \
	"milter_content_timeout = 300s"
pf_start
sed -n '/^sendergroup RELAY_SG/,$p' "$top_srcdir/conf/esmtpguard.conf" |
	sed 's/verify = true/verify = false/' | eg_conf

# wrap TOOL - a wrapper that execs the milter under TOOL (same pid)
wrap() {
	local w=$T/wrap-$1; shift
	printf '#!/bin/sh\nexec %s "$@"\n' "$*" >"$w"
	chmod 755 "$w"
	echo "$w"
}

cg_opts=(--tool=callgrind "--callgrind-out-file=$OUT/callgrind.out.%p")
load() { # PORT - the timed load; 1 when smtp-source failed
	"$SRC" -s "$PROF_SESSIONS" -m "$PROF_MSGS" -l "$PROF_SIZE" \
		-f a@sender.example -t b@rcpt.example "127.0.0.1:$1" \
		2>>"$T/smtp-source.err"
}
queue_empty() {
	[ -z "$(find "$PF/spool/incoming" "$PF/spool/active" "$PF/spool/maildrop" -type f 2>/dev/null | head -1)" ]
}

# ir_of FILE - the total Ir of a callgrind output file
ir_of() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'; }

# profile ROW PORT N - the milter of ROW (eg or noop) under callgrind over
# its whole life with a load of N messages: callgrind.ROW.N. (A detached
# esmtpguard cannot be reached by callgrind_control, so start-up and
# shutdown are taken out by difference: see below.)
profile() {
	local row=$1 port=$2 n=$3 pid
	wait_for 60 queue_empty
	if [ "$row" = eg ]; then
		EG_BIN=$(wrap eg valgrind "${cg_opts[@]}" "$EG_BIN") eg_start_detached ||
			{ echo "Bail out! esmtpguard does not start under valgrind"; exit 1; }
		pid=$EG_PID
	else
		rm -f "$NOOP_SOCK"
		valgrind "${cg_opts[@]}" "$NOOP_BIN" "unix:$NOOP_SOCK" \
			2>"$T/noop.stderr" &
		pid=$!
		wait_for 30 test -S "$NOOP_SOCK" || { echo "Bail out! noop does not start"; exit 1; }
	fi
	PROF_MSGS=$n load "$port" || diag "$row: smtp-source failed"
	wait_for 60 queue_empty
	if [ "$row" = eg ]; then
		eg_stop
	else
		kill "$pid"; wait "$pid" 2>/dev/null
	fi
	mv "$OUT/callgrind.out.$pid" "$OUT/callgrind.$row.$n"
}

# syscalls ROW PORT - strace -c -f of the milter of ROW over the load
syscalls() {
	local row=$1 port=$2 pid
	wait_for 60 queue_empty
	if [ "$row" = eg ]; then
		EG_BIN=$(wrap eg-st strace -D -f -c -o "$OUT/strace.eg" "$EG_BIN") eg_start_detached ||
			{ echo "Bail out! esmtpguard does not start under strace"; exit 1; }
		pid=$EG_PID
	else
		rm -f "$NOOP_SOCK"
		strace -f -c -o "$OUT/strace.noop" "$NOOP_BIN" "unix:$NOOP_SOCK" \
			2>"$T/noop.stderr" &
		pid=$!
		wait_for 30 test -S "$NOOP_SOCK" || { echo "Bail out! noop does not start"; exit 1; }
	fi
	load "$port" || diag "$row: smtp-source failed"
	wait_for 60 queue_empty
	if [ "$row" = eg ]; then
		eg_stop
	else	# strace does not pass SIGTERM on: stop its child, noop
		kill "$(cat "/proc/$pid/task/$pid/children")"
		wait "$pid" 2>/dev/null
	fi
}

# perf_of ROW PORT - perf record (cpu-clock, call graphs) of the milter of
# ROW, attached after its start, over the load; perf.ROW.data
perf_of() {
	local row=$1 port=$2 pid ppid
	wait_for 60 queue_empty
	if [ "$row" = eg ]; then
		eg_start_detached || { echo "Bail out! esmtpguard does not start"; exit 1; }
		pid=$EG_PID
	else
		rm -f "$NOOP_SOCK"
		"$NOOP_BIN" "unix:$NOOP_SOCK" 2>"$T/noop.stderr" &
		pid=$!
		wait_for 30 test -S "$NOOP_SOCK" || { echo "Bail out! noop does not start"; exit 1; }
	fi
	perf record -q -e cpu-clock -F 4000 -g -p "$pid" \
		-o "$OUT/perf.$row.data" 2>>"$T/perf.err" &
	ppid=$!
	perf stat -x, -e task-clock,context-switches,cpu-migrations,page-faults \
		-p "$pid" -o "$OUT/perf.$row.stat" 2>>"$T/perf.err" &
	spid=$!
	sleep 1
	load "$port" || diag "$row: smtp-source failed"
	wait_for 60 queue_empty
	kill -INT "$ppid" "$spid"; wait "$ppid" "$spid" 2>/dev/null
	if [ "$row" = eg ]; then
		eg_stop
	else
		kill "$pid"; wait "$pid" 2>/dev/null
	fi
}

if [ "$PROF_PARTS" = all ] || [ "$PROF_PARTS" = callgrind ]; then
# each milter with N and with 2N messages: the difference is N messages'
# cost, without start-up and shutdown
n2=$((PROF_MSGS * 2))
for row in noop eg; do
	port=2602; [ $row = eg ] && port=$E2E_PORT
	profile $row $port "$PROF_MSGS"
	profile $row $port "$n2"
	ln -sf "callgrind.$row.$n2" "$OUT/callgrind.$row"
done
per_msg() { # ROW
	awk -v a="$(ir_of "$OUT/callgrind.$1.$PROF_MSGS")" \
	    -v b="$(ir_of "$OUT/callgrind.$1.$n2")" -v n="$PROF_MSGS" \
	    'BEGIN { printf "%.0f\n", (b - a) / n }'
}
a=$(per_msg noop) b=$(per_msg eg)
echo "messages: $PROF_MSGS and $n2 x $PROF_SIZE B over $PROF_SESSIONS sessions (one per connection)"
awk -v a="$a" -v b="$b" 'BEGIN {
	printf "Ir per message: noop %.0f, esmtpguard %.0f, ratio %.2f\n", a, b, b / a }'
echo "(the breakdowns below: the $n2-message run divided by $n2, start-up included)"
PROF_MSGS=$n2
# top ROW N INCLUSIVE FILTER - the first N functions, Ir per message
top() {
	callgrind_annotate --inclusive="$3" "$OUT/callgrind.$1" 2>/dev/null |
	awk -v n="$PROF_MSGS" -v max="$2" -v filter="$4" '
		/^ *[0-9][0-9,]* \(/ && !/PROGRAM TOTALS/ && $0 ~ filter {
		v = $1; gsub(",", "", v); f = $0
		sub(/^ *[0-9,]+ \([ 0-9.]+%\) +/, "", f); sub(/ \[.*\]$/, "", f)
		sub(/^.*\//, "", f)
		if (seen[f]++) next
		if (++k > max) exit; printf "%10.0f  %s\n", v / n, f }'
}
echo "esmtpguard, Ir per message, its own functions (inclusive):"
top eg 20 yes 'esmtpguard\]$'
echo "esmtpguard, Ir per message, self cost:"
top eg 15 no .
echo "noop, Ir per message, self cost:"
top noop 8 no .
fi
if [ -n "$HAVE_STRACE" ] && { [ "$PROF_PARTS" = all ] || [ "$PROF_PARTS" = strace ]; }; then
	syscalls noop 2602
	syscalls eg "$E2E_PORT"
	for row in noop eg; do
		echo "$row: system calls per message (strace -c -f):"
		awk -v n="$PROF_MSGS" '$1 ~ /^[0-9.]+$/ && NF >= 5 {
			c = $4; name = $NF; if (c / n >= 0.05)
			printf "  %8.2f %s\n", c / n, name }' "$OUT/strace.$row"
	done
fi
if [ -n "$HAVE_PERF" ] && { [ "$PROF_PARTS" = all ] || [ "$PROF_PARTS" = perf ]; }; then
	perf_of noop 2602
	perf_of eg "$E2E_PORT"
	for row in noop eg; do
		echo "$row: per message (perf stat, software events):"
		awk -F, -v n="$PROF_MSGS" '$1 ~ /^[0-9.]+$/ {
			printf "  %10.2f %s%s\n", $1 / n, $3,
				$3 == "task-clock" ? " (ms)" : "" }' "$OUT/perf.$row.stat"
	done
	# samples at 4 kHz: 0.25 ms of CPU each
	for row in noop eg; do
		echo "$row: CPU ms per 1000 messages (perf, cpu-clock; [k] kernel):"
		perf report -i "$OUT/perf.$row.data" --no-children --sort sym \
			--stdio -g none -F overhead,sample,sym 2>/dev/null |
		sort -t% -k1,1 -gr |
		awk -v n="$PROF_MSGS" '
			/^ *[0-9.]+%/ { ms = $2 * 0.25 * 1000 / n; all += ms
				if ($3 == "[k]") k += ms; else u += ms
				if (++i <= 15) { $1 = ""; $2 = ""
					printf "  %8.1f %s\n", ms, substr($0, 3) } }
			END { printf "  total %.1f: kernel %.1f, user %.1f\n", all, k, u }'
	done
fi
echo "files: $OUT"
