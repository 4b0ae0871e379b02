"""Every route of the district server, fuzzed from its own OpenAPI schema by
schemathesis against the live server on both databases, signed in as the
district administrator (the widest reach): no request, however malformed,
gets a 5xx. Bounded in time: a few examples per route.

The operations that would end the fuzzer's own session or lock it out
(sign-out, revoking sessions, deactivating, resetting or changing passwords,
removing school access) are left out.
"""
from __future__ import annotations

import itertools

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from district_server.app import create_app
from district_server.config import Settings
from district_server.store.db import make_engine
from tests.support.fixtures import BACKENDS, password_of
from tests.support.server import RunningServer, copy_sqlite

SCHOOL = "sch-1003"
_app = create_app(Settings(database_url="sqlite:////tmp/misis-openapi-only.db", api_docs=True))
_app.state.engine.dispose()
schema = schemathesis.openapi.from_dict(_app.openapi()).exclude(
    path_regex=r"/(logout|revoke|deactivate|password|reactivate)$").exclude(
    method="DELETE")
_real_school = itertools.cycle([True, False])


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed(request, tmp_path_factory, demo_district):
    """One server per database for the whole module, and a district admin's token."""
    folder = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        db_url = copy_sqlite(request.getfixturevalue("sqlite_template"), folder / "district.db")
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        request.getfixturevalue("postgres_template")
        db_url = cluster.create_database(f"fuzz_{request.param}", template="misis_template")
    server = RunningServer(db_url, log_path=folder / "server.log").start()
    token = requests.post(f"{server.url}/api/login", timeout=30, json={
        "username": "district.admin",
        "password": password_of(demo_district, "district.admin")}).json()["token"]
    yield server, token
    server.stop()
    make_engine(db_url).dispose()


@pytest.fixture
def live(fuzzed):
    return fuzzed


@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, live):
    server, token = live
    if "school_id" in (case.path_parameters or {}) and next(_real_school):
        case.path_parameters["school_id"] = SCHOOL  # half the time a real school
    response = case.call(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                         timeout=60)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: "
        f"{response.text[:500]}\n{case.as_curl_command()}")
