"""Signing in and out."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from district_server.api.deps import (
    CallerDep,
    CurrentUserDep,
    EngineDep,
    SettingsDep,
    bearer_token,
    client_ip,
)
from district_server.services import access_log, auth, sign_in
from district_server.services.clock import now_iso
from district_server.store.db import writer

router = APIRouter(prefix="/api", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)
    workstation: str | None = Field(default=None, max_length=200)


class SchoolPublic(BaseModel):
    id: str
    code: str
    name: str
    level: str
    grade_low: int
    grade_high: int
    periods_per_day: int
    required_periods: int


class UserPublic(BaseModel):
    username: str
    display_name: str
    role: str
    schools: list[SchoolPublic]


class LoginResponse(BaseModel):
    token: str
    expires_at: int
    # A session unused this long ends before `expires_at` (a workstation's
    # offline unlock follows the same rule).
    idle_expires_s: int
    server_time: str
    user: UserPublic


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=10, max_length=1000)


def refusal(exc: sign_in.Refused) -> HTTPException:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    if exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return HTTPException(exc.status, str(exc), headers=headers)


def _public_user(conn, user: auth.CurrentUser) -> UserPublic:
    return UserPublic(username=user.username, display_name=user.display_name, role=user.role,
                      schools=[SchoolPublic(**s) for s in auth.visible_schools(conn, user)])


@router.post("/login", response_model=LoginResponse)
def login(body: LoginRequest, request: Request, engine: EngineDep,
          settings: SettingsDep) -> LoginResponse:
    try:
        done = sign_in.sign_in(engine, username=body.username, password=body.password,
                               ip=client_ip(request), workstation=body.workstation,
                               lifetime_s=settings.token_hours * 3600,
                               idle_s=settings.token_idle_hours * 3600)
    except sign_in.Refused as exc:
        raise refusal(exc) from None
    with engine.connect() as conn:
        user = _public_user(conn, done.user)
    return LoginResponse(token=done.token, expires_at=done.expires_at,
                         idle_expires_s=settings.token_idle_hours * 3600,
                         server_time=now_iso(), user=user)


@router.post("/logout", status_code=204)
def logout(engine: EngineDep, caller: CallerDep,
           token: Annotated[str, Depends(bearer_token)]) -> None:
    with writer(engine) as conn:
        auth.revoke_token(conn, token)
        access_log.record(conn, caller, "sign_out")


@router.post("/me/password", status_code=204)
def change_own_password(body: PasswordChange, request: Request, engine: EngineDep,
                        user: CurrentUserDep, caller: CallerDep,
                        token: Annotated[str, Depends(bearer_token)]) -> None:
    """Change one's own password: the other sessions end, this one stays."""
    try:
        right = sign_in.check_own_password(engine, user, body.current_password,
                                           ip=client_ip(request))
    except sign_in.Refused as exc:
        raise refusal(exc) from None
    if not right:
        raise HTTPException(403, "Your current password is not right")
    if body.new_password == body.current_password:
        raise HTTPException(422, "The new password must differ from the current one")
    password_hash = auth.hash_password(body.new_password)
    with writer(engine) as conn:
        auth.set_password(conn, user.id, password_hash, keep_token=token)
        access_log.record(conn, caller, "password_changed")


@router.get("/me", response_model=UserPublic)
def me(engine: EngineDep, user: CurrentUserDep) -> UserPublic:
    with engine.connect() as conn:
        return _public_user(conn, user)


@router.get("/health")
def health() -> dict:
    from district_server import __version__
    return {"status": "ok", "server_time": now_iso(), "version": __version__}
