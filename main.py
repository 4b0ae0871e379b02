"""MiSiS workstation.

    python main.py [--data DIR] [--server URL]   open the desktop client
    python main.py sync [options]    sign in if needed and sync once (scripts, overnight runs)
    python main.py status            server, school, last sync, cursor, pending and conflicts
"""
from __future__ import annotations

import sys

COMMANDS = ("sync", "status")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(a in COMMANDS for a in argv) or "-h" in argv or "--help" in argv:
        from sync.cli import main as command_line
        return command_line(argv)
    from ui.app import run
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
