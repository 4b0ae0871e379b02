#!/usr/bin/env bash
# The test suite once per clock setting (MISIS_NOW, see README): it must pass on
# any day at any hour. Each run goes through scripts/test.sh; pytest arguments pass
# through:
#
#   bash scripts/test-clocks.sh                 # the whole suite, five times
#   bash scripts/test-clocks.sh tests/unit -x
#
# Runs every setting even after a failure, prints one line per setting, and
# exits 1 if any run failed.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# name|MISIS_NOW ("" is the machine's own clock)
SETTINGS=(
    "the machine's clock|"
    "a summer day (no term)|2026-07-15T10:00:00-07:00"
    "the first week of a term (no marking period ended)|2026-08-12T10:15:00-07:00"
    "a school day's late afternoon|2026-12-04T16:40:00-08:00"
    "a school day's evening (the next day in UTC)|2026-12-04T21:30:00-08:00"
)

results=()
failed=0
for setting in "${SETTINGS[@]}"; do
    name=${setting%%|*}
    now=${setting#*|}
    echo "test-clocks.sh: $name${now:+ (MISIS_NOW=$now)}"
    started=$SECONDS
    rc=0
    if [ -n "$now" ]; then
        env -u MISIS_TEST_CLOCKS MISIS_NOW="$now" bash scripts/test.sh "$@" || rc=$?
    else
        env -u MISIS_TEST_CLOCKS -u MISIS_NOW bash scripts/test.sh "$@" || rc=$?
    fi
    if [ "$rc" -ne 0 ]; then
        failed=1
    fi
    results+=("$(printf '%-10s %5ss  %s' "$([ "$rc" -eq 0 ] && echo passed || echo "FAILED($rc)")" \
        "$((SECONDS - started))" "$name${now:+ (MISIS_NOW=$now)}")")
done

echo "test-clocks.sh: summary"
printf '  %s\n' "${results[@]}"
exit "$failed"
