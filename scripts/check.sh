#!/bin/sh
# Runs the Kyua test suite under regress/ and ends with the line
# "N passed, N failed".  Exits non-zero when a test failed or broke.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
results=$(mktemp /tmp/mcgwd-kyua.XXXXXX)
rm -f "$results"
results="$results.db"

cd "$top/regress" || exit 2
kyua test --results-file="$results"
status=$?
kyua report --results-file="$results" --verbose \
    --results-filter=broken,failed >"$results.txt" 2>&1
cat "$results.txt"
summary=$(kyua report --results-file="$results" | grep '^Test cases:')
rm -f "$results" "$results.txt"

# "Test cases: 12 total, 1 skipped, 0 expected failures, 0 broken, 1 failed"
set -- $(echo "$summary" | tr -cs '0-9' ' ')
if [ $# -eq 5 ]; then
	passed=$(($1 - $2 - $4 - $5))
	failed=$(($4 + $5))
	echo "$passed passed, $failed failed, $2 skipped"
else
	echo "0 passed, 1 failed (no kyua summary: $summary)"
	status=1
fi
exit $status
