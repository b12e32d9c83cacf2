#!/bin/bash
# milter.sh - the milter alone, through t/bench/mdriver speaking the milter
# protocol straight to the socket (no MTA): RSS and threads with HOLD
# sessions held open after HELO, then messages/s and CPU per message over
# BENCH_SESSIONS sessions, esmtpguard (shipped default policy, SPF off)
# against t/bench/noop. Runs in t/e2e/lib.sh's private namespaces.
#
# Environment: BENCH_HOLD="1 100 1000 5000" BENCH_MDRIVER_MSGS=20000
#	BENCH_SESSIONS=20 BENCH_SIZE=2000
. "$(dirname "$0")/../e2e/lib.sh"

: "${BENCH_HOLD:=1 100 1000 5000}" "${BENCH_MDRIVER_MSGS:=20000}"
: "${BENCH_SESSIONS:=20}" "${BENCH_SIZE:=2000}"
NOOP_BIN=$top_builddir/t/bench/noop
MDRIVER=$top_builddir/t/bench/mdriver
NOOP_SOCK=$T/noop.sock
for b in "$NOOP_BIN" "$MDRIVER"; do
	[ -x "$b" ] || skip_all "$b not built (make bench builds it)"
done
# a thread and a socket per session: room for 5,000 of each
ulimit -n "$(ulimit -Hn)" 2>/dev/null

sed -n '/^sendergroup RELAY_SG/,$p' "$top_srcdir/conf/esmtpguard.conf" |
	sed 's/verify = true/verify = false/' | eg_conf
eg_start || { echo "Bail out! esmtpguard does not start"; exit 1; }
"$NOOP_BIN" "unix:$NOOP_SOCK" 2>"$T/noop.stderr" &
NOOP_PID=$!
wait_for 10 test -S "$NOOP_SOCK" || { echo "Bail out! noop does not start"; exit 1; }
trap 'kill $NOOP_PID 2>/dev/null; e2e_cleanup' EXIT

printf '%-12s %8s %10s %8s %12s %10s %12s\n' filter sessions "RSS KiB" threads \
	"KiB/session" msg/s "CPU us/msg"
for name in noop esmtpguard; do
	if [ $name = noop ]; then s=$NOOP_SOCK p=$NOOP_PID; else s=$SOCK p=$EG_PID; fi
	base=
	for h in $BENCH_HOLD; do
		# the throughput part once, with the smallest hold
		if [ -z "$base" ]; then
			out=$("$MDRIVER" "$s" "$p" "$h" "$BENCH_SESSIONS" \
			      "$BENCH_MDRIVER_MSGS" "$BENCH_SIZE") || diag "$name: mdriver failed"
		else
			out=$("$MDRIVER" "$s" "$p" "$h") || diag "$name: mdriver failed at $h"
		fi
		set -- $out
		rss=${4:-0} thr=${6:-0}
		[ -z "$base" ] && base=$rss
		awk -v n=$name -v h="$h" -v r="$rss" -v t="$thr" -v b="$base" \
		    -v m="${10:-}" -v c="${12:-}" 'BEGIN {
			printf "%-12s %8d %10d %8d %12s %10s %12s\n", n, h, r, t,
			    (h > 1 ? sprintf("%.1f", (r - b) / (h - 1)) : "-"), m, c }'
		sleep 1
	done
done
diag "KiB/session: (RSS with N held - RSS with the first) / (N - 1); it"
diag "includes libmilter's thread per session (stack pages touched, context)"
eg_stop
