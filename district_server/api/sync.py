"""The sync protocol: snapshot, changes after a cursor, pushed mutations."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from district_server.api.deps import CallerDep, CurrentUserDep, EngineDep, SchoolDep, SettingsDep
from district_server.api.guard import MISSING, parsed_json
from district_server.services import access_log, changes, mutations, snapshot_spool
from district_server.services.clock import now_iso
from domain.mutations import MAX_BATCH
from domain.records import Field
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


@router.post("/mutations", response_model=PushResponse)
async def push(request: Request, engine: EngineDep, user: CurrentUserDep,
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
    try:
        results = await run_in_threadpool(
            mutations.push, engine, user=user, school_id=school_id,
            workstation=workstation or user.workstation, batch=data["mutations"])
    except InvalidValue as exc:
        raise HTTPException(422, str(exc)) from None
    return PushResponse(results=results, server_time=now_iso())


WORKSTATION = Field("workstation", required=False)
