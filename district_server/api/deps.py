"""Dependencies every route states: the database, the caller, the school."""
from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.engine import Engine

from district_server.config import Settings
from district_server.services.access_log import Caller
from district_server.services.auth import CurrentUser, user_for_token
from district_server.store.tables import schools


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "Sign in first: this request carries no token",
                            headers={"WWW-Authenticate": "Bearer"})
    return token.strip()




def current_user(engine: EngineDep, settings: SettingsDep,
                 token: Annotated[str, Depends(bearer_token)]) -> CurrentUser:
    user = user_for_token(engine, token, idle_s=settings.token_idle_hours * 3600)
    if user is None:
        raise HTTPException(401, "Your session has expired or was ended: sign in again",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUserDep = Annotated[CurrentUser, Depends(current_user)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def endpoint_of(request: Request) -> str:
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


def caller(request: Request, user: CurrentUserDep) -> Caller:
    """Who is asking and from where, for the access log."""
    return Caller(user.id, user.username, user.role, user.workstation, client_ip(request),
                  endpoint_of(request))


CallerDep = Annotated[Caller, Depends(caller)]


def _school_exists(engine: Engine, school_id: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(schools.c.id)
                            .where(schools.c.id == school_id)).first() is not None


def school_of_user(engine: EngineDep, user: CurrentUserDep,
                   school_id: Annotated[str, Path(max_length=64)]) -> str:
    """The school in the URL, if the caller belongs to it."""
    # A school the user belongs to exists (membership rows reference it).
    exists = school_id in user.school_ids or _school_exists(engine, school_id)
    if not exists:
        raise HTTPException(404, f"There is no school {school_id!r}")
    if not user.may_see(school_id):
        raise HTTPException(403, {"message": f"School {school_id} is not one of your schools",
                                  "reason": "no_school_access"})
    return school_id


SchoolDep = Annotated[str, Depends(school_of_user)]


def require_role(*roles: str):
    def check(user: CurrentUserDep) -> CurrentUser:
        if user.role not in roles:
            raise HTTPException(403, f"This needs the role {' or '.join(roles)}; "
                                     f"you are signed in as {user.role}")
        return user
    return check


AdminDep = Annotated[CurrentUser, Depends(require_role("school_admin", "district_admin"))]
DistrictAdminDep = Annotated[CurrentUser, Depends(require_role("district_admin"))]
