#!/usr/bin/env bash
# Regenerate requirements.lock: every package the project installs (client,
# server, tests, and the build tools of the editable install), pinned, with the
# sha256 of every file PyPI has of it. scripts/setup.sh installs from it with
# --require-hashes. Run after changing a requirement in setup.cfg.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TOOLS=$(mktemp -d)
trap 'rm -rf "$TOOLS"' EXIT
python3 -m venv "$TOOLS/venv"
"$TOOLS/venv/bin/pip" install -q uv
printf 'setuptools>=64\nwheel\n' | "$TOOLS/venv/bin/uv" pip compile setup.cfg - \
    --extra server --extra test --generate-hashes --python-version 3.11 \
    --python-platform x86_64-manylinux_2_36 --index-url https://pypi.org/simple \
    --custom-compile-command "bash scripts/lock.sh" --output-file requirements.lock
