#!/usr/bin/env bash
# Set up the machine (scripts/setup.sh), then run the test suite headless.
#
#   bash scripts/test.sh                 # checks, then the whole suite
#   bash scripts/test.sh tests/unit -x   # any pytest arguments pass through (no checks)
#   MISIS_TEST_CLOCKS=1 bash scripts/test.sh   # then once more on a summer day (MISIS_NOW)
#
# With no arguments, `ruff check` and `mypy` run first and stop the run if they fail.
# Exit status is pytest's, except that "no tests collected" (pytest exit 5) is a failure.
# pytest's summary line ("N passed, M skipped in S s") always ends its output: nothing here
# filters it, and -q (which keeps it) is added only when the arguments don't already quieten
# pytest (-qq would hide it). The whole suite on every clock setting: scripts/test-clocks.sh.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TYPED_PACKAGES="domain local_store sync reports widgets district_server ui"

bash scripts/setup.sh

export QT_QPA_PLATFORM=offscreen

# The checks first, when the whole suite runs: lint everywhere, types on the
# workstation's packages (ui/ included) and the server.
if [ "$#" -eq 0 ]; then
    echo "test.sh: ruff check"
    .venv/bin/ruff check .
    echo "test.sh: mypy on $TYPED_PACKAGES"
    # shellcheck disable=SC2086
    .venv/bin/python -m mypy $TYPED_PACKAGES
fi

# A summer day: no term contains it (README, "MISIS_NOW").
SUMMER_DAY=2026-07-15T10:00:00-07:00

quiet=(-q)
for arg in "$@"; do
    case "$arg" in
        -q | -qq* | --quiet) quiet=() ;;
    esac
done

run_pytest() {
    local rc=0
    .venv/bin/python -m pytest "${quiet[@]}" -p no:cacheprovider "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "test.sh: FAILED: pytest collected no tests (exit 5); a test run that tests nothing is an error" >&2
        return 1
    fi
    return "$rc"
}

rc=0
run_pytest "$@" || rc=$?

if [ "${MISIS_TEST_CLOCKS:-}" = 1 ]; then
    echo "test.sh: the suite again with MISIS_NOW=$SUMMER_DAY (a summer day)"
    summer_rc=0
    MISIS_NOW=$SUMMER_DAY run_pytest "$@" || summer_rc=$?
    if [ "$rc" -eq 0 ]; then
        rc=$summer_rc
    fi
fi
exit "$rc"
