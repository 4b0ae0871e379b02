"""Who may call what: role × endpoint, school by school, token by token."""
from __future__ import annotations

import uuid

import pytest
import requests
import sqlalchemy as sa

from district_server.store.tables import tokens
from tests.support.fixtures import password_of


def login(server, demo, username: str) -> str:
    r = requests.post(f"{server.url}/api/login", json={
        "username": username, "password": password_of(demo, username)}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def call(server, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"{server.url}{path}", headers=headers, timeout=30, **kwargs)


def a_mark(school_id: str) -> dict:
    return {"mutations": [{"mutation_id": str(uuid.uuid4()), "op": "attendance.mark",
                           "payload": {"student_id": "x", "section_id": None,
                                       "date": "2026-11-20", "period": 0, "code": "A"}}]}


SCHOOL_ENDPOINTS = [
    ("GET", "/api/schools/{s}/snapshot", {}),
    ("GET", "/api/schools/{s}/changes?after=0", {}),
    ("POST", "/api/schools/{s}/mutations", "mark"),
    ("GET", "/api/schools/{s}/history?kind=students&record_id=x", {}),
]


def _kwargs(spec, school_id):
    return {"json": a_mark(school_id)} if spec == "mark" else {}


@pytest.fixture
def schools(demo_district):
    high = next(s for s in demo_district.schools if s.level == "high")
    other = next(s for s in demo_district.schools if s.level == "middle")
    return high, other


@pytest.mark.parametrize("method,path,spec", SCHOOL_ENDPOINTS)
def test_a_clerk_sees_only_their_own_school(server, demo_district, schools, method, path, spec):
    mine, theirs = schools
    token = login(server, demo_district, f"clerk.{mine.code}")
    assert call(server, method, path.format(s=mine.id), token,
                **_kwargs(spec, mine.id)).status_code == 200
    refused = call(server, method, path.format(s=theirs.id), token, **_kwargs(spec, theirs.id))
    assert refused.status_code == 403
    assert "not one of your schools" in refused.json()["detail"]["message"]
    assert call(server, method, path.format(s="sch-nowhere"), token,
                **_kwargs(spec, "sch-nowhere")).status_code == 404


@pytest.mark.parametrize("method,path,spec", SCHOOL_ENDPOINTS + [("GET", "/api/me", {})])
def test_missing_wrong_expired_and_revoked_tokens_get_401(server, demo_district, schools,
                                                          method, path, spec):
    mine, _ = schools
    url, kwargs = path.format(s=mine.id), _kwargs(spec, mine.id)
    assert call(server, method, url, **kwargs).status_code == 401
    assert call(server, method, url, "not-a-token", **kwargs).status_code == 401

    expired = login(server, demo_district, f"clerk.{mine.code}")
    with server.engine.begin() as conn:
        conn.execute(tokens.update().values(expires_at=1))
    response = call(server, method, url, expired, **kwargs)
    assert response.status_code == 401 and "sign in again" in response.json()["detail"]

    revoked = login(server, demo_district, f"clerk.{mine.code}")
    assert call(server, "POST", "/api/logout", revoked).status_code == 204
    assert call(server, method, url, revoked, **kwargs).status_code == 401


def test_wrong_password_is_refused_without_saying_which_part(server, demo_district, schools):
    mine, _ = schools
    for username, password in ((f"clerk.{mine.code}", "wrong"), ("nobody", "wrong")):
        r = requests.post(f"{server.url}/api/login",
                          json={"username": username, "password": password}, timeout=10)
        assert r.status_code == 401
        assert r.json()["detail"] == "Wrong user name or password"


ADMIN_ACTIONS = [
    ("POST", "/api/admin/users", lambda s: {"json": {
        "username": f"new.{uuid.uuid4().hex[:6]}", "display_name": "New Clerk", "role": "clerk",
        "password": "a-long-password-1", "school_ids": [s]}}),
    ("POST", "/api/admin/users/clerk.{code}/revoke", lambda s: {}),
    ("POST", "/api/admin/schools/{s}/compact?keep_after=0", lambda s: {}),
]
EXPECTED = {  # role -> status for each admin action, in ADMIN_ACTIONS order
    "clerk": (403, 403, 403),
    "counselor": (403, 403, 403),
    "school_admin": (201, 200, 403),
    "district_admin": (201, 200, 200),
}
USERNAMES = {"clerk": "clerk.{code}", "counselor": "counselor.{code}",
             "school_admin": "admin.{code}", "district_admin": "district.admin"}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_admin_actions_by_role(server, demo_district, schools, role):
    mine, theirs = schools
    token = login(server, demo_district, USERNAMES[role].format(code=mine.code))
    got = tuple(call(server, method, path.format(s=mine.id, code=mine.code), token,
                     **make(mine.id)).status_code for method, path, make in ADMIN_ACTIONS)
    assert got == EXPECTED[role]


def test_a_school_admin_cannot_act_on_another_school(server, demo_district, schools):
    mine, theirs = schools
    token = login(server, demo_district, f"admin.{mine.code}")
    method, path, make = ADMIN_ACTIONS[0]
    assert call(server, method, path, token, **make(theirs.id)).status_code == 403
    # Another school's account is not even confirmed to exist.
    refused = call(server, "POST", f"/api/admin/users/clerk.{theirs.code}/revoke", token)
    assert refused.status_code == 404
    assert refused.json()["detail"] == f"There is no user 'clerk.{theirs.code}' at your schools"


def test_a_clerk_cannot_edit_schedules(server, demo_district, schools):
    mine, _ = schools
    token = login(server, demo_district, f"clerk.{mine.code}")
    body = {"mutations": [{"mutation_id": str(uuid.uuid4()), "op": "schedule.add",
                           "base_version": 1, "payload": {
                               "student_id": "s", "section_id": "x", "begin_date": "2026-11-20",
                               "section_enrollment_id": "e"}}]}
    r = call(server, "POST", f"/api/schools/{mine.id}/mutations", token, json=body)
    # Answered per edit, so a clerk's attendance behind it still goes through.
    assert r.status_code == 200, r.text
    [answer] = r.json()["results"]
    assert answer["status"] == "rejected"
    assert "a clerk may not add a class to a schedule" in answer["reason"]


def test_revoking_a_user_ends_their_sessions(server, demo_district, schools):
    mine, _ = schools
    clerk_token = login(server, demo_district, f"clerk.{mine.code}")
    admin_token = login(server, demo_district, f"admin.{mine.code}")
    r = call(server, "POST", f"/api/admin/users/clerk.{mine.code}/revoke", admin_token)
    assert r.status_code == 200 and r.json()["revoked"] >= 1
    assert call(server, "GET", "/api/me", clerk_token).status_code == 401
    with server.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tokens)
                            .where(tokens.c.revoked == sa.false())).scalar() >= 1
