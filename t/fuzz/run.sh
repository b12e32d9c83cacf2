#!/bin/sh
# run.sh NAME SECONDS SEEDS - run the libFuzzer target t/fuzz/NAME (from
# the build directory) for SECONDS on a scratch corpus t/fuzz/work-NAME,
# seeded from the directory SEEDS; print one line with what it did. A
# crash, a leak, a failed check or an input slower than FUZZ_TIMEOUT
# seconds (default 25) leaves t/fuzz/NAME-crash-* (or -leak-, -timeout-)
# and makes it exit 1 after the tail of the target's log.
t=$1 secs=$2 seeds=$3
work=t/fuzz/work-$t log=t/fuzz/$t.log
rm -rf "$work" && mkdir -p "$work" || exit 1
start=$(date +%s)
if ./t/fuzz/"$t" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-25}" \
	-rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix=t/fuzz/"$t"- \
	"$work" "$seeds" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	echo "$t: ok, $(( $(date +%s) - start )) s, ${runs:-?} runs, ${cov:-cov: ?}," \
		"$(ls "$seeds" | wc -l) seeds, $(ls "$work" | wc -l) new inputs"
else
	tail -n 40 "$log"
	echo "$t: FAILED (log: $log; input: $(ls t/fuzz/"$t"-* 2>/dev/null | tr '\n' ' '))"
	exit 1
fi
