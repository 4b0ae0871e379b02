"""Accounts as an attacker with a clerk's account, or a school admin's,
would try them: guessing passwords, reaching district accounts, keeping a
session alive after the person left."""
from __future__ import annotations

import sqlalchemy as sa

from district_server.store.tables import access_log, sign_in_throttle, tokens
from tests.integration.test_access import call, login
from tests.support.fixtures import password_of


def sign_in(server, username: str, password: str, **extra):
    import requests
    return requests.post(f"{server.url}/api/login",
                         json={"username": username, "password": password, **extra}, timeout=30)


def actions(engine, **where) -> list[tuple]:
    query = sa.select(access_log.c.action, access_log.c.username, access_log.c.detail)
    for name, value in where.items():
        query = query.where(access_log.c[name] == value)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query.order_by(access_log.c.id))]


def test_wrong_passwords_lock_the_account_for_a_while_and_each_is_logged(server, demo_district):
    """200 wrong passwords in a row were all answered 401, each one a free
    guess. Now the account is refused after five, without a password check,
    with the wait in Retry-After; the right password waits too."""
    answers = [sign_in(server, "clerk.1002", f"guess-{i}") for i in range(8)]
    assert [r.status_code for r in answers] == [401] * 5 + [429] * 3
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in answers[-1].json()["detail"]
    right = sign_in(server, "clerk.1002", password_of(demo_district, "clerk.1002"))
    assert right.status_code == 429
    logged = [a for a, *_ in actions(server.engine, username="clerk.1002")]
    # Each failure; the lock's refusals once (a flood must not flood the log).
    assert logged == ["sign_in_failed"] * 5 + ["sign_in_throttled"]
    # Another account is not affected by this one's lock.
    assert sign_in(server, "clerk.1003", password_of(demo_district, "clerk.1003")).ok


def test_the_district_admin_sees_the_locked_account_and_unlocks_it(server, demo_district):
    for i in range(5):
        sign_in(server, "counselor.1003", f"guess-{i}")
    admin = login(server, demo_district, "district.admin")
    locked = call(server, "GET", "/api/admin/users?locked=true", admin).json()
    assert [(u["username"], u["failed_sign_ins"]) for u in locked] == [("counselor.1003", 5)]
    assert locked[0]["locked_until"] is not None
    assert call(server, "POST", "/api/admin/users/counselor.1003/unlock", admin).json()[
        "unlocked"]
    assert sign_in(server, "counselor.1003",
                   password_of(demo_district, "counselor.1003")).status_code == 200
    assert ("account_unlocked", "district.admin", "counselor.1003") in actions(server.engine)


def test_many_accounts_guessed_from_one_address_lock_the_address(server):
    """Password spraying: one guess per account from one address."""
    statuses = [sign_in(server, f"nobody.{i}", "Password1!").status_code for i in range(32)]
    assert statuses[:30] == [401] * 30 and statuses[30:] == [429, 429]
    with server.engine.connect() as conn:
        assert conn.execute(sa.select(sign_in_throttle.c.failures)
                            .where(sign_in_throttle.c.key == "ip:127.0.0.1")).scalar() == 30


def test_a_school_admin_cannot_touch_a_district_admin(server, demo_district):
    district = login(server, demo_district, "district.admin")
    school_admin = login(server, demo_district, "admin.1003")
    for action, body in (("revoke", None), ("deactivate", None), ("unlock", None),
                         ("password", {"new_password": "taken-over-2026"})):
        r = call(server, "POST", f"/api/admin/users/district.admin/{action}", school_admin,
                 json=body)
        assert r.status_code == 404, (action, r.text)
    assert call(server, "GET", "/api/me", district).status_code == 200
    listed = call(server, "GET", "/api/admin/users", school_admin).json()
    assert "district.admin" not in {u["username"] for u in listed}
    assert {u["username"] for u in listed} >= {"clerk.1003", "counselor.1003"}
    assert all(set(u["school_ids"]) <= {"sch-1003"} for u in listed)


def test_deactivating_a_user_ends_their_sessions_and_refuses_sign_in(server, demo_district):
    clerk = login(server, demo_district, "clerk.1003")
    admin = login(server, demo_district, "admin.1003")
    r = call(server, "POST", "/api/admin/users/clerk.1003/deactivate", admin)
    assert r.status_code == 200 and r.json()["revoked"] >= 1
    assert call(server, "GET", "/api/me", clerk).status_code == 401
    refused = sign_in(server, "clerk.1003", password_of(demo_district, "clerk.1003"))
    assert refused.status_code == 403 and "deactivated" in refused.json()["detail"]
    assert call(server, "POST", "/api/admin/users/clerk.1003/reactivate", admin).ok
    assert sign_in(server, "clerk.1003", password_of(demo_district, "clerk.1003")).ok
    logged = [a for a, who, what in actions(server.engine, username="admin.1003")]
    assert {"user_deactivated", "user_reactivated"} <= set(logged)


def test_a_reset_password_ends_sessions_and_the_old_one_no_longer_works(server, demo_district):
    clerk = login(server, demo_district, "clerk.1003")
    admin = login(server, demo_district, "admin.1003")
    r = call(server, "POST", "/api/admin/users/clerk.1003/password", admin,
             json={"new_password": "winter-break-2026"})
    assert r.status_code == 200
    assert call(server, "GET", "/api/me", clerk).status_code == 401
    assert sign_in(server, "clerk.1003", password_of(demo_district, "clerk.1003")
                   ).status_code == 401
    assert sign_in(server, "clerk.1003", "winter-break-2026").ok
    assert ("password_reset", "admin.1003", "clerk.1003") in actions(server.engine)
    short = call(server, "POST", "/api/admin/users/clerk.1003/password", admin,
                 json={"new_password": "short"})
    assert short.status_code == 422


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(server,
                                                                           demo_district):
    old = password_of(demo_district, "counselor.1003")
    here = login(server, demo_district, "counselor.1003")
    elsewhere = login(server, demo_district, "counselor.1003")
    wrong = call(server, "POST", "/api/me/password", here,
                 json={"current_password": "not-it", "new_password": "spring-term-2027"})
    assert wrong.status_code == 403 and "current password" in wrong.json()["detail"]
    r = call(server, "POST", "/api/me/password", here,
             json={"current_password": old, "new_password": "spring-term-2027"})
    assert r.status_code == 204, r.text
    assert call(server, "GET", "/api/me", here).status_code == 200
    assert call(server, "GET", "/api/me", elsewhere).status_code == 401
    assert sign_in(server, "counselor.1003", "spring-term-2027").ok
    assert [a for a, *_ in actions(server.engine, action="password_changed")] == [
        "password_changed"]


def test_an_idle_session_ends_and_dead_sessions_are_purged_at_the_next_sign_in(
        server, demo_district):
    idle = login(server, demo_district, "clerk.1003")
    with server.engine.begin() as conn:
        conn.execute(tokens.update().values(last_used_at=1))  # unused since 1970
    # (Signing in checked the session without the few seconds' trust a
    # session gets once used, so the server reads the row now.)
    r = call(server, "GET", "/api/me", idle)
    assert r.status_code == 401 and "sign in again" in r.json()["detail"]
    login(server, demo_district, "clerk.1003")
    with server.engine.connect() as conn:
        left = conn.execute(sa.select(sa.func.count()).select_from(tokens)
                            .where(tokens.c.last_used_at == 1)).scalar()
    assert left == 0
