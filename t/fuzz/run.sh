#!/bin/sh
# run.sh NAME SECONDS SEEDS [SEED] - run the libFuzzer target t/fuzz/NAME
# (from the build directory) for SECONDS on a scratch corpus
# t/fuzz/work-NAME, seeded from the directory SEEDS, with libFuzzer's
# random seed SEED (0 or none: libFuzzer draws one); print one line with
# what it did and the seed, which with the same corpus and binary repeats
# the run (./t/fuzz/NAME -seed=N ...). A
# crash, a leak, a failed check or an input slower than FUZZ_TIMEOUT
# seconds (default 25) leaves t/fuzz/NAME-crash-* (or -leak-, -timeout-)
# and makes it exit 1 after the tail of the target's log.
t=$1 secs=$2 seeds=$3 seed=${4:-0}
work=t/fuzz/work-$t log=t/fuzz/$t.log
rm -rf "$work" && mkdir -p "$work" || exit 1
# drawn - the seed libFuzzer used (it logs a drawn one too)
drawn() { sed -n 's/^INFO: Seed: //p' "$log" | head -n 1; }
# A seed alone does not repeat a run: libFuzzer's comparison tracing puts
# the values compared into its dictionary, stack and heap addresses among
# them (which differ with the checkout's path and the order a directory is
# read in), and it rereads the corpus on a timer. With a seed given, the
# target runs without that dictionary (-use_cmp=0), without address
# randomisation, in a fixed environment and without the timed reload:
# then the same sources make the same inputs in any checkout (tried: two
# clones, ten thousands of runs, the same corpus to the byte). Exploring
# (seed 0) keeps the comparisons, which find string literals faster.
if [ "$seed" != 0 ] && setarch "$(uname -m)" -R true 2>/dev/null; then
	set -- env -i PATH=/usr/bin:/bin setarch "$(uname -m)" -R ./t/fuzz/"$t" \
		-reload=0 -use_cmp=0
else
	set -- ./t/fuzz/"$t"
fi
start=$(date +%s)
if "$@" -seed="$seed" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-25}" \
	-rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix=t/fuzz/"$t"- \
	"$work" "$seeds" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	echo "$t: ok, $(( $(date +%s) - start )) s, ${runs:-?} runs, ${cov:-cov: ?}," \
		"$(ls "$seeds" | wc -l) seeds, $(ls "$work" | wc -l) new inputs, seed $(drawn)"
else
	tail -n 40 "$log"
	echo "$t: FAILED (seed $(drawn); log: $log; input: $(ls t/fuzz/"$t"-* 2>/dev/null | tr '\n' ' '))"
	exit 1
fi
