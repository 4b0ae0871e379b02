"""``python main.py sync`` and ``python main.py status``: the workstation from a shell.

The password is asked for at the prompt, or read from the environment
variable named by ``--password-env`` for unattended runs; it is never
stored. The session token goes to the keyring.
"""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from domain.values import InvalidValue
from sync import credentials
from sync.client import AuthError, ServerUnreachable, SyncError
from sync.workstation import Workstation, setup_log_file

log = logging.getLogger("misis")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="data folder (default: $MISIS_DATA or ~/.local/share/misis)")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sync", help="sign in if needed and sync once")
    s.add_argument("--server", help="district server address, e.g. http://127.0.0.1:8470")
    s.add_argument("--user", help="user name")
    s.add_argument("--school", help="school id, when the user has several")
    s.add_argument("--password-env", default="MISIS_PASSWORD",
                   help="environment variable holding the password for unattended runs "
                        "(default MISIS_PASSWORD)")
    s.add_argument("--no-remember", action="store_true",
                   help="don't keep the session in the keyring")
    st = sub.add_parser("status", help="show the workstation's sync state")
    st.add_argument("--offline", action="store_true", help="don't ask the server")
    st.add_argument("--password-env", default="MISIS_PASSWORD",
                    help="environment variable holding the password, to open the "
                         "encrypted cache when the server can't be asked")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    ws = Workstation(args.data)
    setup_log_file(ws.data_dir)
    try:
        return _sync(ws, args) if args.command == "sync" else _status(ws, args)
    except AuthError as exc:
        print(f"Sign-in problem: {exc}", file=sys.stderr)
        return 3
    except SyncError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except InvalidValue as exc:
        print(f"Not accepted: {exc}", file=sys.stderr)
        return 2


def _sign_in(ws: Workstation, args) -> None:
    password = os.environ.get(args.password_env)
    if password is None:
        if not sys.stdin.isatty():
            raise AuthError(f"not signed in, and no password in ${args.password_env}")
        password = getpass.getpass(f"Password for {ws.settings.username}: ")
    data = ws.sign_in(ws.settings.server_url, ws.settings.username, password,
                      remember=not args.no_remember)
    print(f"Signed in as {data['user']['display_name']} ({data['user']['role']})")


def _open(ws: Workstation, args, *, may_sign_in: bool = True) -> None:
    """Open the encrypted cache: with the kept session if the server still
    takes it; with the password (offline) when the server can't be asked;
    else, if allowed, by signing in again."""
    password = os.environ.get(args.password_env)
    try:
        ws.resume()
    except ServerUnreachable:
        if password is None:
            raise
        ws.sign_in_offline(ws.settings.username, password)
    except AuthError:
        if may_sign_in:
            _sign_in(ws, args)
        elif password is None:
            raise
        else:
            ws.sign_in_offline(ws.settings.username, password)


def _sync(ws: Workstation, args) -> int:
    s = ws.settings
    changed_server = args.server and args.server.rstrip("/") != s.server_url
    if args.server:
        s.server_url = args.server.rstrip("/")
    if args.user and args.user != s.username:
        s.username = args.user
        changed_server = True
    if args.school:
        s.school_id = args.school
    ws.save_settings()
    if not s.username:
        raise AuthError("no user: pass --user")
    if changed_server or not ws.has_token():
        _sign_in(ws, args)
    else:
        _open(ws, args)
    if not s.school_id:
        schools = ws.client().me()["schools"]
        listing = ", ".join(f"{x['id']} ({x['name']})" for x in schools)
        raise AuthError(f"choose a school with --school: {listing}")
    store = ws.open_store()
    try:
        try:
            report = ws.sync(store)
        except AuthError:
            _sign_in(ws, args)
            report = ws.sync(store)
    except SyncError as exc:
        store.put(last_sync_error=str(exc))
        raise
    finally:
        counts = store.outbox_counts()
        store.close()
    print(f"Synced {s.school_id} with {s.server_url}: "
          f"{'loaded the school, ' if report.bootstrapped else ''}"
          f"sent {report.pushed} ({report.applied} applied, {report.conflicts} conflicts, "
          f"{report.rejected} rejected), received {report.pulled}; cursor {report.cursor}; "
          f"pending {counts['pending']}, "
          f"waiting for a person {counts['conflict'] + counts['rejected']}")
    for reason in report.rejections:
        print(f"  rejected: {reason}")
    if abs(report.clock_skew_s) > 300:
        print(f"Warning: this workstation's clock is {report.clock_skew_s:+.0f} s off the server's")
    return 0


def _signed_in(ws: Workstation) -> str:
    if ws.has_token():
        return "yes"
    if not credentials.keyring_available():
        return "no (this machine has no keyring: each run signs in, e.g. with $MISIS_PASSWORD)"
    return "no"


def _status(ws: Workstation, args) -> int:
    s = ws.settings
    lines = [f"server:        {s.server_url}", f"user:          {s.username or '(not signed in)'}",
             f"signed in:     {_signed_in(ws)}",
             f"school:        {s.school_id or '(none chosen)'}",
             f"workstation:   {s.workstation_id}", f"data folder:   {ws.data_dir}"]
    if not args.offline:
        try:
            health = ws.client().health()
            lines.append(f"server status: online (version {health['version']})")
        except SyncError:
            lines.append("server status: offline")
    if s.school_id and ws.cache_path(s.school_id).exists():
        try:
            if args.offline:
                ws.sign_in_offline(s.username, os.environ.get(args.password_env) or "")
            else:
                _open(ws, args, may_sign_in=False)
        except SyncError as exc:
            lines.append(f"cache:         encrypted; its counts show once signed in ({exc})")
    if s.school_id and ws.cache_path(s.school_id).exists() and ws.unlocked:
        store = ws.open_store()
        try:
            counts = store.outbox_counts()
            last = store.get("last_sync_at")
            cursor = store.cursor
            lines += [f"last sync:     {last or 'never'}",
                      f"cursor:        {cursor if cursor is not None else '(not loaded)'}",
                      f"pending:       {counts['pending']}",
                      f"conflicts:     {counts['conflict']}",
                      f"rejected:      {counts['rejected']}",
                      f"students:      {store.count('students')}"]
            if store.get("last_sync_error"):
                lines.append(f"last error:    {store.get('last_sync_error')}")
        finally:
            store.close()
    elif not (s.school_id and ws.cache_path(s.school_id).exists()):
        lines.append("cache:         empty (run: python main.py sync)")
    print("\n".join(lines))
    return 0
