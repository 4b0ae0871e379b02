"""Administration: users, sessions, the change log, the access log.

District administrators act on anyone; a school administrator only on users
whose schools are all theirs, and never on a district-wide account (one with
no school). Every action goes to the access log.
"""
from __future__ import annotations

import json
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from district_server.api.deps import (
    AdminDep,
    CallerDep,
    CurrentUserDep,
    DistrictAdminDep,
    EngineDep,
    SchoolDep,
)
from district_server.services import access_log, auth, changes, sign_in
from district_server.services.auth import CurrentUser
from district_server.services.clock import now_timestamp
from district_server.store.db import writer
from district_server.store.tables import audit, schools, user_schools, users

router = APIRouter(prefix="/api", tags=["admin"])

USERNAME = r"^[A-Za-z0-9._-]+$"
UsernamePath = Annotated[str, Path(max_length=100)]


class UserCreate(BaseModel):
    username: str = Field(min_length=3, max_length=100, pattern=USERNAME)
    display_name: str = Field(min_length=1, max_length=200)
    role: str = Field(max_length=40)
    password: str = Field(min_length=10, max_length=1000)
    school_ids: list[str] = Field(default=[], max_length=2000)


class UserCreated(BaseModel):
    username: str
    role: str
    school_ids: list[str]


class UserListed(BaseModel):
    username: str
    display_name: str
    role: str
    school_ids: list[str]
    active: bool
    failed_sign_ins: int
    locked_until: int | None  # unix seconds, while the account is refused


class PasswordReset(BaseModel):
    new_password: str = Field(min_length=10, max_length=1000)


class SessionsEnded(BaseModel):
    username: str
    revoked: int


class AccountState(BaseModel):
    username: str
    active: bool
    revoked: int = 0


class Unlocked(BaseModel):
    username: str
    unlocked: bool


class AccessRemoved(BaseModel):
    username: str
    school_id: str
    removed: bool


class Compacted(BaseModel):
    floor: int


class HistoryEntry(BaseModel):
    at: str
    username: str | None
    workstation: str | None
    action: str
    old: dict | None
    new: dict | None
    reason: str | None


class History(BaseModel):
    history: list[HistoryEntry]


class AccessLogEntry(BaseModel):
    id: int
    at: str
    username: str | None
    role: str | None
    workstation: str | None
    ip: str | None
    action: str
    what: str
    endpoint: str
    school_id: str | None
    records: int | None
    detail: str | None


class AccessLog(BaseModel):
    entries: list[AccessLogEntry]
    # Pass as before_id for the next (older) page; None at the end.
    next_before_id: int | None


def _target(conn: Connection, admin: CurrentUser, username: str, *,
            at_school: str | None = None):
    """The user an admin acts on, if this admin may act on them (404 otherwise,
    so a school admin learns nothing of other schools' accounts). A school
    admin acts on users all of whose schools are theirs; for what touches one
    school only (`at_school`, one of theirs), on that school's users."""
    row = conn.execute(sa.select(users.c.id, users.c.username, users.c.role, users.c.active)
                       .where(users.c.username == username)).first()
    if row is not None and not admin.is_district:
        theirs = set(auth.schools_of(conn, row.id))
        if row.role == "district_admin" or not theirs or (
                at_school not in theirs or at_school not in admin.school_ids if at_school
                else not theirs <= admin.school_ids):
            row = None
    if row is None:
        raise HTTPException(404, f"There is no user {username!r} at your schools")
    return row


@router.post("/admin/users", status_code=201, response_model=UserCreated)
def create_user(body: UserCreate, engine: EngineDep, admin: AdminDep,
                caller: CallerDep) -> UserCreated:
    if body.role not in auth.ROLES:
        raise HTTPException(422, f"role must be one of {', '.join(auth.ROLES)}")
    if not admin.is_district:
        if body.role == "district_admin":
            raise HTTPException(403, "Only district staff can create district administrators")
        if not body.school_ids or not set(body.school_ids) <= admin.school_ids:
            raise HTTPException(403, "You can create users only for your own schools")
    password_hash = auth.hash_password(body.password)  # never inside the write transaction
    with writer(engine) as conn:
        known = set(conn.execute(sa.select(schools.c.id)
                                 .where(schools.c.id.in_(body.school_ids))).scalars())
        missing = sorted(set(body.school_ids) - known)
        if missing:
            raise HTTPException(422, f"There is no school {missing[0]!r}")
        if conn.execute(sa.select(users.c.id).where(users.c.username == body.username)).first():
            raise HTTPException(409, f"The user name {body.username!r} is taken")
        auth.create_user(conn, username=body.username, display_name=body.display_name,
                         role=body.role, password="", school_ids=body.school_ids,
                         password_hash=password_hash)
        access_log.record(conn, caller, "user_created",
                          detail=f"{body.username} ({body.role})",
                          school_id=body.school_ids[0] if len(body.school_ids) == 1 else None)
    return UserCreated(username=body.username, role=body.role, school_ids=body.school_ids)


@router.get("/admin/users", response_model=list[UserListed])
def list_users(engine: EngineDep, admin: AdminDep, caller: CallerDep,
               locked: bool = False) -> list[UserListed]:
    """The users an admin may act on, with failed sign-ins and locks
    (`locked=true`: only accounts refused right now)."""
    now = now_timestamp()
    with engine.connect() as conn:
        memberships: dict[int, list[str]] = {}
        for user_id, school_id in conn.execute(sa.select(user_schools.c.user_id,
                                                         user_schools.c.school_id)):
            memberships.setdefault(user_id, []).append(school_id)
        locks = sign_in.account_locks(conn)
        rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
    out = []
    for r in rows:
        theirs = sorted(memberships.get(r.id, []))
        if not admin.is_district and (r.role == "district_admin" or not theirs
                                      or not set(theirs) <= admin.school_ids):
            continue
        failures, until = locks.get(r.username.lower(), (0, 0))
        if locked and until <= now:
            continue
        out.append(UserListed(username=r.username, display_name=r.display_name, role=r.role,
                              school_ids=theirs, active=bool(r.active), failed_sign_ins=failures,
                              locked_until=until if until > now else None))
    access_log.record(engine, caller, "users_listed", records=len(out))
    return out


@router.post("/admin/users/{username}/revoke", response_model=SessionsEnded)
def revoke_sessions(username: UsernamePath, engine: EngineDep, admin: AdminDep,
                    caller: CallerDep) -> SessionsEnded:
    """End every session of a user (a lost laptop, a staff member leaving)."""
    with writer(engine) as conn:
        row = _target(conn, admin, username)
        count = auth.revoke_user_tokens(conn, row.id)
        access_log.record(conn, caller, "sessions_revoked", detail=f"{username}: {count}")
    return SessionsEnded(username=username, revoked=count)


@router.post("/admin/users/{username}/deactivate", response_model=AccountState)
def deactivate(username: UsernamePath, engine: EngineDep, admin: AdminDep,
               caller: CallerDep) -> AccountState:
    """The account can't sign in any more, and its sessions end now."""
    if username == admin.username:
        raise HTTPException(422, "You can't deactivate your own account")
    with writer(engine) as conn:
        row = _target(conn, admin, username)
        count = auth.set_active(conn, row.id, False)
        access_log.record(conn, caller, "user_deactivated", detail=username)
    return AccountState(username=username, active=False, revoked=count)


@router.post("/admin/users/{username}/reactivate", response_model=AccountState)
def reactivate(username: UsernamePath, engine: EngineDep, admin: AdminDep,
               caller: CallerDep) -> AccountState:
    with writer(engine) as conn:
        row = _target(conn, admin, username)
        auth.set_active(conn, row.id, True)
        access_log.record(conn, caller, "user_reactivated", detail=username)
    return AccountState(username=username, active=True)


@router.post("/admin/users/{username}/password", response_model=SessionsEnded)
def reset_password(username: UsernamePath, body: PasswordReset, engine: EngineDep,
                   admin: AdminDep, caller: CallerDep) -> SessionsEnded:
    """A new password chosen by an administrator; the user's sessions end."""
    password_hash = auth.hash_password(body.new_password)
    with writer(engine) as conn:
        row = _target(conn, admin, username)
        count = auth.set_password(conn, row.id, password_hash)
        sign_in.unlock(conn, username)
        access_log.record(conn, caller, "password_reset", detail=username)
    return SessionsEnded(username=username, revoked=count)


@router.post("/admin/users/{username}/unlock", response_model=Unlocked)
def unlock(username: UsernamePath, engine: EngineDep, admin: AdminDep,
           caller: CallerDep) -> Unlocked:
    """Let an account locked by failed sign-ins try again now."""
    with writer(engine) as conn:
        _target(conn, admin, username)
        done = sign_in.unlock(conn, username)
        access_log.record(conn, caller, "account_unlocked", detail=username)
    return Unlocked(username=username, unlocked=done)


@router.delete("/admin/users/{username}/schools/{school_id}", response_model=AccessRemoved)
def remove_school_access(username: UsernamePath, engine: EngineDep, admin: AdminDep,
                         caller: CallerDep, school_id: SchoolDep) -> AccessRemoved:
    """Take a school away from a user: their workstations purge its data at
    their next sync, and their requests for it are refused from now on."""
    with writer(engine) as conn:
        row = _target(conn, admin, username, at_school=school_id)
        removed = conn.execute(user_schools.delete().where(user_schools.c.user_id == row.id)
                               .where(user_schools.c.school_id == school_id)).rowcount
        access_log.record(conn, caller, "access_removed", school_id=school_id, detail=username)
    auth.forget_user_sessions(row.id)
    return AccessRemoved(username=username, school_id=school_id, removed=bool(removed))


@router.post("/admin/schools/{school_id}/compact", response_model=Compacted)
def compact_log(engine: EngineDep, _admin: DistrictAdminDep, caller: CallerDep,
                school_id: SchoolDep,
                keep_after: Annotated[int, Query(ge=0, le=2**63 - 1)]) -> Compacted:
    """Prune old tombstones; workstations behind `keep_after` will re-bootstrap."""
    floor = changes.compact(engine, school_id, keep_after)
    access_log.record(engine, caller, "compacted", school_id=school_id, detail=f"floor {floor}")
    return Compacted(floor=floor)


@router.get("/schools/{school_id}/history", response_model=History)
def record_history(engine: EngineDep, _user: CurrentUserDep, caller: CallerDep,
                   school_id: SchoolDep, kind: Annotated[str, Query(max_length=64)],
                   record_id: Annotated[str, Query(max_length=400)]) -> History:
    """Who changed a record, when, from which workstation, old → new."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit).where(audit.c.school_id == school_id)
            .where(audit.c.kind == kind).where(audit.c.record_id == record_id)
            .order_by(audit.c.id)).all()
    access_log.record(engine, caller, "history", school_id=school_id, records=len(rows),
                      detail=f"{kind} {record_id}")
    return History(history=[
        HistoryEntry(at=r.at, username=r.username, workstation=r.workstation, action=r.action,
                     old=json.loads(r.old) if r.old else None,
                     new=json.loads(r.new) if r.new else None, reason=r.reason)
        for r in rows])


def _access_log(engine, caller, *, school_id: str | None, since: str | None,
                until: str | None, username: str | None, action: str | None,
                before_id: int | None, limit: int) -> AccessLog:
    rows = access_log.entries(engine, school_id=school_id, since=since, until=until,
                              username=username, action=action, before_id=before_id,
                              limit=limit)
    access_log.record(engine, caller, "access_log_read", school_id=school_id,
                      records=len(rows))
    return AccessLog(
        entries=[AccessLogEntry(**{k: r[k] for k in AccessLogEntry.model_fields if k in r},
                                what=access_log.ACTIONS.get(r["action"], r["action"]))
                 for r in rows],
        next_before_id=rows[-1]["id"] if len(rows) == limit else None)


Since = Annotated[str | None, Query(max_length=40, description="ISO time, UTC")]
Limit = Annotated[int, Query(ge=1, le=1000)]
BeforeId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
NameQuery = Annotated[str | None, Query(max_length=200)]


@router.get("/schools/{school_id}/access-log", response_model=AccessLog)
def school_access_log(engine: EngineDep, _admin: AdminDep, caller: CallerDep,
                      school_id: SchoolDep, since: Since = None, until: Since = None,
                      username: NameQuery = None, action: NameQuery = None,
                      before_id: BeforeId = None, limit: Limit = 200) -> AccessLog:
    """Who read or changed access to this school's records, newest first."""
    return _access_log(engine, caller, school_id=school_id, since=since, until=until,
                       username=username, action=action, before_id=before_id, limit=limit)


@router.get("/district/access-log", response_model=AccessLog)
def district_access_log(engine: EngineDep, _admin: DistrictAdminDep, caller: CallerDep,
                        since: Since = None, until: Since = None, username: NameQuery = None,
                        action: NameQuery = None, before_id: BeforeId = None,
                        limit: Limit = 200) -> AccessLog:
    """The whole district's access log (sign-ins included), newest first."""
    return _access_log(engine, caller, school_id=None, since=since, until=until,
                       username=username, action=action, before_id=before_id, limit=limit)
