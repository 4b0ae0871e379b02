#!/usr/bin/env bash
# Idempotent setup of a (Debian) machine for MiSiS development and CI.
#
#   * system packages for headless Qt, PDF checks and Xvfb (root only; else a hint)
#   * .venv with Python >= 3.11
#   * the exact versions of requirements.lock, each file checked against its sha256
#     (pip --require-hashes), then the project itself, editable, without dependencies;
#     skipped while .venv/.installed-<sha1 of setup.cfg and requirements.lock> exists
#
# Quiet: prints errors and a one-line summary. A warm run is offline and takes well under a second.
# Set MISIS_SETUP_VERBOSE=1 to see the full apt/pip output.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)
START_NS=$(date +%s%N)

SYSTEM_PACKAGES=(
    libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3
    fonts-dejavu-core poppler-utils xvfb
    # Qt's X11 platform, for real windows under Xvfb (scripts/screenshots.sh)
    libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
    libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0
)
VENV=.venv
VERBOSE=${MISIS_SETUP_VERBOSE:-0}

LOG=$(mktemp "${TMPDIR:-/tmp}/misis-setup.XXXXXX.log")
trap 'rm -f "$LOG"' EXIT

err() { printf 'setup.sh: %s\n' "$*" >&2; }

# Run a command quietly; on failure show its output and return its status.
quiet() {
    if [ "$VERBOSE" = 1 ]; then
        "$@"
        return
    fi
    local rc=0
    "$@" >"$LOG" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        err "command failed (exit $rc): $*"
        tail -n 60 "$LOG" >&2
    fi
    return "$rc"
}

# Serialise concurrent runs (two test runs at once must not both pip install / apt-get).
LOCK_FILE="${TMPDIR:-/tmp}/misis-setup-$(printf '%s' "$REPO_ROOT" | sha1sum | cut -c1-12).lock"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK_FILE"
    flock 9
fi

# --- 1. system packages ----------------------------------------------------------------------
system_note="system packages ok"
if command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        [ "$status" = "install ok installed" ] || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" -eq 0 ]; then
            export DEBIAN_FRONTEND=noninteractive
            if quiet apt-get update -qq \
                && quiet apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
                system_note="installed ${missing[*]}"
            else
                err "could not install system packages: ${missing[*]} (continuing)"
                system_note="MISSING ${missing[*]}"
            fi
        else
            err "missing system packages (not root, not installing): ${missing[*]}"
            err "  run: sudo apt-get install -y --no-install-recommends ${missing[*]}"
            system_note="MISSING ${missing[*]}"
        fi
    fi
else
    system_note="no dpkg, system packages not checked"
fi

# --- 2. virtualenv ---------------------------------------------------------------------------
pick_python() {
    local candidate
    for candidate in "${MISIS_PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

venv_ok() {
    [ -x "$VENV/bin/python" ] \
        && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

venv_note="venv ok"
if ! venv_ok; then
    if ! PYTHON=$(pick_python); then
        err "need Python >= 3.11 (python3.11 or python3) to create $VENV"
        exit 1
    fi
    if [ -e "$VENV" ]; then
        err "$VENV is broken or too old; recreating it"
        rm -rf "$VENV"
    fi
    if ! quiet "$PYTHON" -m venv "$VENV"; then
        err "could not create $VENV with $PYTHON (on Debian: apt-get install python3-venv)"
        exit 1
    fi
    venv_note="venv created"
fi
PY_VERSION=$("$VENV/bin/python" -c 'import platform; print(platform.python_version())')

# --- 3. project + extras: the locked versions, hash-checked --------------------------------
# requirements.lock pins every package (client, server, tests, build tools) with the
# sha256 of its files; regenerate it with scripts/lock.sh after changing setup.cfg.
CFG_SHA=$(cat setup.cfg requirements.lock | sha1sum | cut -d' ' -f1)
STAMP="$VENV/.installed-$CFG_SHA"
deps_note="deps up to date"
if [ ! -e "$STAMP" ]; then
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    if ! quiet "$VENV/bin/python" -m pip install -q --require-hashes --no-deps \
            -r requirements.lock; then
        err "installing requirements.lock failed (see above); if setup.cfg changed, run "
        err "  bash scripts/lock.sh"
        exit 1
    fi
    if ! quiet "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .; then
        err "pip install -e . failed (see above)"
        exit 1
    fi
    rm -f "$VENV"/.installed-*
    : >"$STAMP"
    deps_note="deps installed"
fi

ELAPSED_MS=$((($(date +%s%N) - START_NS) / 1000000))
echo "setup.sh: python $PY_VERSION; $venv_note; $deps_note; $system_note ($((ELAPSED_MS / 1000)).$(printf '%03d' $((ELAPSED_MS % 1000)))s)"
