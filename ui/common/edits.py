"""How screens save an edit: here in ui/, since only screens queue mutations (widgets/ never do).

`queue_edit(op, payload)` is the main window's method: it returns the edit's
mutation id, or None when it was not saved (and has already said why).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

QueueEdit = Callable[[str, dict[str, Any]], "str | None"]
