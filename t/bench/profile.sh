#!/bin/bash
# shellcheck disable=SC2034 # E2E_KEEP is read by lib.sh
# profile.sh - where esmtpguard's CPU goes per message, against the no-op
# filter, with deterministic counts: both milters run under valgrind
# --tool=callgrind behind the private Postfix of t/bench/e2e.sh while
# smtp-source sends PROF_MSGS messages; the counters are zeroed once the
# milter is up and dumped when the load is done, so start-up and shutdown
# are not counted. Also the system calls per message (strace -c -f), which
# callgrind does not see.
#
# Environment: PROF_MSGS=400 PROF_SIZE=2000 PROF_SESSIONS=5
#	PROF_OUT=directory for callgrind.out.* and strace summaries
#	(default: kept in the test directory, printed at the end)
# esmtpguard runs detached, as the systemd unit runs it (not -f).
# Output: instructions (Ir) per message for noop and esmtpguard, their
# ratio, the top functions of esmtpguard (inclusive) and the system calls
# per message of each.
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

# callgrind NAME - Ir of the load for the milter started as NAME
ir_of() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'; }

# profile ROW PORT - the milter of ROW (eg or noop) under callgrind
profile() {
	local row=$1 port=$2 pid f
	wait_for 60 queue_empty
	if [ "$row" = eg ]; then
		EG_BIN=$(wrap eg valgrind "${cg_opts[@]}" "$EG_BIN") eg_start_detached ||
			{ echo "Bail out! esmtpguard does not start under valgrind"; exit 1; }
		pid=$EG_PID
	else
		rm -f "$NOOP_SOCK"
		valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.%p" \
			"$NOOP_BIN" "unix:$NOOP_SOCK" 2>"$T/noop.stderr" &
		pid=$!
		wait_for 30 test -S "$NOOP_SOCK" || { echo "Bail out! noop does not start"; exit 1; }
	fi
	sleep 1
	callgrind_control -z "$pid" >/dev/null
	load "$port" || diag "$row: smtp-source failed"
	wait_for 60 queue_empty
	callgrind_control -d "$row" "$pid" >/dev/null
	f=$(ls -t "$OUT"/callgrind.out.$pid.* 2>/dev/null | head -1)
	cp "$f" "$OUT/callgrind.$row"
	if [ "$row" = eg ]; then
		eg_stop
	else
		kill "$pid"; wait "$pid" 2>/dev/null
	fi
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

if [ "$PROF_PARTS" != strace ]; then
profile noop 2602
profile eg "$E2E_PORT"
a=$(ir_of "$OUT/callgrind.noop") b=$(ir_of "$OUT/callgrind.eg")
echo "messages: $PROF_MSGS x $PROF_SIZE B over $PROF_SESSIONS sessions (one per connection)"
awk -v a="$a" -v b="$b" -v n="$PROF_MSGS" 'BEGIN {
	printf "Ir per message: noop %.0f, esmtpguard %.0f, ratio %.2f\n", a / n, b / n, b / a }'
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
if [ -n "$HAVE_STRACE" ] && [ "$PROF_PARTS" != callgrind ]; then
	syscalls noop 2602
	syscalls eg "$E2E_PORT"
	for row in noop eg; do
		echo "$row: system calls per message (strace -c -f):"
		awk -v n="$PROF_MSGS" '$1 ~ /^[0-9.]+$/ && NF >= 5 {
			c = $4; name = $NF; if (c / n >= 0.05)
			printf "  %8.2f %s\n", c / n, name }' "$OUT/strace.$row"
	done
fi
echo "files: $OUT"
