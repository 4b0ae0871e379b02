"""MiSiS workstation.

    python main.py                 the workstation's state (the desktop client comes next)
    python main.py sync [options]  sign in if needed and sync once (for scripts and overnight runs)
    python main.py status          server, school, last sync, cursor, pending and conflicted changes
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from sync.cli import main as command_line

    # The desktop window arrives with the next version; until then, the
    # workstation's state is what `python main.py` shows.
    return command_line(argv if argv else ["status"])


if __name__ == "__main__":
    sys.exit(main())
