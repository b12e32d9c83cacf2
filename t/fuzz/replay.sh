#!/bin/sh
# replay.sh - "make check": every fuzz target, built without libFuzzer
# (t/fuzz/replay_NAME), runs once over each file of its seed corpus
# t/fuzz/corpus/NAME, which holds the inputs of the bugs fuzzing found.
# TAP: one test per file; a target that aborts fails the rest of its
# corpus as one test.
: "${top_srcdir:=.}" "${top_builddir:=.}"
n=0
for prog in "$top_builddir"/t/fuzz/replay_fuzz_*; do
	name=${prog##*/replay_}
	case $name in *.*) continue ;; esac	# objects of an in-tree build
	[ -x "$prog" ] || continue
	out=$("$prog" "$top_srcdir/t/fuzz/corpus/$name" 2>&1)
	rc=$?
	k=$(printf '%s\n' "$out" | grep -c '^ok ')
	printf '%s\n' "$out" | sed -n "s|^ok [0-9]* - .*/corpus/|ok - |p"
	n=$((n + k))
	if [ "$rc" -ne 0 ]; then
		n=$((n + 1))
		echo "not ok - $name: exit $rc after $k inputs"
		printf '%s\n' "$out" | grep -v '^ok ' | sed 's/^/# /' | head -n 30
	fi
done
[ "$n" -gt 0 ] || { echo "not ok - no replay_fuzz_* programs in $top_builddir/t/fuzz"; n=1; }
echo "1..$n"
