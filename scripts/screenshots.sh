#!/usr/bin/env bash
# Screenshots of every window and dialog under Xvfb at 1366x768: bash scripts/screenshots.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=xcb
exec xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/screenshots.py "$@"
