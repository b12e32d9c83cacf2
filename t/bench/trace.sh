#!/bin/bash
# trace.sh - "make bench" for esmtpguard-trace: MB/s on a generated mail
# log (BENCH_TRACE_MB, default 1024) against grep -F (a lower bound: it
# only finds lines) and pflogsumm (the usual Postfix log summariser; the
# Debian package is installed when missing and we are root), on the same
# file, from the page cache; BENCH_TRACE_RUNS (default 3) interleaved
# rounds, medians. Prints a table; never fails on speed.
# "make bench" runs it with $(SHELL): bash is needed (arrays)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}" "${BENCH_TRACE_MB:=1024}" "${BENCH_TRACE_RUNS:=3}"
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

# one KEY NAME CMD... - one run: CPU (user+sys) and wall seconds, peak
# memory, appended to the key's lists. The machine is shared, so MB/s is
# counted on CPU time; wall time is shown.
declare -A CPUS WALLS RSS NAME
KEYS=()
one() {
	local key=$1 name=$2 t0 t1 u s rss
	shift 2
	[ -n "${NAME[$key]:-}" ] || KEYS+=("$key")
	NAME[$key]=$name
	t0=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%U %S %M' -o "$D/time" "$@" >"$D/out" 2>"$D/err"
	else
		"$@" >"$D/out" 2>"$D/err"
		echo "0 0 ?" >"$D/time"
	fi
	t1=$(date +%s.%N)
	read -r u s rss < <(tail -n 1 "$D/time")
	CPUS[$key]+=" $(awk -v u="$u" -v s="$s" 'BEGIN { c = u + s; printf "%.3f", (c > 0 ? c : 0.001) }')"
	WALLS[$key]+=" $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
	RSS[$key]=$rss
}

# median LIST - of numbers
median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 }
		END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
	awk -v a="$(median "${CPUS[$1]}")" -v b="$(median "${CPUS[$2]}")" -v t="$3" \
		'BEGIN { printf "%s: %.1f\n", t, a / b }'
}

# BENCH_TRACE_RUNS rounds, the contenders interleaved in each (A B C A B
# C ...), so that a noisy moment on the shared cores hits all of them;
# the medians are compared
have_pfl=false
command -v pflogsumm >/dev/null 2>&1 && have_pfl=true
for ((r = 1; r <= BENCH_TRACE_RUNS; r++)); do
	one grep "grep -F 'ICID 12345 '" grep -F -c 'ICID 12345 ' "$LOG"
	one ip "esmtpguard-trace --ip ADDR" "$TRACE" --ip 198.51.7.7 "$LOG"
	one tables "esmtpguard-trace --hosts --rejects" "$TRACE" --hosts --rejects "$LOG"
	one esa "esmtpguard-trace --esa" "$TRACE" --esa "$LOG"
	$have_pfl && one pfl "pflogsumm" pflogsumm "$LOG"
done
echo "median of $BENCH_TRACE_RUNS interleaved runs (cpu: all runs)"
for k in "${KEYS[@]}"; do
	awk -v n="${NAME[$k]}" -v c="$(median "${CPUS[$k]}")" -v all="${CPUS[$k]# }" \
	    -v w="$(median "${WALLS[$k]}")" -v r="${RSS[$k]}" -v mb="$mb" \
		'BEGIN { printf "%-36s %8.1f MB/s  cpu %7.2f s  wall %7.2f s  peak %s KB  (%s)\n",
		         n, mb / c, c, w, r, all }'
done
if $have_pfl; then
	ratio pfl tables "pflogsumm CPU / esmtpguard-trace --hosts --rejects CPU"
	ratio pfl ip "pflogsumm CPU / esmtpguard-trace --ip CPU"
else
	echo "pflogsumm: not installed (run as root to compare)"
fi
ratio tables grep "esmtpguard-trace --hosts --rejects CPU / grep -F CPU"
