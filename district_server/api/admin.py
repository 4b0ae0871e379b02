"""Administration: users, sessions, the change log. Admins only, by school."""
from __future__ import annotations

import json
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from district_server.api.deps import (
    AdminDep,
    CurrentUserDep,
    DistrictAdminDep,
    EngineDep,
    SchoolDep,
)
from district_server.services import auth, changes
from district_server.store.db import writer
from district_server.store.tables import audit, schools, user_schools, users

router = APIRouter(prefix="/api", tags=["admin"])


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    display_name: str = Field(min_length=1, max_length=200)
    role: str
    password: str = Field(min_length=10, max_length=1000)
    school_ids: list[str] = []


@router.post("/admin/users", status_code=201)
def create_user(body: UserCreate, engine: EngineDep, admin: AdminDep) -> dict:
    if body.role not in auth.ROLES:
        raise HTTPException(422, f"role must be one of {', '.join(auth.ROLES)}")
    if not admin.is_district:
        if body.role == "district_admin":
            raise HTTPException(403, "Only district staff can create district administrators")
        if not body.school_ids or not set(body.school_ids) <= admin.school_ids:
            raise HTTPException(403, "You can create users only for your own schools")
    with writer(engine) as conn:
        known = set(conn.execute(sa.select(schools.c.id)
                                 .where(schools.c.id.in_(body.school_ids))).scalars())
        missing = sorted(set(body.school_ids) - known)
        if missing:
            raise HTTPException(422, f"There is no school {missing[0]!r}")
        if conn.execute(sa.select(users.c.id).where(users.c.username == body.username)).first():
            raise HTTPException(409, f"The user name {body.username!r} is taken")
        auth.create_user(conn, username=body.username, display_name=body.display_name,
                         role=body.role, password=body.password, school_ids=body.school_ids)
    return {"username": body.username, "role": body.role, "school_ids": body.school_ids}


@router.post("/admin/users/{username}/revoke")
def revoke_sessions(username: str, engine: EngineDep, admin: AdminDep) -> dict:
    """End every session of a user (a lost laptop, a staff member leaving)."""
    with writer(engine) as conn:
        row = conn.execute(sa.select(users.c.id).where(users.c.username == username)).first()
        if row is None:
            raise HTTPException(404, f"There is no user {username!r}")
        if not admin.is_district and not set(auth.schools_of(conn, row.id)) <= admin.school_ids:
            raise HTTPException(403, "That user belongs to a school that isn't yours")
        count = auth.revoke_user_tokens(conn, row.id)
    return {"username": username, "revoked": count}


@router.delete("/admin/users/{username}/schools/{school_id}")
def remove_school_access(username: str, engine: EngineDep, admin: AdminDep,
                         school_id: SchoolDep) -> dict:
    """Take a school away from a user: their workstations purge its data at
    their next sync, and their requests for it are refused from now on."""
    with writer(engine) as conn:
        row = conn.execute(sa.select(users.c.id).where(users.c.username == username)).first()
        if row is None:
            raise HTTPException(404, f"There is no user {username!r}")
        removed = conn.execute(user_schools.delete().where(user_schools.c.user_id == row.id)
                               .where(user_schools.c.school_id == school_id)).rowcount
    auth.forget_user_sessions(row.id)
    return {"username": username, "school_id": school_id, "removed": bool(removed)}


@router.post("/admin/schools/{school_id}/compact")
def compact_log(engine: EngineDep, _admin: DistrictAdminDep, school_id: SchoolDep,
                keep_after: Annotated[int, Query(ge=0)]) -> dict:
    """Prune old tombstones; workstations behind `keep_after` will re-bootstrap."""
    return {"floor": changes.compact(engine, school_id, keep_after)}


@router.get("/schools/{school_id}/history")
def record_history(engine: EngineDep, _user: CurrentUserDep, school_id: SchoolDep,
                   kind: str, record_id: str) -> dict:
    """Who changed a record, when, from which workstation, old → new."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit).where(audit.c.school_id == school_id)
            .where(audit.c.kind == kind).where(audit.c.record_id == record_id)
            .order_by(audit.c.id))
        return {"history": [
            {"at": r.at, "username": r.username, "workstation": r.workstation,
             "action": r.action, "old": json.loads(r.old) if r.old else None,
             "new": json.loads(r.new) if r.new else None, "reason": r.reason}
            for r in rows]}
