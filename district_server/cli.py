"""``misis-server``: run the district server, set up its database, load a demo.

    misis-server serve [--db URL] [--port 8470] [--demo] [--tls-cert FILE --tls-key FILE]
    misis-server migrate [--db URL]
    misis-server demo [--db URL] [--size demo|small] [--seed N]
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from district_server.config import DEFAULT_DB, Settings

log = logging.getLogger("district_server")


def _prepare(settings: Settings, *, demo: str | None, seed: int) -> None:
    from district_server.services.loader import is_empty, load_district
    from district_server.store.db import make_engine, migrate

    if settings.database_url == Settings().database_url:
        DEFAULT_DB.parent.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    _purge_sessions(settings)
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


def _purge_sessions(settings: Settings) -> None:
    """Dead session rows (revoked, expired, idle) serve no one: drop them."""
    from district_server.services.auth import purge_dead_tokens
    from district_server.store.db import make_engine, writer

    engine = make_engine(settings.database_url)
    try:
        with writer(engine) as conn:
            purged = purge_dead_tokens(conn, idle_s=settings.token_idle_hours * 3600)
        if purged:
            log.info("%d ended sessions removed", purged)
    finally:
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
            p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM; the "
                                              "chain after the server's own)")
            p.add_argument("--tls-key", help="the certificate's private key (PEM)")
            p.add_argument("--demo-on-network", action="store_true",
                           help="allow --demo (accounts with published passwords) on an "
                                "address other than loopback")
            p.add_argument("--api-docs", action="store_true",
                           help="serve /docs and /openapi.json (off by default)")
            p.add_argument("--forwarded-allow-ips", default="",
                           help="addresses of a TLS reverse proxy whose X-Forwarded-For "
                                "to believe (default: none)")
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
        problem = _serve_problem(args, settings)
        if problem:
            print(f"misis-server: {problem}", file=sys.stderr)
            return 2
        if args.api_docs:
            os.environ["MISIS_API_DOCS"] = "1"
        _prepare(settings, demo=args.demo, seed=args.seed)
        return serve(settings, workers=args.workers, tls_cert=args.tls_cert,
                     tls_key=args.tls_key, forwarded_allow_ips=args.forwarded_allow_ips)
    return 0


def _is_loopback(host: str) -> bool:
    import ipaddress
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve_problem(args, settings: Settings) -> str | None:
    """Why `serve` must not start as asked, in words."""
    if bool(args.tls_cert) != bool(args.tls_key):
        return "--tls-cert and --tls-key go together"
    for path in (args.tls_cert, args.tls_key):
        if path and not os.path.isfile(path):
            return f"there is no file {path}"
    if args.demo and not _is_loopback(settings.host) and not args.demo_on_network:
        return (f"--demo creates accounts whose passwords are published in the README; it "
                f"won't do that on {settings.host}, which other machines can reach. Use "
                f"127.0.0.1, or add --demo-on-network if this is really meant")
    return None


def serve(settings: Settings, *, workers: int = 1, tls_cert: str | None = None,
          tls_key: str | None = None, forwarded_allow_ips: str = "") -> int:
    import uvicorn

    os.environ["MISIS_DATABASE_URL"] = settings.database_url
    scheme = "https" if tls_cert else "http"
    log.info("MiSiS district server on %s://%s:%d (database %s, %d worker%s)", scheme,
             settings.host, settings.port, settings.database_url.split("@")[-1], workers,
             "s" if workers != 1 else "")
    if scheme == "http" and not _is_loopback(settings.host):
        log.warning("serving plain HTTP on %s: passwords and tokens cross the network in "
                    "clear. Give --tls-cert and --tls-key, or put a TLS reverse proxy in "
                    "front (README)", settings.host)
    tls: dict[str, Any] = {"ssl_certfile": tls_cert, "ssl_keyfile": tls_key} if tls_cert else {}
    proxies: dict[str, Any] = {"proxy_headers": bool(forwarded_allow_ips),
               "forwarded_allow_ips": forwarded_allow_ips or None}
    if workers == 1:
        uvicorn.run("district_server.asgi:app", host=settings.host, port=settings.port,
                    log_level="warning", access_log=False, **tls, **proxies)
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
                            workers=workers, log_level="warning", access_log=False, **tls,
                            **proxies)
    Multiprocess(config, sockets=[sock]).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
