#!/bin/bash
# trace.sh - "make bench" for esmtpguard-trace: MB/s on a generated mail
# log (BENCH_TRACE_MB, default 1024) against grep -F (a lower bound: it
# only finds lines) and pflogsumm (the usual Postfix log summariser; the
# Debian package is installed when missing and we are root), on the same
# file, from the page cache. Prints a table; never fails on speed.
# "make bench" runs it with $(SHELL): bash is needed (arrays)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${BENCH_TRACE_MB:=1024}"
TRACE=$top_builddir/src/esmtpguard-trace
GEN=$top_builddir/t/bench/tracegen
for f in "$TRACE" "$GEN"; do
	[ -x "$f" ] || { echo "trace bench: $f not built"; exit 1; }
done

if ! command -v pflogsumm >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	echo "trace bench: installing pflogsumm (Debian package, for this comparison only)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		pflogsumm >/dev/null 2>&1 || echo "trace bench: pflogsumm could not be installed"
fi

D=$(mktemp -d "${TMPDIR:-/tmp}/esmtpguard-bench.XXXXXX")
trap 'rm -rf "$D"' EXIT
LOG=$D/mail.log
"$GEN" "$BENCH_TRACE_MB" >"$LOG" || exit 1
bytes=$(stat -c %s "$LOG")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
cat "$LOG" >/dev/null		# into the page cache, for every contender alike
echo "trace bench: $mb MB, $(wc -l <"$LOG") lines of esmtpguard and Postfix (t/bench/tracegen)"

# run KEY NAME CMD... - CPU (user+sys) and wall seconds, peak memory. The
# machine is shared, so MB/s is counted on CPU time; wall time is shown.
declare -A CPU
run() {
	local key=$1 name=$2 t0 t1 u s rss w
	shift 2
	t0=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%U %S %M' -o "$D/time" "$@" >"$D/out" 2>"$D/err"
	else
		"$@" >"$D/out" 2>"$D/err"
		echo "0 0 ?" >"$D/time"
	fi
	t1=$(date +%s.%N)
	read -r u s rss < <(tail -n 1 "$D/time")
	w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	CPU[$key]=$(awk -v u="$u" -v s="$s" 'BEGIN { c = u + s; printf "%.3f", (c > 0 ? c : 0.001) }')
	awk -v n="$name" -v c="${CPU[$key]}" -v w="$w" -v r="$rss" -v mb="$mb" \
		'BEGIN { printf "%-36s %8.1f MB/s  cpu %7.2f s  wall %7.2f s  peak %s KB\n",
		         n, mb / c, c, w, r }'
}

ratio() {
	awk -v a="${CPU[$1]}" -v b="${CPU[$2]}" -v t="$3" 'BEGIN { printf "%s: %.1f\n", t, a / b }'
}

run grep "grep -F 'ICID 12345 '" grep -F -c 'ICID 12345 ' "$LOG"
run ip "esmtpguard-trace --ip ADDR" "$TRACE" --ip 198.51.7.7 "$LOG"
run tables "esmtpguard-trace --hosts --rejects" "$TRACE" --hosts --rejects "$LOG"
run esa "esmtpguard-trace --esa" "$TRACE" --esa "$LOG"
if command -v pflogsumm >/dev/null 2>&1; then
	run pfl "pflogsumm" pflogsumm "$LOG"
	ratio pfl tables "pflogsumm CPU / esmtpguard-trace --hosts --rejects CPU"
else
	echo "pflogsumm: not installed (run as root to compare)"
fi
ratio tables grep "esmtpguard-trace --hosts --rejects CPU / grep -F CPU"
