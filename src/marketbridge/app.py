"""The composition root of the hub process: the seller API and the dashboard in one ASGI app.

`api` and `web` sit side by side on the use-cases and do not know each other; this module,
above both, puts them together for `marketbridge serve`, the demo and the tests.
"""

from __future__ import annotations

from fastapi import FastAPI

from marketbridge.api.app import create_api_app
from marketbridge.web import mount_dashboard
from marketbridge.wiring import Hub


def create_app(hub: Hub) -> FastAPI:
    """The hub's app: health, metrics, the seller API, push receivers and the dashboard."""
    app = create_api_app(hub)
    mount_dashboard(app, hub)
    return app
