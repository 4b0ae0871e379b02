"""The sync protocol: snapshot, changes after a cursor, pushed mutations."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from district_server.api.deps import CallerDep, CurrentUserDep, EngineDep, SchoolDep, SettingsDep
from district_server.api.guard import MISSING, parsed_json
from district_server.services import access_log, changes, mutations, snapshot_spool
from district_server.services.clock import now_iso
from domain.mutations import MAX_BATCH
from domain.records import Field as RecordField
from domain.values import InvalidValue, check_value

router = APIRouter(prefix="/api/schools/{school_id}", tags=["sync"])

# Sequence numbers are PostgreSQL bigints.
MAX_SEQ = 2**63 - 1


@router.get("/snapshot")
def snapshot(request: Request, engine: EngineDep, settings: SettingsDep, user: CurrentUserDep,
             caller: CallerDep, school_id: SchoolDep) -> StreamingResponse:
    """The whole school, one consistent snapshot, streamed (see
    services/snapshot_spool.py for why the database never waits on the reader)."""
    gate = _gate(request, settings)
    slot = gate.enter(user.id, school_id)
    if slot is None:
        raise HTTPException(429, "This school is already being loaded by other workstations: "
                                 "try again in a minute", headers={"Retry-After": "60"})
    rows: list[int] = []
    stream = snapshot_spool.spooled(
        lambda: changes.snapshot_lines(engine, school_id, on_end=rows.append),
        on_done=lambda _size: access_log.record(engine, caller, "snapshot", school_id=school_id,
                                                records=rows[0] if rows else None),
        on_close=lambda: gate.leave(slot))
    return StreamingResponse(stream, media_type="application/x-ndjson")


def _gate(request: Request, settings) -> snapshot_spool.SnapshotGate:
    state = request.app.state
    if getattr(state, "snapshot_gate", None) is None:
        state.snapshot_gate = snapshot_spool.SnapshotGate(
            per_user=settings.snapshots_per_user, per_school=settings.snapshots_per_school,
            per_process=settings.snapshots_per_process)
    return state.snapshot_gate


@router.get("/changes")
def changes_after(engine: EngineDep, caller: CallerDep, school_id: SchoolDep,
                  after: Annotated[int, Query(ge=0, le=MAX_SEQ)],
                  limit: Annotated[int, Query(ge=1, le=changes.MAX_PAGE)] = 1000) -> dict:
    try:
        page = changes.changes_after(engine, school_id, after, limit)
    except changes.CursorTooOld as exc:
        raise HTTPException(410, {
            "message": "This workstation has been away too long for an update: it will "
                       "reload the school's data and keep its unsent changes",
            "floor": exc.floor}) from None
    if page["changes"]:
        # A page that carried no record read nothing: not worth a row each minute.
        access_log.record(engine, caller, "pull", school_id=school_id,
                          records=len(page["changes"]), detail=f"after {after}")
    return page


class PushResponse(BaseModel):
    results: list[dict]
    server_time: str


# The body is read by the guard, not by a model (one malformed edit must not
# refuse the whole push); described here for readers and API fuzzers.
_PUSH_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["mutations"], "properties": {
        "workstation": {"type": "string", "maxLength": 2000},
        "mutations": {"type": "array", "maxItems": MAX_BATCH, "items": {
            "type": "object", "required": ["mutation_id", "op", "payload"], "properties": {
                "mutation_id": {"type": "string", "format": "uuid"},
                "op": {"type": "string"}, "base_version": {"type": "integer"},
                "payload": {"type": "object"}, "client_time": {"type": "string"},
                "author": {"type": "string"}}}}}}}}}}


@router.post("/mutations", response_model=PushResponse, openapi_extra=_PUSH_BODY)
async def push(request: Request, engine: EngineDep, user: CurrentUserDep, caller: CallerDep,
               school_id: SchoolDep) -> PushResponse:
    # The body was size-checked and parsed by the guard (api/guard.py).
    data = parsed_json(request)
    if data is MISSING:
        raise HTTPException(400, "The request body is not valid JSON: it is empty")
    if not isinstance(data, dict) or not isinstance(data.get("mutations"), list):
        raise HTTPException(422, "The body must be an object with a list 'mutations'")
    if len(data["mutations"]) > MAX_BATCH:
        raise HTTPException(413, f"A push may carry at most {MAX_BATCH} changes, "
                                 f"not {len(data['mutations'])}")
    try:
        workstation = check_value(WORKSTATION, data.get("workstation"))
    except InvalidValue as exc:
        raise HTTPException(422, str(exc)) from None
    others = [m for m in data["mutations"] if isinstance(m, dict)
              and isinstance(m.get("author"), str) and m["author"] != user.username]
    if others:
        # An edit is the work of whoever made it: it goes in their own session.
        raise HTTPException(403, "This push holds changes made by another user; each "
                                 "person's changes are sent when they are signed in")
    try:
        results = await run_in_threadpool(
            mutations.push, engine, user=user, school_id=school_id,
            workstation=workstation or user.workstation, batch=data["mutations"],
            caller=caller)
    except InvalidValue as exc:
        raise HTTPException(422, str(exc)) from None
    return PushResponse(results=results, server_time=now_iso())


WORKSTATION = RecordField("workstation", required=False)


class AccessEvent(BaseModel):
    """A student record opened on a workstation (reported with its sync)."""

    event_id: str = Field(pattern=r"^[0-9a-f-]{36}$")
    at: str = Field(max_length=40, description="when, ISO UTC (the workstation's clock)")
    action: Literal["record_opened"]
    record_kind: Literal["students"]
    record_id: str = Field(min_length=1, max_length=200)


class AccessEvents(BaseModel):
    events: list[AccessEvent] = Field(max_length=500)


class Recorded(BaseModel):
    recorded: int


@router.post("/access-events", response_model=Recorded)
def report_access(body: AccessEvents, engine: EngineDep, caller: CallerDep,
                  school_id: SchoolDep) -> Recorded:
    """Append what the caller opened on their workstation to the access log;
    an event reported twice (an answer lost) is kept once. The row's time is
    the server's (a workstation's clock can't move a row in the log); the
    workstation's own time of the opening is kept in the detail."""
    rows = []
    for e in body.events:
        try:
            when = dt.datetime.fromisoformat(e.at.replace("Z", "+00:00")).astimezone(dt.UTC)
        except (ValueError, OverflowError):
            raise HTTPException(422, f"at must be a time like 2026-12-04T17:05:00Z, "
                                     f"not {e.at!r}") from None
        rows.append(access_log.row(
            caller, e.action, school_id=school_id, event_id=e.event_id,
            detail=f"{e.record_kind} {e.record_id} · workstation time "
                   f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')}"))
    return Recorded(recorded=access_log.record_events(engine, rows))
