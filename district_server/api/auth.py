"""Signing in and out."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from district_server.api.deps import CurrentUserDep, EngineDep, SettingsDep, bearer_token
from district_server.services import auth
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
    server_time: str
    user: UserPublic


def _public_user(conn, user: auth.CurrentUser) -> UserPublic:
    return UserPublic(username=user.username, display_name=user.display_name, role=user.role,
                      schools=[SchoolPublic(**s) for s in auth.visible_schools(conn, user)])


@router.post("/login", response_model=LoginResponse)
def login(body: LoginRequest, engine: EngineDep, settings: SettingsDep) -> LoginResponse:
    with writer(engine) as conn:
        user_id = auth.check_password(conn, body.username, body.password)
        if user_id is None:
            raise HTTPException(401, "Wrong user name or password")
        token, expires = auth.issue_token(conn, user_id, workstation=body.workstation,
                                          lifetime_s=settings.token_hours * 3600)
        user = auth.user_for_token(conn, token, remember=False)
        assert user is not None
        return LoginResponse(token=token, expires_at=expires, server_time=now_iso(),
                             user=_public_user(conn, user))


@router.post("/logout", status_code=204)
def logout(engine: EngineDep, _user: CurrentUserDep,
           token: Annotated[str, Depends(bearer_token)]) -> None:
    with writer(engine) as conn:
        auth.revoke_token(conn, token)


@router.get("/me", response_model=UserPublic)
def me(engine: EngineDep, user: CurrentUserDep) -> UserPublic:
    with engine.connect() as conn:
        return _public_user(conn, user)


@router.get("/health")
def health() -> dict:
    from district_server import __version__
    return {"status": "ok", "server_time": now_iso(), "version": __version__}
