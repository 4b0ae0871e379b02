"""A throwaway PostgreSQL 15 cluster for tests and benchmarks.

    with ThrowawayPostgres() as pg:          # free loopback port, temp dir, trust auth
        url = pg.create_database("district")  # postgresql+psycopg://postgres@127.0.0.1:PORT/district

The cluster lives in a temporary directory under /tmp, listens on 127.0.0.1 only,
and is stopped and deleted by ``stop()``, by leaving the ``with`` block, or at
interpreter exit (atexit) if a test run crashes. PostgreSQL refuses to run as root,
so when this process is root the server runs as the ``postgres`` user (via
``runuser``); otherwise it runs as the current user.

By default durability is switched off (fsync, synchronous_commit, full_page_writes):
fine for a database that is deleted afterwards, and much faster. Benchmarks that
want production-like commit costs pass ``durable=True``.

Developer use, from the repository root:

    python -m tests.support.postgres 55432        # prints the URL, Ctrl+C to stop
    python -m tests.support.postgres --durable

``env_or_throwaway()`` honours ``MISIS_TEST_PG_URL`` so a run can point at an
existing server instead.

Only the standard library is needed to start and stop the cluster; psycopg
(the ``server`` extra) is imported lazily for create_database/drop_database.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

PG_MAJOR = 15
DEFAULT_BINDIR = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
ENV_URL = "MISIS_TEST_PG_URL"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
_NEEDED = ("initdb", "pg_ctl", "postgres")


class PostgresError(RuntimeError):
    """The throwaway cluster could not be created, started or used."""


def _bindir_ok(path: Path) -> bool:
    return all(os.access(path / name, os.X_OK) for name in _NEEDED)


def find_bindir() -> Path | None:
    """Directory holding initdb/pg_ctl/postgres for PostgreSQL 15, or None."""
    override = os.environ.get("MISIS_PG_BINDIR")
    candidates = [Path(override)] if override else []
    candidates.append(DEFAULT_BINDIR)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            candidates.append(Path(out))
    for candidate in candidates:
        if _bindir_ok(candidate):
            return candidate
    return None


def postgres_available() -> bool:
    """True when the PostgreSQL server binaries are installed."""
    return find_bindir() is not None


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _clean_env() -> dict[str, str]:
    # PGDATA, PGPORT, PGHOST... in the caller's environment must not leak into initdb/pg_ctl.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.setdefault("LANG", "C.UTF-8")
    return env


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temp dir; a context manager.

    ``start()`` returns the SQLAlchemy URL of the ``postgres`` database; ``url``
    holds it afterwards. ``port`` is fixed at construction (a free loopback port
    when None is given).
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        durable: bool = False,
        max_connections: int = 200,
        extra_settings: dict[str, str] | None = None,
        start_timeout: int = 60,
    ) -> None:
        self._auto_port = port is None
        self.port: int = free_port() if port is None else int(port)
        self.durable = durable
        self.max_connections = max_connections
        self.extra_settings = dict(extra_settings or {})
        self.start_timeout = start_timeout
        self.bindir: Path | None = None
        self.tmpdir: Path | None = None
        self._url: str | None = None
        self._as_postgres_user = False

    # -- public API -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database (after start())."""
        if self._url is None:
            raise PostgresError("ThrowawayPostgres is not running; call start() first")
        return self._url

    @property
    def running(self) -> bool:
        return self._url is not None

    @property
    def datadir(self) -> Path:
        if self.tmpdir is None:
            raise PostgresError("ThrowawayPostgres has no data directory yet")
        return self.tmpdir / "data"

    @property
    def logfile(self) -> Path:
        if self.tmpdir is None:
            raise PostgresError("ThrowawayPostgres has no data directory yet")
        return self.tmpdir / "postgres.log"

    def url_for(self, dbname: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of database ``dbname`` on this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{quote(dbname, safe='')}"

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq connection string for ``psycopg.connect`` (it takes no +psycopg URL)."""
        return f"host={HOST} port={self.port} user={SUPERUSER} dbname='{_escape_conninfo(dbname)}'"

    def start(self) -> str:
        """Create and start the cluster; return the SQLAlchemy URL of database ``postgres``."""
        if self._url is not None:
            return self._url
        bindir = find_bindir()
        if bindir is None:
            raise PostgresError(
                f"PostgreSQL {PG_MAJOR} server binaries not found in {DEFAULT_BINDIR} "
                "or `pg_config --bindir` (Debian: apt-get install postgresql-15)"
            )
        self.bindir = bindir
        self._as_postgres_user = os.geteuid() == 0
        if self._as_postgres_user and shutil.which("runuser") is None:
            raise PostgresError("running as root needs `runuser` (util-linux) to start postgres")

        attempts = 3 if self._auto_port else 1
        last_error: PostgresError | None = None
        for attempt in range(attempts):
            if attempt:
                self.port = free_port()
            if port_open(self.port):
                last_error = PostgresError(f"port {HOST}:{self.port} is already in use")
                continue
            self._make_tmpdir()
            atexit.register(self.stop)
            try:
                self._initdb()
                self._pg_ctl_start()
            except PostgresError as exc:
                last_error = exc
                self._teardown()
                continue
            self._url = self.url_for("postgres")
            return self._url
        assert last_error is not None
        raise last_error

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory. Safe to call twice."""
        self._teardown()

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE ``name`` [TEMPLATE ``template``]; return its SQLAlchemy URL.

        A template database must have no other connections while it is copied.
        """
        from psycopg import sql

        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            stmt = sql.SQL("{} TEMPLATE {}").format(stmt, sql.Identifier(template))
        self._admin_execute(stmt)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE IF EXISTS ``name``, disconnecting any sessions still using it."""
        from psycopg import sql

        self._admin_execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def __enter__(self) -> ThrowawayPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ThrowawayPostgres {HOST}:{self.port} {state}>"

    # -- internals ------------------------------------------------------------------------

    def _admin_execute(self, stmt) -> None:
        import psycopg

        _ = self.url  # raises when not running
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(stmt)

    def _make_tmpdir(self) -> None:
        self.tmpdir = Path(tempfile.mkdtemp(prefix="misis-pg-", dir="/tmp"))
        # The postgres user must be able to traverse it; the data dir itself is created by
        # initdb with mode 0700.
        os.chmod(self.tmpdir, 0o755)
        if self._as_postgres_user:
            import pwd

            try:
                pw = pwd.getpwnam(SUPERUSER)
            except KeyError:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
                self.tmpdir = None
                raise PostgresError(
                    "running as root, but there is no `postgres` user to run the server as"
                ) from None
            os.chown(self.tmpdir, pw.pw_uid, pw.pw_gid)

    def _cmd(self, tool: str, *args: str) -> list[str]:
        assert self.bindir is not None
        cmd = [str(self.bindir / tool), *args]
        if self._as_postgres_user:
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        return cmd

    def _run(self, cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            cmd,
            cwd=self.tmpdir,  # a cwd the postgres user can enter (not /root)
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def _initdb(self) -> None:
        base = ["-D", str(self.datadir), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync"]
        errors = []
        for locale in ("C.UTF-8", "C"):
            try:
                proc = self._run(self._cmd("initdb", *base, f"--locale={locale}"), timeout=120)
            except subprocess.TimeoutExpired:
                raise PostgresError("initdb timed out after 120 s") from None
            if proc.returncode == 0:
                return
            errors.append(f"--locale={locale}: {(proc.stderr or proc.stdout).strip()}")
            shutil.rmtree(self.datadir, ignore_errors=True)
        raise PostgresError("initdb failed:\n" + "\n".join(errors))

    def _server_options(self) -> str:
        assert self.tmpdir is not None
        settings = {
            "listen_addresses": HOST,
            "max_connections": str(self.max_connections),
        }
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        settings.update(self.extra_settings)
        # pg_ctl hands -o to /bin/sh, so every piece is shell-quoted.
        parts = ["-p", str(self.port), "-k", shlex.quote(str(self.tmpdir))]
        for key, value in settings.items():
            parts += ["-c", shlex.quote(f"{key}={value}")]
        return " ".join(parts)

    def _pg_ctl_start(self) -> None:
        cmd = self._cmd(
            "pg_ctl",
            "-D", str(self.datadir),
            "-l", str(self.logfile),
            "-w", "-t", str(self.start_timeout),
            "-o", self._server_options(),
            "start",
        )  # fmt: skip
        try:
            proc = self._run(cmd, timeout=self.start_timeout + 30)
        except subprocess.TimeoutExpired:
            raise PostgresError(f"pg_ctl start timed out\n{self._log_tail()}") from None
        if proc.returncode != 0:
            raise PostgresError(
                f"pg_ctl start failed on port {self.port} (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()}\n{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.logfile.read_text(errors="replace")
        except (OSError, PostgresError):
            return "(no server log)"
        return "server log:\n" + "\n".join(text.splitlines()[-lines:])

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.datadir / "postmaster.pid").read_text().splitlines()[0]
            return int(first.strip())
        except (OSError, IndexError, ValueError, PostgresError):
            return None

    def _teardown(self) -> None:
        try:
            atexit.unregister(self.stop)
        except Exception:  # pragma: no cover - interpreter shutting down
            pass
        tmpdir = self.tmpdir
        self._url = None
        if tmpdir is None:
            return
        try:
            if (tmpdir / "data" / "postmaster.pid").exists():
                self._stop_server()
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
            self.tmpdir = None

    def _stop_server(self) -> None:
        for mode in ("fast", "immediate"):
            try:
                proc = self._run(
                    self._cmd("pg_ctl", "-D", str(self.datadir), "-m", mode, "-w", "-t", "30",
                              "stop"),
                    timeout=45,
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            if proc.returncode == 0:
                return
        # Last resort: the postmaster did not obey pg_ctl.
        pid = self._postmaster_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.05)


def _escape_conninfo(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def env_or_throwaway() -> tuple[str, ThrowawayPostgres | None]:
    """``(MISIS_TEST_PG_URL, None)`` when that variable is set, else a started throwaway cluster.

    The caller owns the returned instance and should ``stop()`` it (atexit does so otherwise).
    """
    url = os.environ.get(ENV_URL)
    if url:
        return url, None
    pg = ThrowawayPostgres()
    return pg.start(), pg


def main(argv: list[str] | None = None) -> int:
    import argparse
    import threading

    parser = argparse.ArgumentParser(
        prog="python -m tests.support.postgres",
        description="Run a throwaway PostgreSQL cluster until Ctrl+C / SIGTERM.",
    )
    parser.add_argument("port", nargs="?", type=int, help="TCP port (default: a free one)")
    parser.add_argument(
        "--durable", action="store_true", help="keep fsync/synchronous_commit/full_page_writes on"
    )
    args = parser.parse_args(argv)

    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: done.set())

    started = time.monotonic()
    pg = ThrowawayPostgres(args.port, durable=args.durable)
    try:
        url = pg.start()
    except PostgresError as exc:
        print(f"error: {exc}", flush=True)
        return 1
    try:
        print(url, flush=True)
        print(
            f"# started in {time.monotonic() - started:.1f}s; data in {pg.tmpdir}; "
            f"psql -h {HOST} -p {pg.port} -U {SUPERUSER}; Ctrl+C to stop",
            flush=True,
        )
        while not done.wait(0.5):
            pass
    finally:
        pg.stop()
        print("# stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
