"""Named crash points, so tests can kill a sync at the worst moments.

``MISIS_CRASH_AT=push.after_send`` makes the process kill itself with
SIGKILL when it reaches that point, as a power cut would. Unset, each point
costs one dictionary lookup.
"""
from __future__ import annotations

import os
import signal

POINTS = (
    "push.before_send",        # edits queued, nothing sent
    "push.after_send",         # the server committed; its answer not yet recorded
    "push.before_commit",      # answers being written to the cache, not committed
    "pull.after_fetch",        # a page received, nothing written
    "pull.before_commit",      # a page written, cursor not committed
    "bootstrap.mid_load",      # half the snapshot written, not committed
)

_target = os.environ.get("MISIS_CRASH_AT")


def point(name: str) -> None:
    if _target == name:
        os.kill(os.getpid(), signal.SIGKILL)
