#!/bin/sh
# Runs each libFuzzer target for a set time: `make fuzz FUZZ_SECONDS=N`.
# New corpus entries go to build/fuzz/scratch/TARGET, never into the
# tree; crash inputs go to build/fuzz/crashes/.  Copy a crash input to
# fuzz/regressions/TARGET/ once it is fixed, so that `make check`
# replays it.  Usage: run.sh SECONDS TARGET...
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
seconds=$1
shift
fb="$top/build/fuzz"
mkdir -p "$fb/crashes"
status=0

for t in "$@"; do
	scratch="$fb/scratch/$t"
	log="$fb/$t.log"
	mkdir -p "$scratch"
	dict=
	[ -f "$top/fuzz/$t.dict" ] && dict="-dict=$top/fuzz/$t.dict"
	regs=
	[ -d "$top/fuzz/regressions/$t" ] && regs="$top/fuzz/regressions/$t"
	echo "== $t: $seconds s"
	"$fb/$t" -max_total_time="$seconds" -rss_limit_mb=2048 \
	    -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$fb/crashes/$t-" $dict \
	    "$scratch" "$top/fuzz/corpus/$t" $regs >"$log" 2>&1
	rv=$?
	# The last status line, then the totals of -print_final_stats.
	grep -E '^#[0-9]+' "$log" | tail -n 1
	grep -E 'stat::(number_of_executed_units|new_units_added)' "$log"
	if [ $rv -ne 0 ]; then
		echo "$t: exit $rv, see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix)' "$log"
		grep -E 'Test unit written' "$log"
		status=1
	fi
done
exit $status
