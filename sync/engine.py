"""One sync of a workstation with the district server: push, then pull.

An empty cache is first bootstrapped from a consistent snapshot. A cursor
the server no longer answers leads to a new bootstrap that keeps the
outbox. Every step commits together with its bookkeeping (see
`local_store.store`), so a sync killed at any point resumes without losing
or repeating an edit.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from domain import clock
from local_store.store import LocalStore
from sync import faults
from sync.client import CursorTooOld, ServerClient, ServerUnreachable

log = logging.getLogger(__name__)

PUSH_BATCH = 200
PAGE_SIZE = 1000
ACCESS_BATCH = 500


class Cancelled(Exception):
    """The person cancelled; what was committed stays, nothing is half-written."""


@dataclass
class SyncReport:
    bootstrapped: bool = False
    pushed: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    cursor: int | None = None
    clock_skew_s: float = 0.0
    rejections: list[str] = field(default_factory=list)


Progress = Callable[[str, int, int], None]  # (what, done, total or 0)


def _utc_now() -> dt.datetime:
    return clock.now_utc()


def _now_iso() -> str:
    return _utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


class SyncEngine:
    def __init__(self, store: LocalStore, client: ServerClient, school_id: str, *,
                 progress: Progress | None = None,
                 is_cancelled: Callable[[], bool] | None = None,
                 push_batch: int = PUSH_BATCH, page_size: int = PAGE_SIZE,
                 author: str | None = None):
        self.store = store
        self.client = client
        self.school_id = school_id
        # The signed-in user: only their edits go in their session; another
        # user's wait in the outbox for that user's next sign-in.
        self.author = author
        self._progress = progress or (lambda what, done, total: None)
        self._is_cancelled = is_cancelled or (lambda: False)
        self.push_batch = push_batch
        self.page_size = page_size

    def _check_cancel(self) -> None:
        if self._is_cancelled():
            raise Cancelled("sync cancelled")

    def sync(self) -> SyncReport:
        report = SyncReport()
        if self.store.cursor is None:
            self.bootstrap(report)
        self.push(report)
        self.report_access()
        try:
            self.pull(report)
        except CursorTooOld:
            log.warning("cursor too old for the server: reloading the school, keeping the outbox")
            self.bootstrap(report)
            self.push(report)
            self.pull(report)
        report.cursor = self.store.cursor
        self.store.put(last_sync_at=_now_iso(), last_sync_error=None,
                       clock_skew_s=round(report.clock_skew_s))
        return report

    # --- bootstrap

    def bootstrap(self, report: SyncReport) -> None:
        self._progress("Asking the server for the school's data", 0, 0)
        stream = self.client.snapshot(self.school_id)
        header = next(stream)
        seq = int(header["seq"])
        self._note_clock(header.get("server_time"), report)
        end: dict = {}

        def chunks() -> Iterator[tuple[str, list[str], list[list]]]:
            for number, obj in enumerate(stream):
                if obj.get("end"):
                    end.update(obj)
                    return
                self._check_cancel()
                yield obj["kind"], obj["columns"], obj["rows"]
                if number == 3:
                    faults.point("bootstrap.mid_load")

        expected = int(header.get("rows") or 0)

        def on_rows(kind: str, done: int) -> None:
            self._progress(f"Loading {kind.replace('_', ' ')}", done, expected)

        loaded = self.store.load_snapshot(seq, _checked(chunks(), end), school_id=self.school_id,
                                          on_rows=on_rows).written
        if header.get("school"):
            self.store.put(school_name=header["school"]["name"],
                           school_level=header["school"]["level"])
        report.bootstrapped = True
        report.pulled += loaded
        log.info("bootstrap: %d records at sequence %d", loaded, seq)

    # --- push

    def push(self, report: SyncReport) -> None:
        while True:
            self._check_cancel()
            entries = self.store.pending(limit=self.push_batch, author=self.author)
            if not entries:
                return
            self._progress("Sending changes", report.pushed, 0)
            mutations = [{"mutation_id": e["mutation_id"], "op": e["op"],
                          "base_version": e["base_version"], "payload": e["payload"],
                          "client_time": e["created_at"],
                          **({"author": e["created_by"]} if e["created_by"] else {})}
                         for e in entries]
            faults.point("push.before_send")
            self.store.count_attempt([e["mutation_id"] for e in entries])
            answer = self.client.push(self.school_id, mutations)
            faults.point("push.after_send")
            results = answer["results"]
            self._note_clock(answer.get("server_time"), report)
            self.store.record_answers(results, answered_at=_now_iso(),
                                      before_commit=lambda: faults.point("push.before_commit"))
            report.pushed += len(results)
            for r in results:
                if r["status"] == "applied":
                    report.applied += 1
                elif r["status"] == "conflict":
                    report.conflicts += 1
                else:
                    report.rejected += 1
                    report.rejections.append(r.get("reason", ""))

    # --- the student records opened here, for the server's access log

    def report_access(self) -> None:
        while self.author:
            events = self.store.access_events(self.author, limit=ACCESS_BATCH)
            if not events:
                return
            self.client.report_access(self.school_id, [
                {k: e[k] for k in ("event_id", "at", "action", "record_kind", "record_id")}
                for e in events])
            self.store.forget_access_events([e["event_id"] for e in events])

    # --- pull

    def pull(self, report: SyncReport) -> None:
        while True:
            self._check_cancel()
            after = self.store.cursor or 0
            page = self.client.changes(self.school_id, after, self.page_size)
            faults.point("pull.after_fetch")
            self._note_clock(page.get("server_time"), report)
            report.pulled += self.store.apply_changes(
                page["changes"], page["cursor"],
                before_commit=lambda: faults.point("pull.before_commit")).written
            self._progress("Receiving changes", page["cursor"], page["server_seq"])
            if not page["more"]:
                return

    def _note_clock(self, server_time: str | None, report: SyncReport) -> None:
        if not server_time:
            return
        server = dt.datetime.fromisoformat(server_time.replace("Z", "+00:00"))
        report.clock_skew_s = (_utc_now() - server).total_seconds()


def _checked(chunks: Iterator, end: dict) -> Iterator:
    """Pass chunks through, then insist the stream ended with its end line
    and the row count it announced, so a cut snapshot is never committed."""
    count = 0
    for kind, columns, rows in chunks:
        count += len(rows)
        yield kind, columns, rows
    if not end:
        raise ServerUnreachable("The school's data stopped arriving halfway; nothing was "
                                "changed, try again")
    if end.get("rows") != count:
        raise ServerUnreachable(f"The school's data arrived incomplete ({count} of "
                                f"{end.get('rows')} records); nothing was changed, try again")
