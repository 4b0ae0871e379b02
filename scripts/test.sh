#!/usr/bin/env bash
# Set up the machine (scripts/setup.sh), then run the test suite headless.
#
#   bash scripts/test.sh                 # whole suite
#   bash scripts/test.sh tests/unit -x   # any pytest arguments pass through
#
# With no arguments, `ruff check` and `mypy` run first and stop the run if they fail.
# Exit status is pytest's, except that "no tests collected" (pytest exit 5) is a failure.
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

rc=0
.venv/bin/python -m pytest -q -p no:cacheprovider "$@" || rc=$?

if [ "$rc" -eq 5 ]; then
    echo "test.sh: FAILED: pytest collected no tests (exit 5); a test run that tests nothing is an error" >&2
    exit 1
fi
exit "$rc"
