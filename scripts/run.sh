#!/usr/bin/env bash
# Set up and run MiSiS on this machine: the district server on its embedded
# SQLite database with the demo district, and the desktop client connected to it.
#
#   bash scripts/run.sh            # closing the client stops the server
#
# Sign in as clerk.1004 with the password demo-clerk-2026 (more users in the
# README). MISIS_PORT (default 8470) and MISIS_DATABASE_URL (default: an
# SQLite file under ~/.local/share/misis-server) are honoured.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

PORT="${MISIS_PORT:-8470}"
SERVER="http://127.0.0.1:${PORT}"

echo "Starting the district server on ${SERVER} (the first start builds the demo district)..."
.venv/bin/misis-server serve --demo --port "${PORT}" &
server_pid=$!
trap 'kill "${server_pid}" 2>/dev/null || true; wait "${server_pid}" 2>/dev/null || true' EXIT INT TERM

.venv/bin/python - "${SERVER}" <<'PY'
import sys, time, requests
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    try:
        if requests.get(sys.argv[1] + "/api/health", timeout=2).ok:
            sys.exit(0)
    except requests.RequestException:
        pass
    time.sleep(0.5)
sys.exit("the server did not come up; see the messages above")
PY

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "This machine has no display, so the desktop client can't open here. Syncing a"
    echo "workstation from the command line instead (bash scripts/screenshots.sh shows the client):"
    MISIS_PASSWORD=demo-clerk-2026 .venv/bin/python main.py sync --server "${SERVER}" --user clerk.1004
    MISIS_PASSWORD=demo-clerk-2026 .venv/bin/python main.py status  # the cache is encrypted
    echo
    echo "The district server is running at ${SERVER}. Press Ctrl+C to stop it."
    wait "${server_pid}"
    exit 0
fi
echo
echo "Opening the MiSiS desktop client. Sign in as clerk.1004 / demo-clerk-2026"
echo "(Palisade Ridge High School, 5,000 students). Close the client to stop the server."
.venv/bin/python main.py --server "${SERVER}" --user clerk.1004
