"""Mounting the dashboard into the hub's FastAPI app: its pages under /dashboard, its stylesheet,
htmx when installed, and `/` leading to the orders board."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from marketbridge.runtime.asgi import Selective
from marketbridge.web.guard import dashboard_guard, under
from marketbridge.web.pages import BASE, LoginRequired, htmx_file, login_redirect
from marketbridge.web.views import routers
from marketbridge.wiring import Hub

STATIC_DIR = Path(__file__).parent / "static"


def mount_dashboard(app: FastAPI, hub: Hub) -> None:
    """Add the dashboard to `app` (whose state.hub is `hub`)."""
    app.state.hub = hub
    for router in routers():
        app.include_router(router, prefix=BASE, include_in_schema=False)
    app.mount(BASE + "/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    app.add_exception_handler(LoginRequired, login_redirect)
    app.add_middleware(Selective, dispatch=dashboard_guard(BASE), applies=under(BASE))

    @app.get(BASE + "/htmx.min.js", include_in_schema=False)
    async def htmx() -> Response:
        path = htmx_file(hub)
        if path is None:
            return Response("htmx is not installed (make setup installs it with npm)", status_code=404)
        return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})

    @app.get("/", include_in_schema=False)
    async def root() -> Response:
        return RedirectResponse(BASE + "/orders", status_code=303)
