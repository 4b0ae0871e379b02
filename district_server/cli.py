"""``misis-server``: run the district server, set up its database, load a demo.

    misis-server serve [--db URL] [--port 8470] [--demo]
    misis-server migrate [--db URL]
    misis-server demo [--db URL] [--size demo|small] [--seed N]
"""
from __future__ import annotations

import argparse
import logging
import sys

from district_server.config import DEFAULT_DB, Settings

log = logging.getLogger("district_server")


def _prepare(settings: Settings, *, demo: str | None, seed: int) -> None:
    from district_server.services.loader import is_empty, load_district
    from district_server.store.db import make_engine, migrate

    if settings.database_url == Settings().database_url:
        DEFAULT_DB.parent.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    if demo:
        engine = make_engine(settings.database_url)
        if is_empty(engine):
            from district_server.demo import generate_district
            log.info("generating the %s district (seed %d)", demo, seed)
            counts = load_district(engine, generate_district(seed, size=demo))
            log.info("demo district loaded: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
        else:
            log.info("the database already holds a district; demo not loaded again")
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="misis-server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "migrate", "demo"):
        p = sub.add_parser(name)
        p.add_argument("--db", help="database URL (default: an SQLite file, or "
                                    "$MISIS_DATABASE_URL)")
        if name in ("serve", "demo"):
            p.add_argument("--seed", type=int, default=2026)
        if name == "serve":
            p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
            p.add_argument("--port", type=int, help="port (default 8470)")
            p.add_argument("--demo", nargs="?", const="demo", choices=("demo", "small"),
                           help="load the demo district into an empty database first")
            p.add_argument("--workers", type=int, default=1)
        if name == "demo":
            p.add_argument("--size", default="demo", choices=("demo", "small"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = Settings.from_env(database_url=args.db, host=getattr(args, "host", None),
                                 port=getattr(args, "port", None))
    if args.command == "migrate":
        _prepare(settings, demo=None, seed=0)
    elif args.command == "demo":
        _prepare(settings, demo=args.size, seed=args.seed)
    else:
        _prepare(settings, demo=args.demo, seed=args.seed)
        return serve(settings, workers=args.workers)
    return 0


def serve(settings: Settings, *, workers: int = 1) -> int:
    import os

    import uvicorn

    os.environ["MISIS_DATABASE_URL"] = settings.database_url
    log.info("MiSiS district server on http://%s:%d (database %s, %d worker%s)", settings.host,
             settings.port, settings.database_url.split("@")[-1], workers,
             "s" if workers != 1 else "")
    if workers == 1:
        uvicorn.run("district_server.asgi:app", host=settings.host, port=settings.port,
                    log_level="warning", access_log=False)
        return 0
    # Several workers share one listening socket. uvicorn's own (proto=0) leaves
    # Nagle's algorithm on for every connection, so each keep-alive answer waits
    # ~40 ms for the client's delayed ACK (uvicorn issue #3149): bind it here.
    import socket

    from uvicorn.supervisors import Multiprocess

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.set_inheritable(True)
    config = uvicorn.Config("district_server.asgi:app", host=settings.host, port=settings.port,
                            workers=workers, log_level="warning", access_log=False)
    Multiprocess(config, sockets=[sock]).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
