"""Many workstations pushing at once while another pulls: no pull skips a row.

A cursor is only safe if commit order equals sequence order. Pushers run in
threads against the real server while a puller keeps pulling; a row
committed behind a cursor the puller had already passed would be missing
from its cache at the end.
"""
from __future__ import annotations

import threading

from sync.engine import SyncEngine, SyncReport
from tests.integration.helpers import a_student_in_a_section, mark_payload, school_day, server_dump

PUSHERS = 4
EDITS_EACH = 40


def test_concurrent_pushes_never_make_a_pull_skip_a_row(server, workstation, school):
    clerk = f"clerk.{school.code}"
    reader = workstation("reader", clerk)
    reader_store = reader.open_store()
    reader.sync(reader_store)
    day = school_day(reader_store)
    pushers = []
    for n in range(PUSHERS):
        ws = workstation(f"pusher{n}", clerk)
        store = ws.open_store()
        ws.sync(store)
        for i in range(EDITS_EACH):
            student, section = a_student_in_a_section(store, (n * EDITS_EACH + i) % 500)
            code = ("A", "E", "T", "L")[(n + i) % 4]
            ws.edit(store, "attendance.mark", mark_payload(student, section, day, code))
        pushers.append((ws, store))

    errors: list[BaseException] = []

    def push(ws, store):
        try:
            client = ws.client()
            engine = SyncEngine(store, client, school.id, push_batch=3)
            engine.push(SyncReport())
            client.close()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=push, args=p) for p in pushers]
    for t in threads:
        t.start()
    client = reader.client()
    # Pages fetched while the pushes go on: one pull() may page through all
    # of them (it goes on while there is more), so count pages, not pulls.
    pages_during_pushes = 0
    fetch = client.changes

    def counted_fetch(*args, **kwargs):
        nonlocal pages_during_pushes
        pages_during_pushes += any(t.is_alive() for t in threads)
        return fetch(*args, **kwargs)
    client.changes = counted_fetch
    puller = SyncEngine(reader_store, client, school.id, page_size=7)
    while any(t.is_alive() for t in threads):
        puller.pull(SyncReport())
    for t in threads:
        t.join()
    puller.pull(SyncReport())

    assert not errors, errors
    assert pages_during_pushes > 1
    assert all(store.outbox_counts()["pending"] == 0 for _, store in pushers)
    assert reader_store.dump() == server_dump(server.engine, school.id)
