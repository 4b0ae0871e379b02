"""Help → About: what this MiSiS is, and the versions a help ticket asks for."""
from __future__ import annotations

import html
import platform
import sys

import PySide6
from PySide6.QtCore import qVersion

from sync.diagnostics import misis_version

DESCRIPTION = ("An offline-first student information system for school front offices, "
               "working from this workstation's copy of the school and syncing with the "
               "district server.")


def toolkit_versions() -> dict[str, str]:
    """The GUI toolkit's versions, which the Qt-free diagnostics can't ask for."""
    return {"Qt": qVersion(), "PySide6": PySide6.__version__}


def about_text() -> str:
    """Rich text for the About box."""
    rows = {"Python": f"{platform.python_version()} ({sys.platform})", **toolkit_versions()}
    table = "".join(f"<tr><td>{html.escape(name)}&nbsp;&nbsp;</td>"
                    f"<td>{html.escape(value)}</td></tr>" for name, value in rows.items())
    return (f"<h3>MiSiS {html.escape(misis_version())}</h3>"
            f"<p>{html.escape(DESCRIPTION)}</p>"
            f"<table>{table}</table>"
            f"<p><i>All student data in the demo is synthetic.</i></p>")
