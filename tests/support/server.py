"""The real district server in a subprocess on a loopback port, for tests and benchmarks."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from domain import clock
from tests.support.clock import SCHOOL_DAY, SCHOOL_DAY_MORNING, set_clock
from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]


class RunningServer:
    """``with RunningServer(db_url) as server: server.url``"""

    def __init__(self, database_url: str, *, log_path: Path | None = None, port: int | None = None,
                 env: dict[str, str] | None = None, extra_args: list[str] | None = None,
                 tls: tuple[Path, Path, Path] | None = None):
        self.database_url = database_url
        self.extra_args = list(extra_args or ())  # e.g. ["--workers", "2"]
        self.port = port or free_port()
        # tls: (certificate, key, the CA that signed it) for serving HTTPS
        self.tls = tls
        if tls:
            self.extra_args += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> RunningServer:
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.extra_env}
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-m", "district_server", "serve", "--db", self.database_url,
             "--port", str(self.port), *self.extra_args], cwd=ROOT, env=env, stdout=out,
            stderr=out)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; "
                                   f"see {self.log_path}")
            try:
                if requests.get(f"{self.url}/api/health", timeout=1,
                                verify=str(self.tls[2]) if self.tls else True).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)  # polling a starting process, not synchronising a test
        self.stop()
        raise RuntimeError("the server did not start in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> RunningServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def copy_sqlite(src: Path, dst: Path) -> str:
    shutil.copyfile(src, dst)
    return f"sqlite:///{dst}"


@contextmanager
def demo_workstation(work: Path, username: str = "clerk.1004",
                     password: str = "demo-clerk-2026", *, as_of: dt.date = SCHOOL_DAY,
                     now: dt.datetime = SCHOOL_DAY_MORNING
                     ) -> Iterator[tuple[RunningServer, Path]]:
    """A demo district as of `as_of` on a throwaway SQLite server, and a
    workstation folder already signed in and loaded with `username`'s school
    (for benchmarks). Benchmarks run on a fixed school day: this process's
    clock, and the server's, read `now` (MISIS_NOW) until the end."""
    from district_server.demo import generate_district
    from district_server.services.loader import create_demo_database
    from sync.workstation import Workstation

    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.TestKeyring")
    os.environ["MISIS_TEST_KEYRING"] = str(work / "keyring.json")
    was = os.environ.get(clock.OVERRIDE)
    set_clock(now)
    try:
        db_url = f"sqlite:///{work / 'district.db'}"
        create_demo_database(db_url, generate_district(2026, size="demo", as_of=as_of))
        with RunningServer(db_url, log_path=work / "server.log") as server:
            data = work / "workstation"
            ws = Workstation(data)
            ws.sign_in(server.url, username, password)
            store = ws.open_store()
            ws.sync(store)
            store.close()
            yield server, data
    finally:
        set_clock(was)
