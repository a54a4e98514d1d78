#!/bin/sh
# Runs the Kyua test suite under regress/ and ends with the line
# "N passed, N failed".  Exits non-zero when a test failed or broke.
# The results stay in build/kyua-results.db for kyua report.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/build"
results="$top/build/kyua-results.db"
rm -f "$results"

cd "$top/regress" || exit 2
kyua test --results-file="$results"
status=$?
if [ $status -ne 0 ]; then
	kyua report --results-file="$results" --verbose \
	    --results-filter=broken,failed
fi
summary=$(kyua report --results-file="$results" | grep '^Test cases:')

# "Test cases: 12 total, 1 skipped, 0 expected failures, 0 broken, 1 failed"
set -- $(echo "$summary" | tr -cs '0-9' ' ')
if [ $# -eq 5 ]; then
	passed=$(($1 - $2 - $4 - $5))
	failed=$(($4 + $5))
	echo "$2 skipped"
	echo "$passed passed, $failed failed"
else
	echo "no kyua summary: $summary"
	echo "0 passed, 1 failed"
	status=1
fi
exit $status
