"""The sync protocol: snapshot, changes after a cursor, pushed mutations."""
from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from district_server.api.deps import CurrentUserDep, EngineDep, SchoolDep, SettingsDep
from district_server.services import changes, mutations
from district_server.services.clock import now_iso
from domain.mutations import MAX_BATCH
from domain.values import InvalidValue

router = APIRouter(prefix="/api/schools/{school_id}", tags=["sync"])


@router.get("/snapshot")
def snapshot(engine: EngineDep, _user: CurrentUserDep, school_id: SchoolDep) -> StreamingResponse:
    return StreamingResponse(changes.snapshot_lines(engine, school_id),
                             media_type="application/x-ndjson")


@router.get("/changes")
def changes_after(engine: EngineDep, _user: CurrentUserDep, school_id: SchoolDep,
                  after: Annotated[int, Query(ge=0)],
                  limit: Annotated[int, Query(ge=1, le=changes.MAX_PAGE)] = 1000) -> dict:
    try:
        return changes.changes_after(engine, school_id, after, limit)
    except changes.CursorTooOld as exc:
        raise HTTPException(410, {
            "message": "This workstation has been away too long for an update: it will "
                       "reload the school's data and keep its unsent changes",
            "floor": exc.floor}) from None


class PushResponse(BaseModel):
    results: list[dict]
    server_time: str


@router.post("/mutations", response_model=PushResponse)
async def push(request: Request, engine: EngineDep, settings: SettingsDep,
               user: CurrentUserDep, school_id: SchoolDep) -> PushResponse:
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        raise HTTPException(413, f"A push may be at most {settings.max_body_bytes} bytes; "
                                 f"send fewer changes at a time")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"The request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("mutations"), list):
        raise HTTPException(422, "The body must be an object with a list 'mutations'")
    if len(data["mutations"]) > MAX_BATCH:
        raise HTTPException(413, f"A push may carry at most {MAX_BATCH} changes, "
                                 f"not {len(data['mutations'])}")
    workstation = data.get("workstation")
    if workstation is not None and not isinstance(workstation, str):
        raise HTTPException(422, "workstation must be text")
    try:
        results = await run_in_threadpool(
            mutations.push, engine, user=user, school_id=school_id,
            workstation=workstation or user.workstation, batch=data["mutations"])
    except InvalidValue as exc:
        raise HTTPException(422, str(exc)) from None
    return PushResponse(results=results, server_time=now_iso())
