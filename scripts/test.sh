#!/usr/bin/env bash
# Set up the machine (scripts/setup.sh), then run the test suite headless.
#
#   bash scripts/test.sh                 # whole suite
#   bash scripts/test.sh tests/unit -x   # any pytest arguments pass through
#
# Exit status is pytest's, except that "no tests collected" (pytest exit 5) is a failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

export QT_QPA_PLATFORM=offscreen

rc=0
.venv/bin/python -m pytest -q -p no:cacheprovider "$@" || rc=$?

if [ "$rc" -eq 5 ]; then
    echo "test.sh: FAILED: pytest collected no tests (exit 5); a test run that tests nothing is an error" >&2
    exit 1
fi
exit "$rc"
