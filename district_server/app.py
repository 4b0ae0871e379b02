"""The district server's FastAPI application."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from district_server import __version__
from district_server.api import admin, attendance, auth, scheduling, sync
from district_server.api.guard import RequestGuard, body_limit
from district_server.config import Settings
from district_server.store.db import make_engine

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> FastAPI:
    docs = settings.api_docs
    app = FastAPI(title="MiSiS district server", version=__version__,
                  docs_url="/docs" if docs else None, redoc_url=None,
                  openapi_url="/openapi.json" if docs else None)
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url,
                                   statement_timeout_s=settings.statement_timeout_s,
                                   idle_in_transaction_s=settings.idle_in_transaction_s,
                                   pool_timeout_s=10)
    for router in (auth.router, sync.router, admin.router, attendance.router,
                   scheduling.router):
        app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def readable_validation_error(_request: Request, exc: RequestValidationError):
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return JSONResponse({"detail": "; ".join(problems) or "invalid request"},
                            status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(sa.exc.TimeoutError)
    async def pool_exhausted(_request: Request, _exc: sa.exc.TimeoutError):
        log.warning("no database connection free: answering 503")
        return JSONResponse({"detail": "The server is busy: try again in a moment"},
                            status_code=503, headers={"Retry-After": "5"})

    app.add_middleware(RequestGuard, limit_for=lambda path: body_limit(
        path, push_bytes=settings.max_body_bytes))
    return app
