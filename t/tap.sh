# tap.sh - TAP helpers of the plain sh tests (sourced): result, skip.
# The caller prints the plan "1..$i" at the end and exits with $fail.
i=0
fail=0
# result STATUS DESC [DIAG] - ok when STATUS is 0; DIAG as comments
result() {
	i=$((i + 1))
	if [ "$1" = 0 ]; then
		echo "ok $i - $2"
	else
		echo "not ok $i - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
		fail=1
	fi
}
# skip DESC REASON
skip() { i=$((i + 1)); echo "ok $i - $1 # SKIP $2"; }
